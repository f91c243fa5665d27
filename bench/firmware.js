// npm run bench:firmware — the device budgets, measured in one run:
//  - bundle sizes per target: the Espruino bundles as built (minified by terser), the others raw and
//    with comments and white space removed (acorn tokens re-joined, names kept), against the goals;
//  - XS heap after the agent starts, as XS reports it (xsnap's `allocate`), against the goal and
//    against an empty XS machine measured the same way;
//  - commands handled per second inside XS, inside Lua 5.3 and on Node (the named peer: the same
//    agent code on V8), each timed by its own runtime's clock. Not a test: it prints numbers.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tokenizer } from "acorn";
import { startAgent } from "../dist/host-tools/device-host/agent-runtime.js";
import { XsRuntime } from "../dist/host-tools/runtimes/xs.js";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const KB = (n) => (n / 1024).toFixed(1).padStart(7) + " KB";

function minified(code) {
  let out = "";
  let prev = "";
  for (const t of tokenizer(code, { ecmaVersion: 5 })) {
    const text = code.slice(t.start, t.end);
    const word = /^[\w$]/.test(text);
    if (word && /[\w$]$/.test(prev)) out += " ";
    out += text;
    prev = text;
  }
  return out.length;
}

console.log("Bundle sizes (dist/firmware/)\n");
for (const target of ["espruino", "xs", "lua"]) {
  const dir = path.join(root, "dist/firmware", target);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".js") || f.endsWith(".lua"))) {
    const code = fs.readFileSync(path.join(dir, f), "utf8");
    const name = (target + "/" + f).padEnd(32);
    if (target === "espruino") {
      const goal = f === "agent.js" ? `  (goal ≤ 48 KB minified: ${code.length <= 48 * 1024 ? "met" : "NOT met"})` : "";
      console.log(`  ${name} ${KB(code.length)} minified (terser)${goal}`);
      continue;
    }
    const min = f.endsWith(".js") ? minified(code) : null;
    console.log(`  ${name} ${KB(code.length)} raw${min === null ? "" : `, ${KB(min)} without comments and white space`}`);
  }
}

// XS heap: an empty machine vs the agent after init and one command, as XS reports them. xsnap's
// `allocate` is the arena XS reserved (the same for both), so the measure is the live slot count
// (`currentHeapCount`). An XS slot is 16 bytes on 32-bit devices such as the ESP32 and 32 bytes on
// 64-bit hosts like this one; chunks (strings, array items, byte code) are not in the count.
const SLOT_DEVICE = 16;
const SLOT_HOST = 32;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-bench-"));
const empty = path.join(tmp, "empty.js");
fs.writeFileSync(empty, "function handleCommand(m) { return new TextEncoder().encode('{}').buffer; }\n");
const bare = await XsRuntime.start({ bundle: empty });
await bare.request({});
const bareMeter = bare.lastMeter;
await bare.close();
const xsAgent = await XsRuntime.start({ bundle: path.join(root, "dist/firmware/xs/agent.js") });
await xsAgent.request({ op: "init", info: { version: "0.1.0", runtime: "xs", modem: "none" } });
await xsAgent.request({ op: "ip", hex: Buffer.from("1 ping").toString("hex") });
const agentMeter = xsAgent.lastMeter;
await xsAgent.close();
const slots = (agentMeter?.currentHeapCount ?? NaN) - (bareMeter?.currentHeapCount ?? NaN);
console.log(`\nXS heap            empty machine ${bareMeter?.currentHeapCount} live slots, agent started ${agentMeter?.currentHeapCount}: the agent adds ${slots} slots`);
console.log(`                   = ${KB(slots * SLOT_DEVICE)} on an ESP32 (16-byte slots; goal ≤ 64 KB: ${slots * SLOT_DEVICE <= 64 * 1024 ? "met" : "NOT met"}), ${KB(slots * SLOT_HOST)} on this 64-bit host`);

// Commands per second, timed inside each runtime (1 s each, bounded by 1,000,000 commands).
const ping = Buffer.from("ping").toString("hex");
const rates = {};
for (const runtime of ["node", "xs", "lua"]) {
  const agent = await startAgent(runtime, { version: "0.1.0", runtime, modem: "none" }, undefined);
  const r = await agent.xs?.request?.({ op: "bench", hex: ping, ms: 1000 }) ?? agent.service.run({ op: "bench", hex: ping, ms: 1000 });
  rates[runtime] = r.handled / (r.ms / 1000);
  await agent.close();
}
console.log("\nCommands handled per second (text `ping`, no id; timed inside each runtime)");
for (const [k, v] of Object.entries(rates)) {
  console.log(`  ${k.padEnd(5)} ${Math.round(v).toLocaleString("en").padStart(10)}/s   ${(v / rates.node).toFixed(3)}x Node (same agent code on V8)`);
}
fs.rmSync(tmp, { recursive: true, force: true });

// Real Espruino, when ESPRUINO_BIN names an interpreter built for Linux (bench/espruino.js).
if (process.env.ESPRUINO_BIN !== undefined && process.env.ESPRUINO_BIN !== "") {
  const { espruinoBench } = await import("./espruino.js");
  await espruinoBench(process.env.ESPRUINO_BIN);
} else {
  console.log("\nEspruino memory: set ESPRUINO_BIN to an Espruino interpreter built for Linux with the ESP32's 16383 variables (docs/agent.md) to measure it.");
}
