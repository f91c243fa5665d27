// npm run bench:bridge — uplink webhooks → MQTT through the bridge (durable SQLite outbox, signature check,
// dedupe, QoS 1 with PUBACK) against the real Mosquitto on 127.0.0.1:1883: events per second and p50/p99
// latency from the HTTP request to the subscriber's receipt; beside, in the same run, a raw mqtt.js QoS 1
// publish loop to the same broker with the same number in flight (the ceiling); prints the ratio (target ≥ 50%,
// median of the rounds, with p99 < 20 ms). Every MQTT client here has TCP_NODELAY, as the bridge has
// (host-tools/mqtt/no-delay.ts): with Nagle on, the ceiling lost half its rate to 40 ms delayed-ACK stalls.
// The bridge runs twice per round: with its default QoS 1 and with `qos: 2` (exactly once across a crash: one
// more round trip per message, and the packet id and PUBREC written to the outbox row before each packet
// leaves); the QoS 2 rate is printed beside, with its ratio to the QoS 1 bridge of the same rounds.
// Where each part runs, on a machine whose cores all of them share: the bridge in its own process (as in
// production); the subscriber here, in both runs; the ceiling's publisher here too (beside the subscriber:
// measured with TCP_NODELAY on both clients, a publisher in a process of its own did no better — 42–53k
// events/s against 39–55k here, three rounds each);
// the webhooks' load here (bridge-parts.js httpLoad: the platform's requests, signed and turned into bytes
// before the clock starts, one in flight per connection, only the status line read — in production that CPU
// is the platform's; autocannon spent about twice as much per request). Both runs are CPU-bound on the whole
// machine, so the ratio is about the CPU each event costs everywhere: each line prints it per process
// ("here": load and subscriber, or publisher and subscriber; the bridge; the broker, when it is local).
// "(received/answered)": for the bridge, events at the subscriber / webhooks answered 204 (the load waits for
// the answers in flight when the time is up).
// For the raw loop the publisher outruns the one subscriber, and Mosquitto (max_queued_messages 1000 by
// default) drops what overflows its queue: the ceiling's rate is what that subscriber takes in per second.
// Not a test: it prints numbers. Bounded by time.
//
//   BENCH_SECONDS      measuring time per target and round (default 5)
//   BENCH_ROUNDS       interleaved rounds (default 5); the ratio printed is the median of the rounds'
//   BENCH_CONCURRENCY  webhooks / publishes in flight (default 32)
//   BENCH_MQTT         broker URL (default mqtt://127.0.0.1:1883)
//   BENCH_MIN_RATIO    when set (e.g. 0.5), exit 1 if the (QoS 1) ratio is below it
//   BENCH_QOS          the bridge's QoS settings to measure, "1,2" (default) or "1"
//   BENCH_PROF         a directory: the bridge process writes a V8 CPU profile there (--cpu-prof)
//
// `npm run bench:bridge -- --backlog 100000` runs bench/bridge-backlog.js instead (a broker outage's backlog).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeProcess, brokerPid, httpLoad, platformRef, procCpu, rawCeiling, requestBytes, selfCpu, signedWebhook, subscriber } from "./bridge-parts.js";
import { median, pct } from "./stats.js";

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
/** The local broker's process, for its CPU per event (null: elsewhere, or not readable). */
const BROKER_PID = brokerPid(BROKER);

/** CPU µs per event by process between two readings ({here, bridge?, broker}). */
function perEvent(a, b, events) {
  const per = (k) => (a[k] === null || a[k] === undefined || b[k] === null ? null : (b[k] - a[k]) / Math.max(1, events));
  return { here: per("here"), bridge: per("bridge"), broker: per("broker") };
}

async function raw() {
  const cpu0 = { here: selfCpu(), broker: BROKER_PID === null ? null : procCpu(BROKER_PID) };
  const r = await rawCeiling(BROKER, SECONDS, CONCURRENCY);
  return { ...r, cpu: perEvent(cpu0, { here: selfCpu(), broker: BROKER_PID === null ? null : procCpu(BROKER_PID) }, r.received) };
}

