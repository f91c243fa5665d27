// npm run bench:pdu — decodes per second of the fixture set: simcmd vs node-pdu (npm) on Node in the
// same run, timed by this process's CPU time (robust to other load), plus the same firmware decoder
// inside XS (xsnap) and Lua 5.3, timed inside each runtime. With ESPRUINO_BIN naming an Espruino
// interpreter built for Linux (e.g. one with an ESP32's 16,383 variables), the Espruino bundle's variables
// in use before and after 1,000 decodes of the same PDUs, and its decodes/s (bench/pdu-espruino.js).
// It also prints the time per PDU against the 15x target's budget and how much of that budget
// Node's native hex → octets of the same PDUs (decodePdu's first step) takes alone, measured in the
// same rounds. Not a test: it prints numbers. Bounded: each measurement stops after its time or 3,000,000 decodes.
//
//   --before DIR   also measure an earlier build of the codec (DIR = that checkout's dist/, built with
//                  `npm run build`), interleaved in the same rounds: prints before / after on Node, XS
//                  and Lua, and that build's Espruino figures.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "node-pdu";
import { decodePdu } from "../dist/host-tools/pdu/index.js";
import { XsRuntime } from "../dist/host-tools/runtimes/xs.js";
import { LuaRuntime } from "../dist/host-tools/runtimes/lua.js";
import { espruinoMemory } from "./pdu-espruino.js";
import { median } from "./stats.js";

const beforeAt = process.argv.indexOf("--before");
const beforeDir = beforeAt > 0 ? process.argv[beforeAt + 1] : undefined;
if (beforeAt > 0 && beforeDir === undefined) throw new Error("--before needs an earlier build's dist/ directory");
const before = beforeDir === undefined ? null : (await import(pathToFileURL(path.resolve(beforeDir, "host-tools/pdu/index.js")).href)).decodePdu;

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

const fmt = (x) => Math.round(x).toLocaleString("en").padStart(12);

const simcmd = (h) => decodePdu(h, { smsc: true });
const nodePdu = (h) => parse(h);
const earlier = before === null ? null : (h) => before(h, { smsc: true });
// A floor, not a competitor: Node's native hex → octets of the same PDUs, the first step of every
// decodePdu call here (host-tools/pdu/index.ts), so the bench shows how much of the target's time
// budget that step alone takes.
const HEX_SCRATCH = Buffer.allocUnsafe(1024);
const hexOnly = (h) => HEX_SCRATCH.write(h, 0, "hex");
/** The target: simcmd's decodes per second over node-pdu's. */
const TARGET_X = 15;
for (let i = 0; i < 5000; i++) {
  simcmd(hexes[i % hexes.length]); // warm up all
  nodePdu(hexes[i % hexes.length]);
  hexOnly(hexes[i % hexes.length]);
  earlier?.(hexes[i % hexes.length]);
}
// Interleaved rounds (the order alternating), so load from anything else on the machine hits all alike.
const ROUNDS = before === null ? 7 : 15;
const ROUND_MS = before === null ? 300 : 150;
const ours = [];
const peer = [];
const old = [];
const hexFloor = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    ours.push(rate(simcmd, ROUND_MS));
    if (earlier) old.push(rate(earlier, ROUND_MS));
  } else {
    if (earlier) old.push(rate(earlier, ROUND_MS));
    ours.push(rate(simcmd, ROUND_MS));
  }
  peer.push(rate(nodePdu, ROUND_MS));
  hexFloor.push(rate(hexOnly, ROUND_MS));
}
const ratios = ours.map((o, i) => o / peer[i]);
const range = (xs) => `rounds ${Math.min(...xs).toFixed(1)}x-${Math.max(...xs).toFixed(1)}x`;
console.log(`fixture PDUs both libraries decode: ${hexes.length} of ${vectors.length}; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms CPU time, medians:\n`);
console.log(`${"simcmd (Node)".padEnd(30)} ${fmt(median(ours))} decodes per CPU-second`);
if (earlier) console.log(`${"simcmd before (Node)".padEnd(30)} ${fmt(median(old))} decodes per CPU-second  (${beforeDir})`);
console.log(`${"node-pdu 2.x (Node)".padEnd(30)} ${fmt(median(peer))} decodes per CPU-second`);
console.log(`\nsimcmd / node-pdu on Node: ${median(ratios).toFixed(1)}x median (${range(ratios)}; target >= ${TARGET_X}x)`);
{
  const ns = (perSecond) => 1e9 / perSecond;
  const budget = ns(median(peer)) / TARGET_X;
  const hexNs = ns(median(hexFloor));
  console.log(
    `time per PDU: simcmd ${ns(median(ours)).toFixed(0)} ns; the ${TARGET_X}x target allows ${budget.toFixed(0)} ns, ` +
      `of which Node's native hex → octets alone takes ${hexNs.toFixed(0)} ns (${((100 * hexNs) / budget).toFixed(0)}%)`,
  );
}
if (earlier) {
  const oldRatios = old.map((o, i) => o / peer[i]);
  const gains = ours.map((o, i) => o / old[i]);
  console.log(`before / node-pdu on Node: ${median(oldRatios).toFixed(1)}x median (${range(oldRatios)})`);
  console.log(`after / before on Node:    ${median(gains).toFixed(2)}x median (${range(gains)})`);
}
console.log("");
const oursMedian = median(ours);

