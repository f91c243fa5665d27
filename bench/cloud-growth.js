// npm run bench:cloud -- --records 1000000 — the mock cloud with history: how its cost grows with what it
// stores. Not a test: it prints numbers. Bounded: seeding is one pass of big transactions, every measure
// runs for a fixed time.
//
// Two clouds, each in a child process of its own (bench/cloud-child.js; autocannon runs in this one, so the
// load generator's garbage collection and the seeding's never land in a request's latency): one empty, one
// seeded through the store (bench/cloud-seed.js, in transactions of 50,000 rows) with --records IpCommands
// (default 1,000,000) over --sims Super SIMs (default 1,000) and a tenth as many Wireless Commands; a tenth
// of each are older than the 30-day retention. Then, in order:
//   1. the retention purge: the first request starts it; a steady GET load in 2 s runs until it is done,
//      each run followed by the same run on the empty cloud (the peer: what this machine's noise alone does
//      to the longest request); printed: the longest request during the purge (target ≤ 50 ms) beside the
//      empty cloud's;
//   2. IpCommand creates/s on the seeded cloud vs the empty one, BENCH_ROUNDS interleaved rounds (default 5),
//      medians (target: within 20%), with each cloud's CPU µs per create;
//   3. filtered lists of the seeded cloud — IpCommands by Sim, by Status, Wireless Commands by Status — p50/p99
//      over one connection (target p99 < 20 ms).
//
//   --records N   IpCommands to seed (e.g. 100000 for a quick run)
//   --sims N      Super SIMs they spread over
//   --dist DIR    run the clouds from another build's dist/
//   BENCH_CREATE_PROF=DIR  a CPU profile of each cloud over the create rounds (DIR/creates-empty|history.cpuprofile)
import autocannon from "autocannon";
import { child, cloudApi } from "./cloud-procs.js";
import { median } from "./stats.js";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}
const RECORDS = arg("--records", 1_000_000);
const SIMS = Math.min(arg("--sims", 1000), RECORDS);
const WIRELESS = Math.max(1, Math.floor(RECORDS / 10));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const CREATE_PROF = process.env.BENCH_CREATE_PROF;
const distAt = process.argv.indexOf("--dist");
const dist = distAt > 0 ? process.argv[distAt + 1] : undefined;

const run = (opts) =>
  new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res))));
const n = (x) => Math.round(x).toLocaleString("en");

/** A cloud in its own process with one active Super SIM in a Fleet (for the creates), and what a create request needs. */
async function cloudWithSim(name) {
  // The record cap must not trim the seeded history.
  const proc = await child("cloud", { dist, env: { BENCH_MAX_RECORDS: String(RECORDS * 2 + 10) } });
  const api = cloudApi(proc.ready);
  const fleet = await api("POST", "/supersim/v1/Fleets", { NetworkAccessProfile: "bench" });
  const reg = await api("POST", "/supersim/v1/Sims", { Iccid: "89883070000000009999", RegistrationCode: "0" });
  const sim = await api("POST", `/supersim/v1/Sims/${reg.sid}`, { Fleet: fleet.sid, Status: "active", UniqueName: name });
  const url = proc.ready.url;
  const create = {
    url: `${url}/supersim/v1/IpCommands`,
    method: "POST",
    headers: api.headers,
    body: `Sim=${sim.sid}&Payload=${encodeURIComponent("checkin: firmware update")}&DevicePort=6969`,
  };
  return { proc, url, fleet, sim, headers: api.headers, create };
}

const [empty, big] = await Promise.all([cloudWithSim("bench-empty"), cloudWithSim("bench-big")]);
// Warm up both clouds (the JIT, and what fastify builds at a route's first request) before the seeding, so
// the purge measure below sees the purge and nothing else.
const latestSid = async (c) => (await c.proc.call("latest")).sid;
for (const c of [empty, big]) {
  await run({ ...c.create, duration: 0.5 });
  await run({ url: `${c.url}/supersim/v1/IpCommands/${await latestSid(c)}`, headers: c.headers, duration: 0.5 });
}
console.log(`bench:cloud --records ${n(RECORDS)}: ${n(RECORDS)} IpCommands over ${n(SIMS)} Super SIMs + ${n(WIRELESS)} Wireless Commands, a tenth of each past the 30-day retention; each cloud in its own process`);
const seeded = await big.proc.call("seed", { records: RECORDS, sims: SIMS, wirelessRecords: WIRELESS, fleetSid: big.fleet.sid });
// The seeding's garbage is the bench's, not the cloud's: collected in both processes before the measures.
await Promise.all([big.proc.call("gc"), empty.proc.call("gc")]);
console.log(`seeded through the stores in ${(seeded.ipMs / 1000).toFixed(1)} s (IpCommands) + ${(seeded.wlMs / 1000).toFixed(1)} s (Wireless Commands), RSS of the seeded cloud ${n(seeded.rssMb)} MB`);