async function bridged(qos) {
  const data = mkdtempSync(join(tmpdir(), "simcmd-bench-bridge-"));
  const prefix = `simcmdbench/${run}/q${qos}`;
  const bridge = await bridgeProcess({ broker: BROKER, prefix, data, instance: `bench-${run}-q${qos}`, options: { qos }, prof: process.env.BENCH_PROF });
  const sub = await subscriber(BROKER, `${prefix}/devices/+/up`, (_t, p) => platformRef(p));
  const url = `${bridge.url}/webhooks/twilio/ip-commands`;
  // The platform signs its webhooks on its own machines: the requests are signed and made into bytes before
  // the clock starts, so the load generator takes as little CPU from the bridge as it can on this machine.
  const prepared = Array.from({ length: Math.ceil(SECONDS * PREPARED_PER_SECOND) }, (_, n) => signedWebhook(url, n));
  const bytes = prepared.map((w) => requestBytes(url, w));
  let i = 0;
  let non2xx = 0;
  let answered = 0;
  const cpu0 = { here: selfCpu(), bridge: await bridge.cpu(), broker: BROKER_PID === null ? null : procCpu(BROKER_PID) };
  const start = performance.now();
  try {
    await httpLoad(url, CONCURRENCY, SECONDS, () => {
      const n = i++;
      const w = prepared[n] ?? signedWebhook(url, n);
      sub.sent.set(w.sid, performance.now());
      return bytes[n] ?? requestBytes(url, w);
    }, (status) => { if (status === 204) answered++; else non2xx++; });
    const sent = answered; // the subscriber waits (bounded) for at least these
    const until = performance.now() + 10_000;
    while (sub.received < sent && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    const cpu = perEvent(cpu0, { here: selfCpu(), bridge: await bridge.cpu(), broker: BROKER_PID === null ? null : procCpu(BROKER_PID) }, sub.received);
    if (non2xx > 0) console.log(`  (${non2xx} webhooks not answered 204)`);
    return { sent, received: sub.received, rate: sub.rateIn(start, SECONDS), p50: pct(sub.lat, 50), p99: pct(sub.lat, 99), cpu };
  } finally {
    await sub.close();
    await bridge.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

const us = (x) => (x === null ? "?" : x.toFixed(0));
const fmt = (r) => `${r.rate.toFixed(0).padStart(7)} events/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.received}/${r.sent} received)` +
  `  CPU µs/event: here ${us(r.cpu.here)}` + (r.cpu.bridge === null ? "" : `, bridge ${us(r.cpu.bridge)}`) + `, broker ${us(r.cpu.broker)}`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
console.log(`bench:bridge — ${BROKER}, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds of ${SECONDS} s each; rates are receipts at the subscriber within the load window`);
const ratios = [];
const p99s = [];
const q2ratios = [];
const q2vsq1 = [];
for (let r = 0; r < ROUNDS; r++) {
  const ceiling = await raw();
  console.log(`round ${r + 1}: raw mqtt.js QoS 1 publish         ${fmt(ceiling)}`);
  const br = await bridged(1);
  console.log(`round ${r + 1}: webhook → bridge → MQTT, QoS 1    ${fmt(br)}`);
  ratios.push(br.rate / ceiling.rate);
  p99s.push(br.p99);
  if (QOS.includes(2)) {
    const b2 = await bridged(2);
    console.log(`round ${r + 1}: webhook → bridge → MQTT, QoS 2    ${fmt(b2)}`);
    q2ratios.push(b2.rate / ceiling.rate);
    q2vsq1.push(b2.rate / br.rate);
  }
}
const pcts = (xs) => xs.map((x) => (x * 100).toFixed(1) + "%").join(", ");
const ratio = median(ratios);
console.log(`ratio (median of rounds) ${(ratio * 100).toFixed(1)}% of the raw QoS 1 ceiling (rounds ${pcts(ratios)}; target ≥ 50%)`);
console.log(`bridge QoS 1 p99 (median of rounds) ${median(p99s).toFixed(2)} ms (rounds ${p99s.map((x) => x.toFixed(1)).join(", ")}; target < 20 ms)`);
if (q2ratios.length > 0) {
  console.log(`QoS 2 bridge (median of rounds) ${(median(q2ratios) * 100).toFixed(1)}% of the raw QoS 1 ceiling (rounds ${pcts(q2ratios)}); ` +
    `${(median(q2vsq1) * 100).toFixed(1)}% of the QoS 1 bridge's rate (rounds ${pcts(q2vsq1)})`);
}
if (MIN_RATIO !== null && ratio < MIN_RATIO) process.exit(1);
process.exit(0);
