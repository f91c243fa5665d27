// The parts the bridge benches share: the bridge in its own process (as in production), signed webhooks
// prepared as the platform sends them, an HTTP load of prepared requests, an MQTT subscriber that times
// receipts, a private Mosquitto the backlog bench can stop and start, CPU time by process, and percentiles.
// Not a test; used by bench/bridge.js and bench/bridge-backlog.js.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { setTimeout } from "node:timers";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { URLSearchParams } from "node:url";
import mqtt from "mqtt";
import { tcpNoDelay } from "../dist/host-tools/mqtt/no-delay.js";
import { twilioSignature } from "../dist/host-tools/platform/signature.js";
import { pct } from "./stats.js";

export const ACCOUNT = "AC" + "7".repeat(32);
export const TOKEN = "b".repeat(32);

/**
 * A subscriber that resolves `sent` timestamps to latencies by key. `session`: a client id for a persistent
 * session (clean: false), which the broker keeps across its restarts; `qos`: of the subscription (default 1);
 * `onMessage(topic, payload)` sees every message as well.
 */
export async function subscriber(broker, filter, keyOf, o = {}) {
  const persistent = o.session !== undefined;
  // TCP_NODELAY as the bridge has it: with Nagle on, the subscriber's PUBACKs wait for the broker's delayed
  // ACKs (40 ms) and stall the broker's in-flight window (host-tools/mqtt/no-delay.ts)
  const c = tcpNoDelay(await mqtt.connectAsync(broker, {
    clientId: o.session ?? `bench-sub-${process.pid}-${Math.random().toString(16).slice(2)}`,
    clean: !persistent, reconnectPeriod: 100,
  }));
  const sent = new Map();
  const lat = [];
  const at = [];
  let received = 0;
  c.on("message", (topic, payload) => {
    o.onMessage?.(topic, payload);
    const t0 = sent.get(keyOf(topic, payload));
    if (t0 !== undefined) {
      const now = performance.now();
      lat.push(now - t0);
      at.push(now);
      received++;
    }
  });
  await c.subscribeAsync(filter, { qos: o.qos ?? 1 });
  return {
    sent, lat, at, get received() { return received; },
    /** Receipts per second inside [start, start + seconds]: throughput at the subscriber, tail excluded. */
    rateIn(start, seconds) {
      const end = start + seconds * 1000;
      return at.filter((t) => t >= start && t <= end).length / seconds;
    },
    reset() { sent.clear(); lat.length = 0; at.length = 0; received = 0; },
    close: () => c.endAsync(),
  };
}

/**
 * The raw ceiling on `broker`: mqtt.js QoS 1 publishes to one topic with `concurrency` in flight for
 * `seconds`, then a bounded wait for the receipts; {sent, received, rate (receipts/s in the window), p50, p99}.
 */
export async function rawCeiling(broker, seconds, concurrency) {
  const tag = `${process.pid}-${Math.random().toString(16).slice(2)}`;
  const topic = `simcmdbench/${tag}/raw`;
  const sub = await subscriber(broker, topic, (_t, p) => p.toString());
  const pub = tcpNoDelay(await mqtt.connectAsync(broker, { clientId: `bench-raw-${tag}`, clean: true }));
  let i = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const key = `raw-${i++}`;
      sub.sent.set(key, performance.now());
      await pub.publishAsync(topic, key, { qos: 1 });
    }
  }));
  const sent = i;
  const until = performance.now() + 10_000;
  while (sub.received < sent && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  const r = { sent, received: sub.received, rate: sub.rateIn(start, seconds), p50: pct(sub.lat, 50), p99: pct(sub.lat, 99) };
  await pub.endAsync();
  await sub.close();
  return r;
}

/** The n-th Fleet IP Command webhook from `device`, signed as Twilio signs it: {sid, headers, body}. */
export function signedWebhook(url, n, device = "bench-dev") {
  const sid = "HG" + n.toString(16).padStart(32, "0");
  const p = {
    AccountSid: ACCOUNT, CommandSid: sid, SimSid: "HS" + "e".repeat(32), SimUniqueName: device, PayloadType: "binary",
    Payload: "aGVsbG8=", Direction: "from_sim", Status: "received",
  };
  return { sid, headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(TOKEN, url, p) }, body: new URLSearchParams(p).toString() };
}