// 1. The retention purge under a steady load of cheap requests (the first request starts it), in 2 s runs
// until no expired row is left (at most 5 minutes); each run is followed by the same load on the empty cloud.
const expired = async (c) => (await c.proc.call("expired")).left;
const [ipOld, wlOld] = await expired(big);
const getLoad = async (c) => ({ url: `${c.url}/supersim/v1/IpCommands/${await latestSid(c)}`, headers: c.headers, duration: 2 });
const loads = { big: await getLoad(big), empty: await getLoad(empty) };
const purgeStart = performance.now();
const worst = { big: { max: 0, p99: 0, n: 0, maxes: [], stalls: [] }, empty: { max: 0, p99: 0, n: 0, maxes: [], stalls: [] } };
let left = [ipOld, wlOld];
let purgeS = 0;
while ((left[0] > 0 || left[1] > 0 || worst.big.n === 0) && performance.now() - purgeStart < 300_000) {
  for (const name of ["big", "empty"]) {
    const proc = (name === "big" ? big : empty).proc;
    await proc.call("stalls"); // from here on: what happens during the run (not the bench's own queries between runs)
    const res = await run(loads[name]);
    const w = worst[name];
    w.max = Math.max(w.max, res.latency.max);
    w.p99 = Math.max(w.p99, res.latency.p99);
    w.maxes.push(res.latency.max);
    w.stalls.push(await proc.call("stalls"));
    w.n += 1;
    if (name === "big") {
      left = await expired(big);
      if (left[0] === 0 && left[1] === 0 && purgeS === 0) purgeS = (performance.now() - purgeStart) / 1000;
    }
  }
}
console.log(`\n1. retention purge of ${n(ipOld)} IpCommands + ${n(wlOld)} Wireless Commands under GET load (${CONNECTIONS} connections, ${worst.big.n} runs of 2 s):`);
console.log(`   during the purge: longest request ${worst.big.max} ms (target <= 50 ms), worst p99 ${worst.big.p99} ms; done within ${purgeS.toFixed(1)} s, expired rows left: ${n(left[0])} + ${n(left[1])}`);
console.log(`   empty cloud, runs in between: longest request ${worst.empty.max} ms, worst p99 ${worst.empty.p99} ms (this machine's noise)`);
console.log(`   longest request per run, purging / empty: ${worst.big.maxes.map((m, i) => `${m}/${worst.empty.maxes[i]}`).join(", ")} ms`);
const stallText = (s) => `${s.loopMaxMs}${s.gcMs.length > 0 ? ` (GC ${s.gcMs.join("+")})` : ""}`;
console.log(`   the servers' longest event-loop delay per run, purging / empty: ${worst.big.stalls.map((s, i) => `${stallText(s)}/${stallText(worst.empty.stalls[i])}`).join(", ")} ms`);
const purgeTurns = worst.big.stalls.map((s) => s.purgeTurnMaxMs);
console.log(`   the purge's own longest step (its DELETE batches in one event-loop turn) per run: ${purgeTurns.join(", ")} ms; longest ${Math.max(...purgeTurns)} ms`);

// 2. Create rate, seeded vs empty, interleaved.
await run({ ...empty.create, duration: 1 });
await run({ ...big.create, duration: 1 });
const rates = { empty: [], big: [], bigP99: [], emptyP99: [], emptyCpu: [], bigCpu: [] };
if (CREATE_PROF) await Promise.all([empty.proc.call("profStart"), big.proc.call("profStart")]);
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? ["empty", "big"] : ["big", "empty"]) {
    const c = name === "empty" ? empty : big;
    const cpu0 = await c.proc.cpuMs();
    const res = await run({ ...c.create, duration: ROUND_SECONDS });
    const cpu1 = await c.proc.cpuMs();
    rates[name].push(res.requests.average);
    rates[`${name}P99`].push(res.latency.p99);
    rates[`${name}Cpu`].push(((cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1000) / Math.max(1, res.requests.total));
  }
}
if (CREATE_PROF) for (const [name, c] of [["empty", empty], ["history", big]]) await c.proc.call("profStop", { file: `${CREATE_PROF}/creates-${name}.cpuprofile` });
const ratios = rates.big.map((b, i) => b / rates.empty[i]);
const ratio = median(ratios);
console.log(`\n2. IpCommand creates, ${ROUNDS} interleaved rounds × ${ROUND_SECONDS} s, ${CONNECTIONS} connections (medians):`);
console.log(`   empty store  ${n(median(rates.empty)).padStart(6)} req/s  p99 ${median(rates.emptyP99)} ms  cloud CPU ${Math.round(median(rates.emptyCpu))} µs per create`);
console.log(`   with history ${n(median(rates.big)).padStart(6)} req/s  p99 ${median(rates.bigP99)} ms  cloud CPU ${Math.round(median(rates.bigCpu))} µs per create`);
console.log(`   with history / empty: ${(ratio * 100).toFixed(1)}% (range ${(Math.min(...ratios) * 100).toFixed(1)}–${(Math.max(...ratios) * 100).toFixed(1)}%; target >= 80%)`);

// 3. Filtered lists on the seeded cloud.
const lists = {
  "IpCommands?Sim=": `${big.url}/supersim/v1/IpCommands?Sim=${seeded.simSids[0]}`,
  "IpCommands?Status=failed": `${big.url}/supersim/v1/IpCommands?Status=failed`,
  "IpCommands?Status=queued&Sim=": `${big.url}/supersim/v1/IpCommands?Status=queued&Sim=${seeded.simSids[1]}`,
  "Wireless Commands?Status=failed": `${big.url}/wireless/v1/Commands?Status=failed`,
};
console.log(`\n3. filtered lists (first page of 50), 1 connection, 2 s each (target p99 < 20 ms):`);
for (const [name, url] of Object.entries(lists)) {
  const res = await run({ url, headers: big.headers, duration: 2, connections: 1 });
  console.log(`   ${name.padEnd(32)} p50 ${String(res.latency.p50).padStart(3)} ms  p99 ${String(res.latency.p99).padStart(3)} ms  max ${res.latency.max} ms  ${n(res.requests.average)} req/s  non-2xx ${res.non2xx}`);
}

await Promise.all([empty.proc.close(), big.proc.close()]);
