// The Espruino memory figures of bench:firmware (run when ESPRUINO_BIN names an Espruino interpreter built
// for Linux, e.g. from Espruino's source with boards/LINUX.py's 'variables' set to 16383 as on an ESP32):
// each bundle is put in Storage as `.bootcde` with its start line — what `simcmd flash` writes to a board —
// and load() boots the interpreter into it, so the code runs from Storage as on the board (function bodies
// stay in flash). Then, by process.memory() (free variables, after a garbage collection):
//  - agent.js after start() (goal ≥ 60% free), and an IP Command ping over real UDP;
//  - modem-agent-<family>.js after start() and after the bring-up against the virtual modem on its pty
//    (goal ≥ 40% free), an IP Command ping and an SMS Command ping answered end to end through the mock
//    cloud, then after ESPRUINO_COMMANDS (default 1,000) mixed IP and SMS commands (goal: at most 2 points
//    less free than after the bring-up), and the agent's own count of what it handled and of errors;
//  - the peer: the same interpreter with nothing loaded.
// Bounded: every wait has a deadline, the whole run ESPRUINO_MINUTES (default 30). ESPRUINO_MODEM picks the
// family (default bg96); ESPRUINO_AGENT_JS / ESPRUINO_MODEM_JS measure other builds of the two bundles (e.g.
// those of an earlier commit) in place of dist/firmware/espruino/.
//
// The interpreter reads devices only while its standard input stays open, so it runs with a pipe there; the
// bundle reaches Storage through the Linux build's `fs` module, not the console (long console lines race the
// Linux build's input thread).
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { URLSearchParams } from "node:url";
import { startCloud } from "../dist/host-tools/cloud/index.js";
import { twilioClient } from "../dist/host-tools/platform/twilio-client.js";
import { startModem } from "../dist/host-tools/virtual-modem/index.js";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

