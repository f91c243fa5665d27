#!/usr/bin/env node
/**
 * Runs a firmware bundle in the real XS engine (@agoric/xsnap) on behalf of XsRuntime
 * (host-tools/runtimes/xs.ts). Plain JavaScript so it runs without compilation. It lives in its
 * own process because `@endo/init` (which xsnap's API needs) locks down the process that imports it.
 *
 *   node host-tools/runtimes/xs-child.js [BUNDLE [STORAGE.json]] [--serial PATH]
 *                                                        (default bundle: dist/firmware/xs/pdu.js)
 *
 * `--serial PATH` lets the bundle open that tty (the virtual modem's pty, or a real UART) through
 * the `serialport` package: the HAL of firmware/ports/xs-host/modem-agent-entry.ts. XS has no
 * timers or I/O of its own: this process owns the port and the timers and calls into the worker
 * when bytes arrive or a timer fires.
 *
 * Protocol (newline-delimited JSON):
 *   1. After evaluating BUNDLE in a new worker, writes `{"ready":true}` — or
 *      `{"ready":false,"error":"…"}` and exits 1.
 *   2. For each stdin line (a JSON request), calls `worker.issueStringCommand(line)`, which runs
 *      the bundle's global `handleCommand(ArrayBuffer)`, and writes `{"ok":true,"meter":{allocate,
 *      currentHeapCount, compute},"reply":<reply>}` (meter: what XS reports after the command;
 *      allocate = bytes the XS machine has allocated)
 *      (the reply is the bundle's JSON, embedded as is) or `{"ok":false,"error":"…"}`. Requests are
 *      answered one at a time, in order.
 *   3. At end of stdin, closes the worker (and the serial port, and cancels the timers) and exits 0.
 *   Events: `{"event":{…}}` lines, written whenever the worker asks (`{op: "event", …}` below); they
 *   are not replies to requests (host-tools/runtimes/line-process.ts routes them apart).
 */
import "@endo/init";
import { xsnap } from "@agoric/xsnap";
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SerialPort } from "serialport";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const positional = [];
/** The tty the worker may open (--serial PATH). */
let serialPath;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--serial") serialPath = process.argv[++i];
  else positional.push(process.argv[i]);
}
const bundlePath = path.resolve(positional[0] ?? path.join(root, "dist/firmware/xs/pdu.js"));
/** Where the worker's persistent key-value storage lives (JSON object); absent: in memory only. */
const storagePath = positional[1] ? path.resolve(positional[1]) : undefined;

