// bench:pdu's Espruino figures: the Espruino PDU bundle (dist/firmware/espruino/pdu.js, the global
// simcmdPdu) run by a real Espruino interpreter built for Linux (ESPRUINO_BIN), with the bench's PDUs.
// Variables in use by process.memory() (after a garbage collection): once the bundle and the PDUs are
// loaded, after one pass over the PDUs (what the decoder keeps for good is taken by then, e.g. the GSM
// 7-bit scratch array, which grows to the longest text decoded), and after `decodes` more decodes: that
// last difference is the growth, expected 0. Also decodes per second, timed by the interpreter's getTime().
//
// The script is a file argument (feeding code through the interpreter's console fast overruns its input
// buffer); its standard input is a pipe, closed once the figures are printed so that it exits.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs `bundleFile` in `bin`: { loaded, warm, after, total, perSecond }, or throws with what it printed. */
export async function espruinoMemory(bin, bundleFile, hexes, decodes, timeoutMs = 300000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-pdu-espruino-"));
  const script = path.join(dir, "bench.js");
  fs.writeFileSync(
    script,
    `${fs.readFileSync(bundleFile, "utf8")}
var H = ${JSON.stringify(hexes)};
function run(n) { for (var i = 0; i < n; i++) simcmdPdu.decode(H[i % H.length], { smsc: true }); }
var loaded = 0, warm = 0, after = 0, total = 0, t0 = 0, s = 0; // numbers only, all declared before the first reading
loaded = process.memory().usage;
run(H.length);
t0 = getTime();
s = getTime() - t0; // t0 and s hold floats before the reading, as after it
warm = process.memory().usage;
t0 = getTime();
run(${decodes});
s = getTime() - t0;
after = process.memory().usage;
total = process.memory().total;
print("[pdu-bench " + JSON.stringify({ loaded: loaded, warm: warm, after: after, total: total, s: s }) + "]");
`,
  );
  const child = spawn(bin, [script], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no figures within ${timeoutMs / 1000} s:\n${out.slice(-800)}`)), timeoutMs);
      const check = () => {
        const m = /\[pdu-bench (\{.*?\})\]/.exec(out);
        const bad = /(Uncaught [^\r\n]*|ASSERT[^\r\n]*|Out of Memory[^\r\n]*)/.exec(out);
        if (m === null && bad === null) return;
        clearTimeout(timer);
        if (bad !== null) return reject(new Error(`the interpreter reported ${bad[1]}`));
        const f = JSON.parse(m[1]);
        resolve({ loaded: f.loaded, warm: f.warm, after: f.after, total: f.total, perSecond: decodes / f.s });
      };
      child.stdout.on("data", (d) => ((out += d.toString("latin1")), check()));
      child.stderr.on("data", (d) => ((out += d.toString("latin1")), check()));
      child.stdin.on("error", () => undefined);
      child.on("error", (e) => (clearTimeout(timer), reject(new Error(`cannot run ${bin}: ${e.message}`))));
      child.on("close", (code, signal) => (clearTimeout(timer), reject(new Error(`the interpreter exited (${signal ?? code}) before the figures:\n${out.slice(-800)}`))));
    });
  } finally {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
