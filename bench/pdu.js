// npm run bench:pdu — decodes per second of the fixture set: simcmd vs node-pdu (npm) on Node in the
// same run, plus the same firmware decoder inside XS (xsnap) and Lua 5.3, timed inside each runtime.
// Not a test: it prints numbers. Bounded: each measurement stops after ~1 s or 3,000,000 decodes.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
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

function rate(label, fn) {
  for (let i = 0; i < 2000; i++) fn(hexes[i % hexes.length]); // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < 1000 && n < 3_000_000) {
    for (let i = 0; i < hexes.length; i++) fn(hexes[i]);
    n += hexes.length;
    now = performance.now();
  }
  const perSec = n / ((now - start) / 1000);
  console.log(`${label.padEnd(30)} ${Math.round(perSec).toLocaleString("en").padStart(12)} decodes/s`);
  return perSec;
}

console.log(`fixture PDUs both libraries decode: ${hexes.length} of ${vectors.length}\n`);
const ours = rate("simcmd (Node)", (h) => decodePdu(h, { smsc: true }));
const peer = rate("node-pdu 2.x (Node)", (h) => parse(h));
console.log(`\nsimcmd / node-pdu on Node: ${(ours / peer).toFixed(1)}x (target ≥ 10x)\n`);

async function inRuntime(label, start) {
  let rt;
  try {
    rt = await start();
    const r = await rt.request({ op: "bench", items: hexes, ms: 1000 });
    const perSec = r.decoded / (r.ms / 1000);
    console.log(`${label.padEnd(30)} ${Math.round(perSec).toLocaleString("en").padStart(12)} decodes/s  (${(perSec / ours).toFixed(2)}x Node simcmd)`);
  } catch (e) {
    console.log(`${label.padEnd(30)} unavailable: ${e.message}`);
  } finally {
    await rt?.close();
  }
}
await inRuntime("simcmd in XS (xsnap)", () => XsRuntime.start());
await inRuntime("simcmd in Lua 5.3", () => LuaRuntime.start());
