// npm run bench:bridge — uplink webhooks → MQTT through the bridge (durable SQLite outbox, signature check,
// dedupe, QoS 1 with PUBACK) against the real Mosquitto on 127.0.0.1:1883: events per second and p50/p99
// latency from the HTTP request to the subscriber's receipt; beside, in the same run, a raw mqtt.js QoS 1
// publish loop to the same broker with the same number in flight (the ceiling); prints the ratio (target ≥ 30%).
// The bridge runs twice per round: with its default QoS 1 and with `qos: 2` (exactly once across a crash: one
// more round trip per message, and the packet id and PUBREC written to the outbox row before each packet
// leaves); the QoS 2 rate is printed beside, with its ratio to the QoS 1 bridge of the same rounds.
// The bridge runs in its own process (as in production); the load (autocannon) and the subscriber run here.
// "(received/answered)": for the bridge, events at the subscriber / webhooks answered 204 while the load ran;
// up to BENCH_CONCURRENCY more were in flight when it stopped (committed and published, answer not read).
// For the raw loop the publisher outruns the one subscriber, and Mosquitto (max_queued_messages 1000 by
// default) drops what overflows its queue: the ceiling's rate is what that subscriber takes in per second.
// Not a test: it prints numbers. Bounded by time.
//
//   BENCH_SECONDS      measuring time per target and round (default 5)
//   BENCH_ROUNDS       interleaved rounds (default 3); the ratio printed is the median of the rounds'
//   BENCH_CONCURRENCY  webhooks / publishes in flight (default 32)
//   BENCH_MQTT         broker URL (default mqtt://127.0.0.1:1883)
//   BENCH_MIN_RATIO    when set (e.g. 0.3), exit 1 if the (QoS 1) ratio is below it
//   BENCH_QOS          the bridge's QoS settings to measure, "1,2" (default) or "1"
//   BENCH_PROF         a directory: the bridge process writes a V8 CPU profile there (--cpu-prof)
//
// `npm run bench:bridge -- --backlog 100000` runs bench/bridge-backlog.js instead (a broker outage's backlog).
import { mkdtempSync, rmSync } from "node:fs";
import autocannon from "autocannon";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeProcess, median, pct, platformRef, rawCeiling, signedWebhook, subscriber } from "./bridge-parts.js";

if (process.argv.includes("--backlog")) {
  await import("./bridge-backlog.js");
  process.exit(0);
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BROKER = process.env.BENCH_MQTT ?? "mqtt://127.0.0.1:1883";
/** Webhooks signed in advance per second of load (more are signed on the fly if the bridge is faster). */
const PREPARED_PER_SECOND = 15_000;
const MIN_RATIO = process.env.BENCH_MIN_RATIO === undefined ? null : Number(process.env.BENCH_MIN_RATIO);
const QOS = (process.env.BENCH_QOS ?? "1,2").split(",").map(Number);
const run = `${process.pid}-${Date.now().toString(36)}`;

async function bridged(qos) {
  const data = mkdtempSync(join(tmpdir(), "simcmd-bench-bridge-"));
  const prefix = `simcmdbench/${run}/q${qos}`;
  const bridge = await bridgeProcess({ broker: BROKER, prefix, data, instance: `bench-${run}-q${qos}`, options: { qos }, prof: process.env.BENCH_PROF });
  const sub = await subscriber(BROKER, `${prefix}/devices/+/up`, (_t, p) => platformRef(p));
  const url = `${bridge.url}/webhooks/twilio/ip-commands`;
  // The platform signs its webhooks on its own machines: the signed bodies are prepared before the clock
  // starts, so the load generator's HMACs do not take CPU from the bridge on this 2-core machine.
  const prepared = Array.from({ length: Math.ceil(SECONDS * PREPARED_PER_SECOND) }, (_, n) => signedWebhook(url, n));
  let i = 0;
  let non2xx = 0;
  let answered = 0; // 204s, counted as they come (autocannon's total leaves out the requests still in flight at the end)
  const cpu0 = await bridge.cpu();
  const start = performance.now();
  try {
    const res = await new Promise((resolve, reject) => {
      const inst = autocannon({
        url, connections: CONCURRENCY, pipelining: 1, duration: SECONDS,
        requests: [{
          method: "POST",
          setupRequest: (req) => {
            const n = i++;
            const w = prepared[n] ?? signedWebhook(url, n);
            sub.sent.set(w.sid, performance.now());
            return { ...req, headers: w.headers, body: w.body };
          },
        }],
      }, (err, r) => (err ? reject(err) : resolve(r)));
      inst.on("response", (_c, status) => { if (status === 204) answered++; else non2xx++; });
    });
    void res;
    const sent = answered; // the subscriber waits (bounded) for at least these
    const until = performance.now() + 10_000;
    while (sub.received < sent && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    const cpuPerEvent = (await bridge.cpu() - cpu0) / Math.max(1, sub.received);
    if (non2xx > 0) console.log(`  (${non2xx} webhooks not answered 204)`);
    return { sent, received: sub.received, rate: sub.rateIn(start, SECONDS), p50: pct(sub.lat, 50), p99: pct(sub.lat, 99), cpuPerEvent };
  } finally {
    await sub.close();
    await bridge.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

const fmt = (r) => `${r.rate.toFixed(0).padStart(7)} events/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.received}/${r.sent} received)` +
  (r.cpuPerEvent === undefined ? "" : `  bridge CPU ${r.cpuPerEvent.toFixed(0)} µs/event`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
console.log(`bench:bridge — ${BROKER}, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds of ${SECONDS} s each; rates are receipts at the subscriber within the load window`);
const ratios = [];
const q2ratios = [];
const q2vsq1 = [];
for (let r = 0; r < ROUNDS; r++) {
  const raw = await rawCeiling(BROKER, SECONDS, CONCURRENCY);
  console.log(`round ${r + 1}: raw mqtt.js QoS 1 publish         ${fmt(raw)}`);
  const br = await bridged(1);
  console.log(`round ${r + 1}: webhook → bridge → MQTT, QoS 1    ${fmt(br)}`);
  ratios.push(br.rate / raw.rate);
  if (QOS.includes(2)) {
    const b2 = await bridged(2);
    console.log(`round ${r + 1}: webhook → bridge → MQTT, QoS 2    ${fmt(b2)}`);
    q2ratios.push(b2.rate / raw.rate);
    q2vsq1.push(b2.rate / br.rate);
  }
}
const pcts = (xs) => xs.map((x) => (x * 100).toFixed(1) + "%").join(", ");
const ratio = median(ratios);
console.log(`ratio (median of rounds) ${(ratio * 100).toFixed(1)}% of the raw QoS 1 ceiling (rounds ${pcts(ratios)}; target ≥ 30%)`);
if (q2ratios.length > 0) {
  console.log(`QoS 2 bridge (median of rounds) ${(median(q2ratios) * 100).toFixed(1)}% of the raw QoS 1 ceiling (rounds ${pcts(q2ratios)}); ` +
    `${(median(q2vsq1) * 100).toFixed(1)}% of the QoS 1 bridge's rate (rounds ${pcts(q2vsq1)})`);
}
if (MIN_RATIO !== null && ratio < MIN_RATIO) process.exit(1);
process.exit(0);
