// npm run bench:cloud -- --records 1000000 — the mock cloud with history: how its cost grows with what it
// stores. Not a test: it prints numbers. Bounded: seeding is one pass of big transactions, every measure
// runs for a fixed time.
//
// Two clouds in this process: one empty, one seeded through the store (products/*/store.ts, in transactions
// of 50,000 rows) with --records IpCommands (default 1,000,000) over --sims Super SIMs (default 1,000) and a
// tenth as many Wireless Commands; a tenth of each are older than the 30-day retention. Then, in order:
//   1. the retention purge: the first request starts it; a steady GET load until it is done gives the longest
//      request (target ≤ 50 ms);
//   2. IpCommand creates/s on the seeded cloud vs the empty one, BENCH_ROUNDS interleaved rounds (default 5),
//      medians (target: within 20%);
//   3. filtered lists of the seeded cloud — IpCommands by Sim, by Status, Wireless Commands by Status — p50/p99
//      over one connection (target p99 < 20 ms).
//
//   --records N   IpCommands to seed (e.g. 100000 for a quick run)
//   --sims N      Super SIMs they spread over
import autocannon from "autocannon";
import { startCloud } from "../dist/host-tools/cloud/index.js";
import { twilioClient } from "../dist/host-tools/platform/twilio-client.js";
import * as supersim from "../dist/host-tools/cloud/products/supersim/store.js";
import * as wireless from "../dist/host-tools/cloud/products/wireless/store.js";

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
const BATCH = 50_000;
const DAY = 24 * 3600 * 1000;

const run = (opts) =>
  new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res))));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const n = (x) => Math.round(x).toLocaleString("en");

/** A cloud with one active Super SIM in a Fleet (for the creates), and what a create request needs. */
async function cloudWithSim(name) {
  // The record cap must not trim the seeded history.
  const cloud = await startCloud({ port: 0, logger: false, maxRecords: RECORDS * 2 + 10 });
  const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
  const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "bench" });
  const reg = await client.supersim.v1.sims.create({ iccid: "89883070000000009999", registrationCode: "0" });
  const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: name });
  const headers = {
    authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"),
    "content-type": "application/x-www-form-urlencoded",
  };
  const create = {
    url: `${cloud.url}/supersim/v1/IpCommands`,
    method: "POST",
    headers,
    body: `Sim=${sim.sid}&Payload=${encodeURIComponent("checkin: firmware update")}&DevicePort=6969`,
  };
  return { cloud, fleet, sim, headers, create };
}

const IP_STATUSES = ["sent", "sent", "sent", "received", "received", "failed", "queued", "sent", "received", "sent"];
const WL_STATUSES = ["delivered", "sent", "received", "failed", "queued"];

/** Seeds the history through the stores; rows i < 10% are older than the retention, the rest within it. */
function seed(ctx, fleetSid) {
  const t0 = performance.now();
  const now = Date.now();
  const ageOf = (i, total) => (i < total / 10 ? 40 * DAY - (i / total) * DAY : ((total - i) / total) * 27 * DAY);
  const simSids = [];
  ctx.db.transaction(() => {
    for (let s = 0; s < SIMS; s++) {
      const sid = ctx.sid("HS");
      supersim.insertSim(ctx, sid, "8988307" + String(s).padStart(12, "0"), now);
      supersim.updateSim(ctx, sid, { unique_name: `seed-${s}`, status: "active", fleet_sid: fleetSid }, now);
      simSids.push(sid);
    }
  })();
  for (let start = 0; start < RECORDS; start += BATCH) {
    ctx.db.transaction(() => {
      for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) {
        const t = Math.round(now - ageOf(i, RECORDS));
        const simSid = simSids[i % SIMS];
        const status = IP_STATUSES[i % IP_STATUSES.length];
        supersim.createIpCommand(
          ctx,
          {
            seq: 0, sid: ctx.sid("HG"), sim_sid: simSid, sim_iccid: null, status, direction: status === "received" ? "from_sim" : "to_sim",
            device_ip: "10.0.0.1", device_port: 6969, payload_type: "text", payload: "checkin: firmware update", callback_url: null,
            callback_method: "POST", created_ms: t, updated_ms: t,
          },
          { sid: simSid, status: "active" },
        );
      }
    })();
  }
  const t1 = performance.now();
  // Wireless: one SIM, and Commands created at their seeded time through the store (its clock is ctx.now).
  const wlSim = "DE" + "0".repeat(32);
  wireless.insertSim(ctx, { sid: wlSim, unique_name: "seed", friendly_name: null, iccid: "8901000000000000001", status: "active",
    commands_callback_url: null, commands_callback_method: "POST" }, now);
  const sim = wireless.simBySid(ctx, wlSim);
  for (let start = 0; start < WIRELESS; start += BATCH) {
    ctx.db.transaction(() => {
      for (let i = start; i < Math.min(WIRELESS, start + BATCH); i++) {
        const t = Math.round(now - ageOf(i, WIRELESS));
        const at = { ...ctx, now: () => new Date(t) };
        const status = WL_STATUSES[i % WL_STATUSES.length];
        wireless.createCommandRow(at, sim, { command: "ping", command_mode: "text", delivery_receipt_requested: 1, status,
          direction: status === "received" ? "from_sim" : "to_sim", callback_url: null, callback_method: "POST" });
      }
    })();
  }
  const t2 = performance.now();
  return { simSids, ipMs: t1 - t0, wlMs: t2 - t1 };
}

const expired = (ctx) => {
  const cutoff = Date.now() - ctx.retentionMs;
  return ["ss_ip_commands", "wireless_commands"].map((t) => ctx.db.prepare(`SELECT COUNT(*) AS c FROM ${t} WHERE created_ms < ?`).get(cutoff).c);
};

