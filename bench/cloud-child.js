// One process of bench:cloud (bench/cloud.js, bench/cloud-growth.js), started with child_process.fork so the
// server measured and the load generator (autocannon, in the parent) do not share an event loop, a heap or a
// garbage collector: the mock cloud and its peer, the plain fastify route, each run alone in a child of
// their own, started the same way. Roles (argv[2]):
//   fixed      a plain fastify server answering POST /fixed with a fixed body (the ceiling)
//   cloud      the mock cloud (startCloud); argv[3] = the dist/ directory to load it from (default ../dist)
//   sink       where the cloud's traffic lands: an HTTP receiver for its status callbacks (answers 204) and
//              a UDP socket standing in for the device (the SIM's port mapping points at it); both counted
// Messages from the parent: {id, cmd, ...}; the answer is {id, ...result} or {id, error}.
//   cpu        {user, system} µs used by this process so far (process.cpuUsage)
//   counts     (sink) {callbacks, datagrams}
//   seed       (cloud) fills the store with history (cloud-growth.js), answers what it made
//   expired    (cloud) rows past the retention left in the two command tables
//   stalls     the longest event-loop delay, GCs over 10 ms, the purge's longest step since the last call
//   gc         a full garbage collection (the process runs with --expose-gc)
//   close      closes the server and exits (so a --cpu-prof profile is written)
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const role = process.argv[2];
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.argv[3] ?? path.join(here, "../dist"));
const load = (rel) => import(pathToFileURL(path.join(dist, rel)).href);

const handlers = {
  cpu: () => process.cpuUsage(),
  // A full collection now (the bench's own setup garbage, e.g. the seeding's, is not the cloud's to carry).
  gc: () => {
    globalThis.gc?.();
    return {};
  },
};

// A CPU profile of one phase (the growth bench's create rounds): profStart, then profStop {file}.
let profSession = null;
handlers.profStart = async () => {
  const { Session } = await import("node:inspector/promises");
  profSession = new Session();
  profSession.connect();
  await profSession.post("Profiler.enable");
  await profSession.post("Profiler.start");
  return {};
};
handlers.profStop = async ({ file }) => {
  const { profile } = await profSession.post("Profiler.stop");
  profSession.disconnect();
  (await import("node:fs")).writeFileSync(file, JSON.stringify(profile));
  return {};
};

// What holds this process's event loop: its longest delay and the garbage collections over 10 ms since
// the last `stalls` call (the growth bench prints them beside the longest request).
const { monitorEventLoopDelay, PerformanceObserver } = await import("node:perf_hooks");
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration > 10) gcs.push(Math.round(e.duration));
}).observe({ entryTypes: ["gc"] });
// The retention purge's own share (cloud role): its DELETE batches, timed per event-loop turn (one purge
// step runs its batches in one turn); the longest turn is what the purge alone can hold a request for.
let purgeTurnMax = 0;
handlers.stalls = () => {
  const out = { loopMaxMs: Math.round(loop.max / 1e6), gcMs: gcs, purgeTurnMaxMs: Math.round(purgeTurnMax * 10) / 10 };
  loop.reset();
  gcs = [];
  purgeTurnMax = 0;
  return out;
};
/** Wraps the cloud's DELETE … rowid IN (…) statements (the purge batches) to time them. */
function timePurge(db) {
  const prepare = db.prepare.bind(db);
  const timed = new WeakSet();
  let turnStart = null;
  db.prepare = (sql) => {
    const st = prepare(sql);
    if (!/^DELETE FROM \w+ WHERE rowid IN/.test(sql) || timed.has(st)) return st;
    timed.add(st);
    const run = st.run.bind(st);
    st.run = (...args) => {
      if (turnStart === null) {
        turnStart = performance.now();
        process.nextTick(() => {
          purgeTurnMax = Math.max(purgeTurnMax, performance.now() - turnStart);
          turnStart = null;
        });
      }
      return run(...args);
    };
    return st;
  };
}
let close = async () => undefined;
let ready;

