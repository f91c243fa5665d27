// npm run bench:cloud — IpCommands created per second through HTTP (autocannon, loopback), with p50/p99
// latency, beside the same load on a plain fastify route returning a fixed body in the same run (the
// ceiling), and the ratio (target ≥ 50%). Not a test: it prints numbers. Bounded by duration.
//
// Robust to machine noise: after a warm-up, ROUNDS short rounds alternate the two targets (ceiling then
// mock, mock then ceiling, …), so load from anything else on the machine hits both alike; the ratio is the
// median of the per-round ratios, and req/s, p50 and p99 are medians over the rounds.
//
//   BENCH_SECONDS      total measuring time per target (default 6), split over the rounds
//   BENCH_ROUNDS       interleaved rounds (default 7, odd so the median is one round)
//   BENCH_CONNECTIONS  concurrent connections (default 10)
//   BENCH_MIN_RATIO    when set (e.g. 0.5), exit 1 if the median ratio is below it
//
// With --records N it runs the growth bench instead (bench/cloud-growth.js: the same create rate with N
// stored IpCommands, filtered lists, the retention purge).
if (process.argv.includes("--records")) {
  await import("./cloud-growth.js");
  process.exit();
}
import autocannon from "autocannon";
import Fastify from "fastify";
import { startCloud } from "../dist/host-tools/cloud/index.js";
import { twilioClient } from "../dist/host-tools/platform/twilio-client.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 7));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const MIN_RATIO = process.env.BENCH_MIN_RATIO === undefined ? null : Number(process.env.BENCH_MIN_RATIO);
const ROUND_SECONDS = Math.max(0.5, SECONDS / ROUNDS);

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const plain = Fastify({ logger: false });
plain.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, b, done) => done(null, b));
const FIXED = JSON.stringify({ sid: "HG" + "0".repeat(32), status: "queued" });
plain.post("/fixed", async (_req, reply) => reply.code(201).header("content-type", "application/json").send(FIXED));
await plain.listen({ port: 0, host: "127.0.0.1" });
const plainUrl = `http://127.0.0.1:${plain.server.address().port}/fixed`;

const cloud = await startCloud({ port: 0, logger: false });
const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "bench" });
const reg = await client.supersim.v1.sims.create({ iccid: "89883070000000009999", registrationCode: "0" });
const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: "bench" });

const body = `Sim=${sim.sid}&Payload=${encodeURIComponent("checkin: firmware update")}&DevicePort=6969`;
const headers = {
  authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"),
  "content-type": "application/x-www-form-urlencoded",
};
const targets = {
  ceiling: { url: plainUrl, method: "POST", headers, body },
  mock: { url: `${cloud.url}/supersim/v1/IpCommands`, method: "POST", headers, body },
};

// Warm up both (JIT, SQLite pages), then measure.
await run({ ...targets.ceiling, duration: 1 });
await run({ ...targets.mock, duration: 1 });
const rounds = [];
for (let i = 0; i < ROUNDS; i++) {
  const order = i % 2 === 0 ? ["ceiling", "mock"] : ["mock", "ceiling"];
  const r = {};
  for (const name of order) r[name] = await run({ ...targets[name], duration: ROUND_SECONDS });
  rounds.push(r);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stats = (name) => ({
  rps: median(rounds.map((r) => r[name].requests.average)),
  p50: median(rounds.map((r) => r[name].latency.p50)),
  p99: median(rounds.map((r) => r[name].latency.p99)),
  mean: median(rounds.map((r) => r[name].latency.mean)),
  non2xx: rounds.reduce((n, r) => n + r[name].non2xx, 0),
  errors: rounds.reduce((n, r) => n + r[name].errors + r[name].timeouts, 0),
  total: rounds.reduce((n, r) => n + r[name].requests.total, 0),
});
const ratios = rounds.map((r) => r.mock.requests.average / r.ceiling.requests.average);
const ratio = median(ratios);
const ceiling = stats("ceiling");
const mock = stats("mock");

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const row = (name, s) =>
  `${name.padEnd(30)} ${String(Math.round(s.rps)).padStart(7)} req/s   p50 ${String(s.p50).padStart(3)} ms   p99 ${String(s.p99).padStart(3)} ms   ` +
  `mean ${s.mean.toFixed(2)} ms   non-2xx ${s.non2xx}   errors ${s.errors}`;
console.log(`bench:cloud — ${ROUNDS} interleaved rounds × ${ROUND_SECONDS.toFixed(2)} s per target, ${CONNECTIONS} connections, loopback (medians over rounds)`);
console.log(row("plain fastify (fixed body)", ceiling));
console.log(row("mock POST /v1/IpCommands", mock));
console.log(`per round: ${rounds.map((r, i) => `${Math.round(r.mock.requests.average)}/${Math.round(r.ceiling.requests.average)} = ${pct(ratios[i])}`).join(", ")}`);
console.log(`ratio ${pct(ratio)} of the ceiling (median of ratios; target ≥ 50%)`);
const made = await client.supersim.v1.ipCommands.page({ sim: sim.sid, pageSize: 1 });
console.log(`IpCommands created: ${mock.total} in the measured rounds (latest ${made.instances[0]?.sid ?? "none"})`);

await cloud.close();
await plain.close();
if (MIN_RATIO !== null && !(ratio >= MIN_RATIO)) {
  console.error(`bench:cloud: ratio ${pct(ratio)} is below BENCH_MIN_RATIO ${pct(MIN_RATIO)}`);
  process.exitCode = 1;
}