const empty = await cloudWithSim("bench-empty");
const big = await cloudWithSim("bench-big");
// Warm up both clouds (the JIT, and what fastify builds at a route's first request) before the seeding, so
// the purge measure below sees the purge and nothing else.
const latestSid = (cloud) => cloud.ctx.db.prepare("SELECT sid FROM ss_ip_commands ORDER BY seq DESC LIMIT 1").get()?.sid;
for (const c of [empty, big]) {
  await run({ ...c.create, duration: 0.5 });
  await run({ url: `${c.cloud.url}/supersim/v1/IpCommands/${latestSid(c.cloud)}`, headers: c.headers, duration: 0.5 });
}
console.log(`bench:cloud --records ${n(RECORDS)}: ${n(RECORDS)} IpCommands over ${n(SIMS)} Super SIMs + ${n(WIRELESS)} Wireless Commands, a tenth of each past the 30-day retention`);
const seeded = seed(big.cloud.ctx, big.fleet.sid);
console.log(`seeded through the stores in ${(seeded.ipMs / 1000).toFixed(1)} s (IpCommands) + ${(seeded.wlMs / 1000).toFixed(1)} s (Wireless Commands), RSS ${n(process.memoryUsage().rss / 1e6)} MB`);

// 1. The retention purge under a steady load of cheap requests (the first request starts it), in 2 s runs
// until no expired row is left (at most 5 minutes); each run is followed by the same load on the empty cloud,
// the peer that shows what this machine's noise alone does to the longest request.
const [ipOld, wlOld] = expired(big.cloud.ctx);
const getLoad = (c) => ({ url: `${c.cloud.url}/supersim/v1/IpCommands/${latestSid(c.cloud)}`, headers: c.headers, duration: 2 });
const purgeStart = performance.now();
const worst = { big: { max: 0, p99: 0, n: 0 }, empty: { max: 0, p99: 0, n: 0 } };
let left = [ipOld, wlOld];
let purgeS = 0;
while ((left[0] > 0 || left[1] > 0 || worst.big.n === 0) && performance.now() - purgeStart < 300_000) {
  for (const name of ["big", "empty"]) {
    const res = await run(getLoad(name === "big" ? big : empty));
    const w = worst[name];
    w.max = Math.max(w.max, res.latency.max);
    w.p99 = Math.max(w.p99, res.latency.p99);
    w.n += 1;
    if (name === "big") {
      left = expired(big.cloud.ctx);
      if (left[0] === 0 && left[1] === 0 && purgeS === 0) purgeS = (performance.now() - purgeStart) / 1000;
    }
  }
}
console.log(`\n1. retention purge of ${n(ipOld)} IpCommands + ${n(wlOld)} Wireless Commands under GET load (${CONNECTIONS} connections, ${worst.big.n} runs of 2 s):`);
console.log(`   during the purge: longest request ${worst.big.max} ms (target <= 50 ms), worst p99 ${worst.big.p99} ms; done within ${purgeS.toFixed(1)} s, expired rows left: ${n(left[0])} + ${n(left[1])}`);
console.log(`   empty cloud, runs in between: longest request ${worst.empty.max} ms, worst p99 ${worst.empty.p99} ms (this machine's noise)`);

// 2. Create rate, seeded vs empty, interleaved.
await run({ ...empty.create, duration: 1 });
await run({ ...big.create, duration: 1 });
const rates = { empty: [], big: [], bigP99: [], emptyP99: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? ["empty", "big"] : ["big", "empty"]) {
    const res = await run({ ...(name === "empty" ? empty : big).create, duration: ROUND_SECONDS });
    rates[name].push(res.requests.average);
    rates[`${name}P99`].push(res.latency.p99);
  }
}
const ratio = median(rates.big.map((b, i) => b / rates.empty[i]));
console.log(`\n2. IpCommand creates, ${ROUNDS} interleaved rounds × ${ROUND_SECONDS} s, ${CONNECTIONS} connections (medians):`);
console.log(`   empty store  ${n(median(rates.empty)).padStart(6)} req/s  p99 ${median(rates.emptyP99)} ms`);
console.log(`   with history ${n(median(rates.big)).padStart(6)} req/s  p99 ${median(rates.bigP99)} ms`);
console.log(`   with history / empty: ${(ratio * 100).toFixed(1)}% (target >= 80%)`);

// 3. Filtered lists on the seeded cloud.
const lists = {
  "IpCommands?Sim=": `${big.cloud.url}/supersim/v1/IpCommands?Sim=${seeded.simSids[SIMS >> 1]}`,
  "IpCommands?Status=failed": `${big.cloud.url}/supersim/v1/IpCommands?Status=failed`,
  "IpCommands?Status=queued&Sim=": `${big.cloud.url}/supersim/v1/IpCommands?Status=queued&Sim=${seeded.simSids[1]}`,
  "Wireless Commands?Status=failed": `${big.cloud.url}/wireless/v1/Commands?Status=failed`,
};
console.log(`\n3. filtered lists (first page of 50), 1 connection, 2 s each (target p99 < 20 ms):`);
for (const [name, url] of Object.entries(lists)) {
  const res = await run({ url, headers: big.headers, duration: 2, connections: 1 });
  console.log(`   ${name.padEnd(32)} p50 ${String(res.latency.p50).padStart(3)} ms  p99 ${String(res.latency.p99).padStart(3)} ms  max ${res.latency.max} ms  ${n(res.requests.average)} req/s  non-2xx ${res.non2xx}`);
}

await empty.cloud.close();
await big.cloud.close();