/**
 * Decodes per second inside a device runtime, timed by its own clock: 5 rounds of 400 ms, medians; with
 * --before, the earlier build's bundle runs in its own child, the rounds alternating between the two.
 */
async function inRuntime(label, start, beforeBundle) {
  const rts = [];
  try {
    rts.push(await start(undefined));
    if (beforeBundle !== undefined) rts.push(await start(beforeBundle));
    const rates = rts.map(() => []);
    for (let r = 0; r < 5; r++) {
      const order = r % 2 === 0 ? rts.map((_, i) => i) : rts.map((_, i) => i).reverse();
      for (const i of order) {
        const res = await rts[i].request({ op: "bench", items: hexes, ms: 400 });
        rates[i].push(res.decoded / (res.ms / 1000));
      }
    }
    const now = median(rates[0]);
    console.log(`${label.padEnd(30)} ${fmt(now)} decodes/s  (${(now / oursMedian).toFixed(2)}x Node simcmd)`);
    if (rates.length > 1) {
      const gains = rates[0].map((x, i) => x / rates[1][i]);
      console.log(`${(label + " before").padEnd(30)} ${fmt(median(rates[1]))} decodes/s  (after / before ${median(gains).toFixed(2)}x median)`);
    }
  } catch (e) {
    console.log(`${label.padEnd(30)} unavailable: ${e.message}`);
  } finally {
    for (const rt of rts) await rt.close();
  }
}
const beforeFile = (rel) => (beforeDir === undefined ? undefined : path.resolve(beforeDir, rel));
await inRuntime("simcmd in XS (xsnap)", (bundle) => XsRuntime.start({ bundle }), beforeFile("firmware/xs/pdu.js"));
await inRuntime("simcmd in Lua 5.3", (script) => LuaRuntime.start({ script }), beforeFile("firmware/lua/pdu.lua"));

/** The Espruino bundle's variables in use around 1,000 decodes (target: no growth), and its decodes/s. */
const ESPRUINO_DECODES = 1000;
const espruinoBin = process.env.ESPRUINO_BIN;
if (espruinoBin === undefined || espruinoBin === "") {
  console.log(`${"simcmd in Espruino".padEnd(30)} skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux to measure its variables`);
} else {
  const builds = [["", path.resolve(path.dirname(new URL(import.meta.url).pathname), "../dist/firmware/espruino/pdu.js")]];
  if (beforeDir !== undefined) builds.push([" before", path.resolve(beforeDir, "firmware/espruino/pdu.js")]);
  for (const [tag, file] of builds) {
    const label = `simcmd in Espruino${tag}`;
    try {
      const m = await espruinoMemory(espruinoBin, file, hexes, ESPRUINO_DECODES);
      const n = (x) => x.toLocaleString("en");
      const growth = m.after - m.warm;
      console.log(`${label.padEnd(30)} ${fmt(m.perSecond)} decodes/s  (${path.basename(espruinoBin)}, ${n(m.total)} variables, bundle ${n(readFileSync(file).length)} bytes)`);
      console.log(
        `${"".padEnd(30)} variables in use: ${n(m.warm)} before, ${n(m.after)} after ${n(ESPRUINO_DECODES)} decodes: ${growth >= 0 ? "+" : ""}${growth} (target: no growth)` +
          `; loaded ${n(m.loaded)}, +${n(m.warm - m.loaded)} kept by the first pass over the ${hexes.length} PDUs`,
      );
    } catch (e) {
      console.log(`${label.padEnd(30)} unavailable: ${e.message}`);
    }
  }
}