if (role === "fixed") {
  const { default: Fastify } = await import("fastify");
  const plain = Fastify({ logger: false });
  plain.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, b, done) => done(null, b));
  const FIXED = JSON.stringify({ sid: "HG" + "0".repeat(32), status: "queued" });
  plain.post("/fixed", async (_req, reply) => reply.code(201).header("content-type", "application/json").send(FIXED));
  await plain.listen({ port: 0, host: "127.0.0.1" });
  ready = { url: `http://127.0.0.1:${plain.server.address().port}/fixed` };
  close = () => plain.close();
} else if (role === "io") {
  // The fixed route plus the outside I/O a create causes, nothing stored: per request one datagram to the
  // device socket and, after the reply (as the cloud sends it), one signed status callback POST through the
  // cloud's own webhook client. BENCH_IO_DEVICE = host:port, BENCH_IO_CALLBACK = the receiver's URL.
  const { default: Fastify } = await import("fastify");
  const dgram = await import("node:dgram");
  const { setImmediate } = await import("node:timers");
  const { URLSearchParams } = await import("node:url");
  const { WebhookAgents } = await load("host-tools/cloud/webhook-request.js");
  const { twilioSignature } = await load("host-tools/platform/signature.js");
  const [host, port] = process.env.BENCH_IO_DEVICE.split(":");
  // its own path and datagram, so the receiver counts the cloud's apart from these
  const callbackUrl = new URL("/io-status", process.env.BENCH_IO_CALLBACK).href;
  const udp = dgram.createSocket("udp4");
  const agents = new WebhookAgents();
  const plain = Fastify({ logger: false });
  plain.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, b, done) => done(null, b));
  const FIXED = JSON.stringify({ sid: "HG" + "0".repeat(32), status: "queued" });
  const DATAGRAM = Buffer.from("io peer: firmware update");
  plain.post("/io", async (_req, reply) => {
    udp.send(DATAGRAM, Number(port), host);
    setImmediate(() => {
      const params = { CommandSid: "HG" + "0".repeat(32), Status: "sent" };
      const headers = { "x-twilio-signature": twilioSignature("0".repeat(32), callbackUrl, params), "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
      agents.request(callbackUrl, "POST", headers, new URLSearchParams(params).toString(), 64 * 1024, 15000).catch(() => undefined);
    });
    return reply.code(201).header("content-type", "application/json").send(FIXED);
  });
  await plain.listen({ port: 0, host: "127.0.0.1" });
  ready = { url: `http://127.0.0.1:${plain.server.address().port}/io` };
  close = async () => {
    agents.close();
    udp.close();
    await plain.close();
  };
} else if (role === "sink") {
  const http = await import("node:http");
  const dgram = await import("node:dgram");
  const counts = { callbacks: 0, datagrams: 0, ioCallbacks: 0, ioDatagrams: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/io-status") counts.ioCallbacks += 1;
      else counts.callbacks += 1;
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const udp = dgram.createSocket("udp4");
  udp.on("message", (m) => (m.subarray(0, 3).toString() === "io " ? counts.ioDatagrams++ : counts.datagrams++));
  await new Promise((resolve) => udp.bind(0, "127.0.0.1", resolve));
  handlers.counts = () => ({ ...counts });
  ready = { callbackUrl: `http://127.0.0.1:${server.address().port}/status`, device: `127.0.0.1:${udp.address().port}` };
  close = async () => {
    udp.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
} else if (role === "cloud") {
  const { startCloud } = await load("host-tools/cloud/index.js");
  const maxRecords = Number(process.env.BENCH_MAX_RECORDS ?? 100_000);
  const cloud = await startCloud({ port: 0, logger: false, maxRecords });
  timePurge(cloud.ctx.db);
  ready = { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken };
  handlers.seed = async (m) => (await import("./cloud-seed.js")).seed(cloud.ctx, m, await load("host-tools/cloud/products/supersim/store.js"), await load("host-tools/cloud/products/wireless/store.js"));
  handlers.expired = () => {
    const cutoff = Date.now() - cloud.ctx.retentionMs;
    return { left: ["ss_ip_commands", "wireless_commands"].map((t) => cloud.ctx.db.prepare(`SELECT COUNT(*) AS c FROM ${t} WHERE created_ms < ?`).get(cutoff).c) };
  };
  handlers.latest = () => ({ sid: cloud.ctx.db.prepare("SELECT sid FROM ss_ip_commands ORDER BY seq DESC LIMIT 1").get()?.sid ?? null });
  close = () => cloud.close();
} else {
  throw new Error(`bench/cloud-child.js: unknown role '${role}'`);
}

handlers.close = async () => {
  await close();
  setTimeout(() => process.exit(0), 0);
  return {};
};
process.on("message", async (m) => {
  try {
    const out = await handlers[m.cmd](m);
    process.send({ id: m.id, ...out });
  } catch (e) {
    process.send({ id: m.id, error: String(e?.stack ?? e) });
  }
});
process.send({ id: 0, ...ready });