/** One Espruino interpreter in a scratch directory (its Storage is ./espruino.flash there). */
class Espruino {
  constructor(bin, deadline) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-espruino-"));
    this.deadline = deadline;
    this.out = "";
    this.wake = () => undefined;
    this.exited = null;
    this.n = 0;
    this.child = spawn(bin, [], { cwd: this.dir, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d) => {
      this.out += d.toString("latin1");
      this.wake();
    });
    this.child.stderr.on("data", (d) => {
      this.out += d.toString("latin1");
      this.wake();
    });
    this.child.stdin.on("error", () => undefined); // EPIPE once it has exited: reported by waitFor
    this.child.on("exit", (code, signal) => {
      this.exited = `the interpreter exited (${signal ?? code})`;
      this.wake();
    });
    this.child.on("error", (e) => {
      this.exited = `cannot run ${bin}: ${e.message}`;
      this.wake();
    });
  }

  send(line) {
    this.child.stdin.write("\x10" + line + "\n");
  }

  /** The first match of `re` in what the interpreter printed since the last match; rejects at the deadline. */
  waitFor(re, ms, what) {
    const until = Math.min(Date.now() + ms, this.deadline);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${what} within ${ms} ms; the interpreter printed:\n${this.tail()}`)), Math.max(0, until - Date.now()));
      const finish = (err, m) => {
        clearTimeout(timer);
        this.wake = () => undefined;
        if (err) reject(err);
        else resolve(m);
      };
      const check = () => {
        const m = re.exec(this.out);
        if (m !== null) {
          this.out = this.out.slice(m.index + m[0].length);
          return finish(null, m);
        }
        const bad = /(Uncaught [^\r\n]*|ASSERT[^\r\n]*|New interpreter error:[^\r\n]*)/.exec(this.out);
        if (bad !== null) return finish(new Error(`${what}: the interpreter reported ${bad[1]}\n${this.tail()}`));
        if (this.exited !== null) return finish(new Error(`${what}: ${this.exited}\n${this.tail()}`));
      };
      this.wake = check;
      check();
    });
  }

  /** The value of a JavaScript expression on the interpreter (through JSON). */
  async value(expr, what = expr) {
    const k = ++this.n;
    this.send(`print("[bench:"+"${k} "+JSON.stringify(${expr})+" ${k}]")`);
    const m = await this.waitFor(new RegExp(`\\[bench:${k} (.*) ${k}\\]`), 10000, what);
    return JSON.parse(m[1]);
  }

  /** Puts `code` in Storage as .bootcde (through a file the Linux build's fs reads) and boots into it. */
  async boot(code) {
    const file = path.join(this.dir, "bootcde.js");
    fs.writeFileSync(file, code);
    const n = await this.value(`require("Storage").write(".bootcde",require("fs").readFileSync(${JSON.stringify(file)}))&&require("Storage").read(".bootcde").length`, "the write to Storage");
    if (n !== Buffer.byteLength(code)) throw new Error(`Storage holds ${n} bytes of .bootcde, not ${Buffer.byteLength(code)}`);
    this.send("load()");
  }

  tail() {
    return this.out.slice(-1500);
  }

  close() {
    if (this.exited === null) this.child.kill("SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Free variables after a garbage collection, and the total, once the figure holds still: read until two
 * readings in a row agree (at most 10), so work still under way (the last reply's AT exchange) is not
 * counted.
 */
async function memory(e, what) {
  let last = null;
  for (let i = 0; i < 10; i++) {
    const m = await e.value("process.memory()", what);
    const same = last !== null && m.free === last.free;
    last = m;
    if (same) break;
  }
  return { free: last.free, total: last.total, blocksize: last.blocksize };
}

const pct = (m) => (100 * m.free) / m.total;
const figure = (m) => `${m.free.toLocaleString("en").padStart(6)} of ${m.total.toLocaleString("en")} free  ${pct(m).toFixed(1).padStart(5)}%`;
const verdict = (ok) => (ok ? "met" : "NOT met");

async function freePort() {
  const s = dgram.createSocket("udp4");
  await new Promise((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The interpreter with nothing loaded: the peer every figure is read against. */
async function empty(bin, deadline) {
  const e = new Espruino(bin, deadline);
  try {
    return await memory(e, "the empty interpreter's memory");
  } finally {
    e.close();
  }
}

/** agent.js from Storage: memory after start(), and an IP Command ping over loopback UDP. */
async function agentFigures(bin, deadline) {
  const mo = dgram.createSocket("udp4");
  await new Promise((r) => mo.bind(0, "127.0.0.1", r));
  const port = await freePort();
  const e = new Espruino(bin, deadline);
  try {
    const bundle = fs.readFileSync(process.env.ESPRUINO_AGENT_JS ?? path.join(root, "dist/firmware/espruino/agent.js"), "utf8");
    await e.boot(`${bundle}\nsimcmdAgent.start({devicePort:${port},mo:{host:"127.0.0.1",port:${mo.address().port}}});print("[simcmd:"+"started]");\n`);
    await e.waitFor(/\[simcmd:started\]/, 20000, "agent.js start");
    const started = await memory(e, "memory after start()");
    const reply = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("agent.js did not answer the UDP ping within 10 s")), 10000);
      mo.once("message", (m) => (clearTimeout(t), resolve(m.toString())));
    });
    mo.send(Buffer.from("a1 ping"), port, "127.0.0.1");
    return { started, ping: await reply };
  } finally {
    e.close();
    mo.close();
  }
}

/** A webhook receiver for the cloud's from_sim callbacks: resolves each reply by its command id. */
async function hooks() {
  const waiting = new Map();
  const early = new Map();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      res.end("");
      const p = new URLSearchParams(body);
      if (p.get("Direction") !== "from_sim") return;
      const text = req.url === "/ip" ? Buffer.from(p.get("Payload") ?? "", "base64").toString() : (p.get("Payload") ?? "");
      const id = text.split(" ")[0];
      const w = waiting.get(id);
      if (w !== undefined) {
        waiting.delete(id);
        w(text);
      } else early.set(id, text);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    reply(id, ms) {
      if (early.has(id)) {
        const t = early.get(id);
        early.delete(id);
        return Promise.resolve(t);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => (waiting.delete(id), reject(new Error(`no reply to command ${id} within ${ms} ms`))), ms);
        waiting.set(id, (text) => (clearTimeout(t), resolve(text)));
      });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The commands of the soak: IP and SMS alternately, each with a fresh id, cycling through the handlers. */
function soakCommand(i) {
  const id = `k${i}`;
  const body = ["ping", `echo soak ${i}`, "info", `config set apn soak${i}`, "config get apn"][Math.floor(i / 2) % 5];
  return { transport: i % 2 === 0 ? "ip" : "sms", id, payload: `${id} ${body}` };
}

/** The modem agent of `family` from Storage against the virtual modem and the mock cloud. */
async function modemFigures(bin, family, commands, deadline) {
  const cloud = await startCloud({ port: 0, logger: false });
  const hook = await hooks();
  const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
  const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "bench", smsCommandsEnabled: true, ipCommandsUrl: `${hook.url}/ip`, smsCommandsUrl: `${hook.url}/sms` });
  const reg = await client.supersim.v1.sims.create({ iccid: "89883070000000009998", registrationCode: "0" });
  await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: "espruino-bench" });
  const modem = await startModem({ dialect: family, cloud: { url: cloud.url, sim: "espruino-bench", accountSid: cloud.accountSid, authToken: cloud.authToken } });
  const e = new Espruino(bin, deadline);
  const send = (c) =>
    c.transport === "ip"
      ? client.supersim.v1.ipCommands.create({ sim: "espruino-bench", payload: c.payload, devicePort: 6969 })
      : client.supersim.v1.smsCommands.create({ sim: "espruino-bench", payload: c.payload });
  try {
    const bundle = fs.readFileSync(process.env.ESPRUINO_MODEM_JS ?? path.join(root, `dist/firmware/espruino/modem-agent-${family}.js`), "utf8");
    // The start line simcmd flash writes, but for the Linux build's UART on a pty (a path, not pins).
    const start =
      `Serial1.setup(115200,{path:${JSON.stringify(modem.port)}});` +
      `var agent=simcmdModemAgent.start({serial:Serial1,family:${JSON.stringify(family)},onState:function(s){print("[simcmd:"+"state "+s+"]");}});` +
      `print("[simcmd:"+"started]");`;
    await e.boot(`${bundle}\n${start}\n`);
    await e.waitFor(/\[simcmd:started\]/, 20000, `modem-agent-${family}.js start`);
    const started = await memory(e, "memory after start()");
    await e.waitFor(/\[simcmd:state ready\]/, 60000, "the modem bring-up");
    const ready = await memory(e, "memory after the bring-up");
    await send({ transport: "ip", payload: "b1 ping" });
    const ipPing = await hook.reply("b1", 30000);
    await send({ transport: "sms", payload: "b2 ping" });
    const smsPing = await hook.reply("b2", 30000);
    // The soak: two commands in flight (one IP, one SMS), each answered before its transport's next.
    const t0 = Date.now();
    const lanes = [0, 1].map(async (lane) => {
      for (let i = lane; i < commands; i += 2) {
        const c = soakCommand(i);
        await send(c);
        const text = await hook.reply(c.id, 60000);
        if (text !== `${c.id} ok` && !text.startsWith(`${c.id} ok `)) throw new Error(`command ${c.payload} answered ${JSON.stringify(text)}`);
      }
    });
    await Promise.all(lanes);
    const seconds = (Date.now() - t0) / 1000;
    const after = await memory(e, `memory after ${commands} commands`);
    const status = await e.value("agent.status()", "the agent's status");
    return { started, ready, after, ipPing, smsPing, seconds, status };
  } finally {
    e.close();
    await modem.close();
    await hook.close();
    await cloud.close();
  }
}

/**
 * The Linux build's input thread pushes what it reads from stdin and from the UART's pty into the IO ring that
 * the main loop pops, with no lock between them (on a board an interrupt does it, which the main loop can
 * mask). Now and then the two meet and the interpreter stops with `ASSERT(len <= 64) FAILED AT
 * src/jsdevices.c:…`. That is the desktop port, not the bundle: such a run is started again, once, and the
 * figures say so.
 */
const IO_RING_RACE = /ASSERT\([^)]*\) FAILED AT src\/jsdevices\.c:\d+/;

async function againOnRace(what, run) {
  try {
    return await run();
  } catch (e) {
    const m = IO_RING_RACE.exec(e.message);
    if (m === null) throw e;
    console.log(`  (${what}: the interpreter stopped with ${m[0]}, the Linux build's input thread racing its main loop; run again)`);
    return await run();
  }
}

