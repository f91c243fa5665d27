// npm run bench:bridge -- --backlog 100000 — how the bridge holds a broker outage as the backlog grows.
// Against a private Mosquitto (persistence on, no queue limit) that the bench stops and starts:
//   1. the raw ceiling: mqtt.js QoS 1 publishes with CONCURRENCY in flight, receipts per second at a subscriber;
//   2. broker up: UP webhooks (default min(N, 20,000)) → acceptance rate and p99 of the webhook answers;
//   3. broker stopped (SIGTERM): N webhooks → the same figures, and the bridge's RSS sampled every 250 ms;
//   4. broker started again: the time until a persistent subscriber has all N → the drain rate against (1),
//      and the checks: every event exactly once, in order per device (each device's webhooks are sent one
//      after another on one connection, so their order is known).
// Prints the figures and the ratios against the goals (acceptance and p99 within 20% of broker-up,
// RSS < 300 MB, drain ≥ 50% of the ceiling). Not a test: it prints numbers. Bounded by count and time.
//
//   BENCH_CONCURRENCY  webhooks / publishes in flight, one device per connection (default 32)
//   BENCH_UP           webhooks in the broker-up phase (default min(N, 20000))
//   BENCH_QOS          the bridge's `qos` and the subscriber's (default 1; 2: exactly once end to end)
import { mkdtempSync, rmSync } from "node:fs";
import { clearInterval, setInterval, setTimeout, clearTimeout } from "node:timers";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeProcess, platformRef, privateMosquitto, rawCeiling, signedWebhook, subscriber } from "./bridge-parts.js";
import { pct } from "./stats.js";

const arg = process.argv.indexOf("--backlog");
const N = Number(arg >= 0 ? process.argv[arg + 1] : process.argv[2] ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const UP = Number(process.env.BENCH_UP ?? Math.min(N, 20_000));
const QOS = Number(process.env.BENCH_QOS ?? 1);
const CEILING_SECONDS = 5;
const DRAIN_LIMIT_MS = 600_000;
const run = `${process.pid}-${Date.now().toString(36)}`;
if (!Number.isInteger(N) || N < 1 || N > 1_000_000) throw new Error(`--backlog takes a count of webhooks, 1 … 1,000,000 (got ${process.argv[arg + 1]})`);

const dir = mkdtempSync(join(tmpdir(), "simcmd-bench-backlog-"));
const broker = await privateMosquitto(dir);

/** Resolves once `pred()` holds, checked at each message (`poke`), or rejects after `ms`. */
function until(pred, ms, what) {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const t = setTimeout(() => { waiters.delete(check); reject(new Error(`bench: ${what} not reached in ${ms} ms`)); }, ms);
    const check = () => { if (pred()) { clearTimeout(t); waiters.delete(check); resolve(); } };
    waiters.add(check);
  });
}
const waiters = new Set();
const poke = () => { for (const w of [...waiters]) w(); };

const prefix = `simcmdbench/${run}`;
const data = mkdtempSync(join(tmpdir(), "simcmd-bench-backlog-bridge-"));
const bridge = await bridgeProcess({ broker: broker.url, prefix, data, instance: `bench-backlog-${run}`, options: { qos: QOS } });
const url = `${bridge.url}/webhooks/twilio/ip-commands`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

// What the persistent subscriber saw: receipts per event number, and per device the last number (order).
const seen = new Uint8Array(UP + N);
let receipts = 0;
let unique = 0;
let outOfOrder = 0;
let lastReceipt = 0;
const lastOf = new Map();
const sub = await subscriber(broker.url, `${prefix}/devices/+/up`, () => "", {
  session: `bench-backlog-sub-${run}`,
  qos: QOS,
  onMessage: (topic, payload) => {
    const n = parseInt(platformRef(payload).slice(2), 16);
    const device = topic.slice(prefix.length + 9, topic.length - 3);
    receipts++;
    lastReceipt = performance.now();
    if (seen[n]++ === 0) {
      unique++;
      if ((lastOf.get(device) ?? -1) > n) outOfOrder++;
      lastOf.set(device, n);
    }
    poke();
  },
});

