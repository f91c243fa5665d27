// npm run bench:pdu — decodes per second of the fixture set: simcmd vs node-pdu (npm) on Node in the
// same run, timed by this process's CPU time (robust to other load), plus the same firmware decoder
// inside XS (xsnap) and Lua 5.3, timed inside each runtime.
// Not a test: it prints numbers. Bounded: each measurement stops after its time or 3,000,000 decodes.
import { readFileSync } from "node:fs";
import { parse } from "node-pdu";
import { decodePdu } from "../dist/host-tools/pdu/index.js";
import { XsRuntime } from "../dist/host-tools/runtimes/xs.js";
import { LuaRuntime } from "../dist/host-tools/runtimes/lua.js";

const vectors = JSON.parse(readFileSync(new URL("../test/fixtures/pdu-vectors.json", import.meta.url), "utf8"));

// node-pdu needs the SMSC field and handles DELIVER, SUBMIT and STATUS-REPORT: compare on the
// vectors both libraries decode, so each does the same work.
const shared = vectors.filter((v) => {
  if (!v.smsc || v.expect.error !== undefined) return false;
  try {
    parse(v.pdu);
    decodePdu(v.pdu, { smsc: true, direction: v.direction });
    return true;
  } catch {
    return false;
  }
});
const hexes = shared.map((v) => v.pdu);

/** This process's CPU time in ms: unlike wall time, it does not grow while other processes hold the cores. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Decodes per CPU-second of `fn` over the shared set for about `ms` of CPU time (bounded by 3,000,000 decodes). */
function rate(fn, ms) {
  let n = 0;
  const start = cpuMs();
  let now = start;
  while (now - start < ms && n < 3_000_000) {
    for (let i = 0; i < hexes.length; i++) fn(hexes[i]);
    n += hexes.length;
    now = cpuMs();
  }
  return n / ((now - start) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => Math.round(x).toLocaleString("en").padStart(12);

const simcmd = (h) => decodePdu(h, { smsc: true });
const nodePdu = (h) => parse(h);
for (let i = 0; i < 5000; i++) {
  simcmd(hexes[i % hexes.length]); // warm up both
  nodePdu(hexes[i % hexes.length]);
}
// Interleaved rounds, so load from anything else on the machine hits both alike.
const ROUNDS = 7;
const ours = [];
const peer = [];
for (let r = 0; r < ROUNDS; r++) {
  ours.push(rate(simcmd, 300));
  peer.push(rate(nodePdu, 300));
}
const ratios = ours.map((o, i) => o / peer[i]);
console.log(`fixture PDUs both libraries decode: ${hexes.length} of ${vectors.length}; ${ROUNDS} interleaved rounds of 300 ms CPU time, medians:\n`);
console.log(`${"simcmd (Node)".padEnd(30)} ${fmt(median(ours))} decodes per CPU-second`);
console.log(`${"node-pdu 2.x (Node)".padEnd(30)} ${fmt(median(peer))} decodes per CPU-second`);
console.log(`\nsimcmd / node-pdu on Node: ${median(ratios).toFixed(1)}x median (rounds ${Math.min(...ratios).toFixed(1)}x-${Math.max(...ratios).toFixed(1)}x; target >= 10x)\n`);
const oursMedian = median(ours);

async function inRuntime(label, start) {
  let rt;
  try {
    rt = await start();
    const r = await rt.request({ op: "bench", items: hexes, ms: 1000 });
    const perSec = r.decoded / (r.ms / 1000);
    console.log(`${label.padEnd(30)} ${fmt(perSec)} decodes/s  (${(perSec / oursMedian).toFixed(2)}x Node simcmd)`);
  } catch (e) {
    console.log(`${label.padEnd(30)} unavailable: ${e.message}`);
  } finally {
    await rt?.close();
  }
}
await inRuntime("simcmd in XS (xsnap)", () => XsRuntime.start());
await inRuntime("simcmd in Lua 5.3", () => LuaRuntime.start());