/** Prints the Espruino figures for the interpreter at `bin`. */
export async function espruinoBench(bin) {
  const commands = Number(process.env.ESPRUINO_COMMANDS ?? 1000);
  const family = process.env.ESPRUINO_MODEM ?? "bg96";
  const deadline = Date.now() + Number(process.env.ESPRUINO_MINUTES ?? 30) * 60000;
  console.log(`\nEspruino memory (ESPRUINO_BIN=${bin}; bundles run from Storage, as simcmd flash leaves them)\n`);
  const peer = await againOnRace("the empty interpreter", () => empty(bin, deadline));
  console.log(`  nothing loaded (the peer)     ${figure(peer)}   (${peer.blocksize}-byte variables)`);
  const a = await againOnRace("agent.js", () => agentFigures(bin, deadline));
  console.log(`  agent.js after start()        ${figure(a.started)}   goal ≥ 60%: ${verdict(pct(a.started) >= 60)}; uses ${peer.free - a.started.free} variables`);
  console.log(`                                IP Command over UDP: "a1 ping" → ${JSON.stringify(a.ping)}`);
  const m = await againOnRace(`modem-agent-${family}.js`, () => modemFigures(bin, family, commands, deadline));
  const name = process.env.ESPRUINO_MODEM_JS !== undefined ? path.basename(process.env.ESPRUINO_MODEM_JS) : `modem-agent-${family}.js`;
  console.log(`  ${name.padEnd(22)} after start()   ${figure(m.started)}`);
  console.log(`  ${"".padEnd(22)} after bring-up  ${figure(m.ready)}   goal ≥ 40%: ${verdict(pct(m.ready) >= 40)}; uses ${peer.free - m.ready.free} variables`);
  console.log(`  ${"".padEnd(22)} end to end      IP Command "b1 ping" → ${JSON.stringify(m.ipPing)}; SMS Command "b2 ping" → ${JSON.stringify(m.smsPing)}`);
  const drop = pct(m.ready) - pct(m.after);
  console.log(
    `  ${"".padEnd(22)} after ${commands} commands ${figure(m.after)}   ${drop.toFixed(2)} points less free than after the bring-up (goal ≤ 2: ${verdict(drop <= 2)}); ` +
      `${(m.seconds / Math.max(1, commands)).toFixed(2)} s each, two in flight`,
  );
  console.log(`  ${"".padEnd(22)} the agent's count: ${m.status.handledIp} IP, ${m.status.handledSms} SMS handled, ${m.status.errors} errors${m.status.errors > 0 ? ` (last: ${m.status.lastError})` : ""}`);
}

// Run alone: node bench/espruino.js (ESPRUINO_BIN required).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  if (process.env.ESPRUINO_BIN === undefined) {
    console.error("set ESPRUINO_BIN to an Espruino interpreter built for Linux (see docs/agent.md)");
    process.exit(2);
  }
  await espruinoBench(process.env.ESPRUINO_BIN);
}