function loadStorage() {
  if (storagePath === undefined || !fs.existsSync(storagePath)) return {};
  try {
    const v = JSON.parse(fs.readFileSync(storagePath, "utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {}; // a damaged file is started afresh, as a device's flash would be reformatted
  }
}

const storage = loadStorage();

function saveStorage() {
  if (storagePath === undefined) return;
  const tmp = `${storagePath}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(storage));
  fs.renameSync(tmp, storagePath); // atomic: a crash leaves the old or the new file, never half of one
}

/** The open serial port (after the worker's serial.open), and the host timers by worker id. */
let port;
const timers = new Map();
let closing = false;

function openSerial() {
  if (port !== undefined) return Promise.resolve({ ok: true });
  if (serialPath === undefined) return Promise.resolve({ error: "no serial port was given (--serial PATH)" });
  return new Promise((resolve) => {
    const p = new SerialPort({ path: serialPath, baudRate: 115200 }, (e) => {
      if (e) return resolve({ error: `cannot open ${serialPath}: ${e.message}` });
      port = p;
      p.on("data", (d) => deliver({ op: "serial", hex: d.toString("hex") }));
      p.on("error", (err) => event({ event: "log", message: `serial ${serialPath}: ${err.message}` }));
      p.on("close", () => {
        if (!closing) event({ event: "log", message: `serial ${serialPath} closed` });
      });
      resolve({ ok: true });
    });
  });
}

/**
 * Answers the worker's `issueCommand` (HAL services the host provides):
 * {op: "storage.get", key} → {value|null}; {op: "storage.set", key, value}; {op: "storage.remove", key};
 * {op: "serial.open"} → {ok}|{error}; {op: "serial.write", hex}; {op: "timer.set", id, ms};
 * {op: "timer.clear", id}; {op: "event", …} → written to stdout as {"event": {…}}.
 * Never calls into the worker (it is waiting for this answer): serial data and timer firings are
 * queued behind the command in progress (deliver).
 */
async function hostCommand(request) {
  let reply;
  try {
    const req = JSON.parse(new TextDecoder().decode(request));
    const key = typeof req.key === "string" ? req.key : "";
    if (req.op === "storage.get") reply = { value: Object.hasOwn(storage, key) ? storage[key] : null };
    else if (req.op === "storage.set" && typeof req.value === "string") {
      storage[key] = req.value;
      saveStorage();
      reply = { ok: true };
    } else if (req.op === "storage.remove") {
      delete storage[key];
      saveStorage();
      reply = { ok: true };
    } else if (req.op === "serial.open") reply = await openSerial();
    else if (req.op === "serial.write" && typeof req.hex === "string") {
      if (port === undefined) reply = { error: "serial port not open" };
      else {
        port.write(Buffer.from(req.hex, "hex"));
        reply = { ok: true };
      }
    } else if (req.op === "timer.set" && typeof req.id === "number") {
      clearTimeout(timers.get(req.id));
      const ms = typeof req.ms === "number" && req.ms > 0 ? req.ms : 0;
      timers.set(req.id, setTimeout(() => {
        timers.delete(req.id);
        deliver({ op: "timer", id: req.id });
      }, ms));
      reply = { ok: true };
    } else if (req.op === "timer.clear" && typeof req.id === "number") {
      clearTimeout(timers.get(req.id));
      timers.delete(req.id);
      reply = { ok: true };
    } else if (req.op === "event") {
      const { op: _op, ...rest } = req;
      event(rest);
      reply = { ok: true };
    } else reply = { error: "unknown host command" };
  } catch (e) {
    reply = { error: message(e) };
  }
  return new TextEncoder().encode(JSON.stringify(reply));
}

function event(e) {
  send({ event: e });
}

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

let worker;
try {
  const code = fs.readFileSync(bundlePath, "utf8");
  worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fsp },
    name: "simcmd-xs",
    handleCommand: hostCommand,
    // No per-command computation limit: the agent and the bench run long commands (xsnap
    // otherwise ends the worker with "too much computation").
    meteringLimit: 0,
    stdout: "ignore",
    stderr: "inherit", // `print` output of the worker shows on our stderr
  });
  await worker.evaluate(code);
} catch (e) {
  const hint = e && e.code === "ENOENT" ? " (run `npm run build` first)" : "";
  send({ ready: false, error: `cannot start XS with ${bundlePath}: ${message(e)}${hint}` });
  process.exit(1);
}
send({ ready: true });

let queue = Promise.resolve();
let buffer = "";

/** Calls into the worker on the host's own account (serial bytes, a timer): no reply line. */
function deliver(req) {
  if (closing) return;
  queue = queue.then(async () => {
    if (closing) return;
    try {
      const { reply } = await worker.issueStringCommand(JSON.stringify(req));
      const r = JSON.parse(reply);
      if (r !== null && typeof r === "object" && r.error !== undefined) event({ event: "log", message: `${req.op}: ${JSON.stringify(r.error)}` });
    } catch (e) {
      event({ event: "log", message: `${req.op}: ${message(e)}` });
    }
  });
}

function handleLine(line) {
  queue = queue.then(async () => {
    try {
      const { reply, meterUsage } = await worker.issueStringCommand(line);
      const meter = { allocate: meterUsage.allocate, currentHeapCount: meterUsage.currentHeapCount, compute: meterUsage.compute };
      process.stdout.write(`{"ok":true,"meter":${JSON.stringify(meter)},"reply":${reply}}\n`);
    } catch (e) {
      send({ ok: false, error: message(e) });
    }
  });
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  let nl = buffer.indexOf("\n");
  while (nl >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim() !== "") handleLine(line);
    nl = buffer.indexOf("\n");
  }
});
process.stdin.on("end", () => {
  if (buffer.trim() !== "") handleLine(buffer);
  queue = queue.then(async () => {
    closing = true;
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    await worker.close().catch(() => {});
    if (port !== undefined && port.isOpen) await new Promise((resolve) => port.close(() => resolve()));
    process.exit(0);
  });
});