/** The bytes of one HTTP/1.1 keep-alive POST of prepared webhook `w` ({headers, body}) to `url`. */
export function requestBytes(url, w) {
  const u = new URL(url);
  const body = Buffer.from(w.body);
  let head = `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n`;
  for (const [k, v] of Object.entries(w.headers)) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`, "latin1"), body]);
}

/**
 * The platform's side of the load, at the least CPU this machine can spend on it (in production it runs on the
 * platform's machines): `connections` keep-alive connections, one request in flight on each (as the platforms
 * send, no pipelining), each request's bytes made before the clock starts (`next()` hands them out), each
 * answer read only as far as its status line and Content-Length. Sends until `seconds` are over, then waits
 * for the answers in flight; `onAnswer(status)` sees each. Rejects on a connection error or an answer it
 * cannot frame (chunked: the bridge never sends one).
 */
export function httpLoad(url, connections, seconds, next, onAnswer) {
  const u = new URL(url);
  const deadline = performance.now() + seconds * 1000;
  return new Promise((resolve, reject) => {
    let open = connections;
    for (let c = 0; c < connections; c++) {
      const s = net.connect(Number(u.port), u.hostname);
      s.setNoDelay(true);
      let buf = null;
      const send = () => {
        if (performance.now() >= deadline) s.end();
        else s.write(next());
      };
      s.on("connect", send);
      s.on("data", (d) => {
        buf = buf === null ? d : Buffer.concat([buf, d]);
        while (buf !== null) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = buf.toString("latin1", 0, end).toLowerCase();
          if (head.includes("transfer-encoding:")) return s.destroy(new Error(`bench: a framing the load does not read: ${head}`));
          const cl = head.indexOf("content-length:");
          const size = end + 4 + (cl < 0 ? 0 : parseInt(head.slice(cl + 15), 10));
          if (buf.length < size) return;
          buf = buf.length === size ? null : buf.subarray(size);
          onAnswer(Number(head.slice(9, 12)));
          send();
        }
      });
      s.on("error", reject);
      s.on("close", () => { if (--open === 0) resolve(); });
    }
  });
}

const TICK_US = 1e6 / 100; // USER_HZ: the unit of /proc/<pid>/stat's times

/** CPU time (user + system, µs) of process `pid` so far, from /proc; null where it cannot be read. */
export function procCpu(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return null;
  }
}

/** This process's CPU time so far (user + system, µs). */
export function selfCpu() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * The id of the process listening on `broker`'s port on 127.0.0.1 (the bench's Mosquitto), found through
 * /proc/net/tcp and the processes' sockets; null when the broker is elsewhere or not found.
 */
export function brokerPid(broker) {
  const u = new URL(broker);
  if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") return null;
  try {
    const port = Number(u.port || 1883).toString(16).toUpperCase().padStart(4, "0");
    const line = readFileSync("/proc/net/tcp", "utf8").split("\n").find((l) => l.includes(`:${port} 00000000:0000 0A`));
    const inode = line?.trim().split(/\s+/)[9];
    if (inode === undefined) return null;
    for (const p of readdirSync("/proc")) {
      if (!/^\d+$/.test(p)) continue;
      try {
        for (const fd of readdirSync(`/proc/${p}/fd`)) if (readlinkSync(`/proc/${p}/fd/${fd}`) === `socket:[${inode}]`) return Number(p);
      } catch {
        /* another user's process, or gone */
      }
    }
  } catch {
    /* no /proc */
  }
  return null;
}

/** The `platform_ref` of an uplink event, found without parsing the whole JSON (the subscriber shares the CPU). */
export function platformRef(payload) {
  const s = payload.toString();
  const at = s.indexOf('"platform_ref":"') + 16;
  return s.slice(at, s.indexOf('"', at));
}

/**
 * Starts the bridge in a child process; resolves {url, stats(), stop()}. `stats()` gives the process's CPU
 * time so far (user + system, µs) and its resident set size (bytes). `options`: more startBridge options.
 */
export function bridgeProcess({ broker, prefix, data, instance, options = {}, prof }) {
  const code = `import { startBridge } from ${JSON.stringify(new URL("../dist/host-tools/bridge/index.js", import.meta.url).href)};
    const b = await startBridge({ port: 0, mqtt: ${JSON.stringify(broker)}, prefix: ${JSON.stringify(prefix)}, data: ${JSON.stringify(data)},
      instance: ${JSON.stringify(instance)}, twilio: { accountSid: ${JSON.stringify(ACCOUNT)}, authToken: ${JSON.stringify(TOKEN)} },
      ...${JSON.stringify(options)} });
    process.stdout.write(JSON.stringify({ url: b.url }) + "\\n");
    // one answer per request line: two requests written close together may arrive as one chunk
    process.stdin.on("data", (d) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) { const u = process.cpuUsage(); process.stdout.write(JSON.stringify({ stats: { cpu: u.user + u.system, rss: process.memoryUsage.rss(), depth: b.outboxDepth() } }) + "\\n"); } });
    process.stdin.on("end", async () => { await b.close(); process.exit(0); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, [...(prof ? ["--cpu-prof", "--cpu-prof-interval=200", "--cpu-prof-dir=" + prof] : []), "--input-type=module", "-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    const waiting = [];
    child.on("exit", (c) => reject(new Error(`bridge process exited ${c}`)));
    child.stdout.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.url) resolve({
          url: msg.url,
          stats: () => new Promise((r) => { waiting.push(r); child.stdin.write("stats\n"); }),
          cpu: async () => (await new Promise((r) => { waiting.push(r); child.stdin.write("stats\n"); })).cpu,
          stop: () => new Promise((r) => { child.removeAllListeners("exit"); child.on("exit", r); child.stdin.end(); }),
        });
        else waiting.shift()?.(msg.stats);
      }
    });
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * A private Mosquitto with persistence and no queue limit in `dir`, which the bench can stop (SIGTERM: it
 * saves its sessions) and start again on the same port. Run as the current user, so it can write its
 * persistence file into `dir`.
 */
export async function privateMosquitto(dir) {
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, "allow_anonymous true", `user ${os.userInfo().username}`,
    "persistence true", `persistence_location ${dir}/`, "max_queued_messages 0", "max_inflight_messages 0",
    "log_dest stderr", "log_type error", "log_type notice", "log_type information",
  ].join("\n") + "\n");
  let proc = null;
  const m = {
    url: `mqtt://127.0.0.1:${port}`,
    start: () => new Promise((resolve, reject) => {
      proc = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
      let log = "";
      proc.stderr.on("data", (d) => { log += d; if (log.includes("running")) resolve(); });
      proc.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${log}`)));
    }),
    stop: () => new Promise((resolve) => {
      if (proc === null) return resolve();
      const p = proc;
      proc = null;
      p.removeAllListeners("exit");
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    }),
  };
  await m.start();
  return m;
}
