// npm run bench:cloud — IpCommands created per second through HTTP (autocannon, loopback, ~5 s each),
// with p50/p99 latency, beside the same load on a plain fastify route returning a fixed body in the same
// run (the ceiling), and the ratio (target ≥ 50%). Not a test: it prints numbers. Bounded by duration.
import autocannon from "autocannon";
import Fastify from "fastify";
import { startCloud } from "../dist/host-tools/cloud/index.js";
import { twilioClient } from "../dist/host-tools/cloud/twilio-client.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ duration: DURATION, connections: CONNECTIONS, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const plain = Fastify();
plain.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, b, done) => done(null, b));
const FIXED = JSON.stringify({ sid: "HG" + "0".repeat(32), status: "queued" });
plain.post("/fixed", async (_req, reply) => reply.code(201).header("content-type", "application/json").send(FIXED));
await plain.listen({ port: 0, host: "127.0.0.1" });
const plainUrl = `http://127.0.0.1:${plain.server.address().port}/fixed`;

const cloud = await startCloud({ port: 0 });
const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "bench" });
const reg = await client.supersim.v1.sims.create({ iccid: "89883070000000009999", registrationCode: "0" });
const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: "bench" });

const body = `Sim=${sim.sid}&Payload=${encodeURIComponent("checkin: firmware update")}&DevicePort=6969`;
const headers = {
  authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"),
  "content-type": "application/x-www-form-urlencoded",
};

// Warm up both, then measure: ceiling first, then the mock (same process, same run).
await run({ url: plainUrl, method: "POST", headers, body, duration: 1 });
await run({ url: `${cloud.url}/supersim/v1/IpCommands`, method: "POST", headers, body, duration: 1 });
// Interleaved rounds (ceiling, mock, ceiling, mock, …), so load from anything else on the machine hits
// both alike; each line reports the round with the median throughput.
const ROUNDS = 3;
const ceilings = [];
const mocks = [];
for (let i = 0; i < ROUNDS; i++) {
  ceilings.push(await run({ url: plainUrl, method: "POST", headers, body, duration: DURATION / ROUNDS }));
  mocks.push(await run({ url: `${cloud.url}/supersim/v1/IpCommands`, method: "POST", headers, body, duration: DURATION / ROUNDS }));
}
const median = (rs) => [...rs].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(rs.length / 2)];
const ceiling = median(ceilings);
const mock = median(mocks);

const row = (name, r) =>
  `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;
console.log(`bench:cloud — ${DURATION} s per target in ${ROUNDS} interleaved rounds (median shown), ${CONNECTIONS} connections, loopback`);
console.log(row("plain fastify (fixed body)", ceiling));
console.log(row("mock POST /v1/IpCommands", mock));
const ratio = mock.requests.average / ceiling.requests.average;
console.log(`ratio ${(ratio * 100).toFixed(1)}% of the ceiling (target ≥ 50%)`);
const made = await client.supersim.v1.ipCommands.page({ sim: sim.sid, pageSize: 1 });
console.log(`IpCommands created: ≈ ${mocks.reduce((n, r) => n + r.requests.total, 0)} (latest ${made.instances[0]?.sid ?? "none"})`);

await cloud.close();
await plain.close();