/** Sends webhooks `from` … `from + count - 1`, CONCURRENCY connections, one device each; their answers' figures. */
async function send(from, count) {
  const prepared = Array.from({ length: count }, (_, k) => signedWebhook(url, from + k, `bench-dev-${(from + k) % CONCURRENCY}`));
  const lat = [];
  let refused = 0;
  let rssMax = 0;
  const sample = setInterval(() => { void bridge.stats().then((s) => { rssMax = Math.max(rssMax, s.rss); }); }, 250);
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, c) => {
    for (let k = c; k < count; k += CONCURRENCY) {
      const w = prepared[k];
      const t0 = performance.now();
      const status = await new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", agent, headers: w.headers }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); });
        req.on("error", reject);
        req.end(w.body);
      });
      lat.push(performance.now() - t0);
      if (status !== 204) refused++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sample);
  rssMax = Math.max(rssMax, (await bridge.stats()).rss);
  return { rate: count / seconds, p50: pct(lat, 50), p99: pct(lat, 99), refused, rssMax, seconds };
}

try {
  const raw = (await rawCeiling(broker.url, CEILING_SECONDS, CONCURRENCY)).rate;
  const up = await send(0, UP);
  await until(() => unique >= UP, 60_000, "broker-up events at the subscriber");
  await broker.stop();
  const down = await send(UP, N);
  const depth = (await bridge.stats()).depth;
  const restart = performance.now();
  let rssDrain = 0;
  const sample = setInterval(() => { void bridge.stats().then((s) => { rssDrain = Math.max(rssDrain, s.rss); }); }, 250);
  await broker.start();
  await until(() => unique >= UP + N, DRAIN_LIMIT_MS, `all ${N} backlog events at the subscriber`);
  clearInterval(sample);
  const drainSeconds = (lastReceipt - restart) / 1000;
  const drain = N / drainSeconds;
  const mb = (b) => (b / 1048576).toFixed(0) + " MB";
  const pctOf = (a, b) => ((a / b) * 100).toFixed(0) + "%";
  const row = (name, r) => `${name.padEnd(14)} ${r.rate.toFixed(0).padStart(6)} webhooks/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.refused} refused  bridge RSS ≤ ${mb(r.rssMax)}`;
  console.log(`bench:bridge --backlog ${N} — private Mosquitto ${broker.url}, ${CONCURRENCY} connections (one device each), bridge and subscriber at QoS ${QOS}`);
  console.log(`raw ceiling    ${raw.toFixed(0).padStart(6)} msgs/s  (mqtt.js QoS 1, ${CONCURRENCY} in flight, ${CEILING_SECONDS} s)`);
  console.log(row(`broker up`, up) + `  (${UP} webhooks)`);
  console.log(row(`broker down`, down) + `  (${N} webhooks, outbox depth ${depth} at the end)`);
  console.log(`drain          ${drain.toFixed(0).padStart(6)} events/s  (${N} in ${drainSeconds.toFixed(1)} s after the broker started; bridge RSS ≤ ${mb(Math.max(rssDrain, down.rssMax))})`);
  console.log(`exactly once   ${unique - UP}/${N} backlog events received, ${receipts - unique} duplicates, ${UP + N - unique} missing; ${outOfOrder} out of order per device`);
  console.log(`goals: acceptance ${pctOf(down.rate, up.rate)} of broker-up (≥ 80%), p99 ${pctOf(down.p99, up.p99)} of broker-up (≤ 120%), ` +
    `RSS ${mb(Math.max(rssDrain, down.rssMax))} (< 300 MB), drain ${pctOf(drain, raw)} of the raw ceiling (≥ 50%)`);
} finally {
  await sub.close();
  await bridge.stop();
  agent.destroy();
  await broker.stop();
  rmSync(data, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
