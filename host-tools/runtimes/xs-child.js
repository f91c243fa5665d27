#!/usr/bin/env node
/**
 * Runs a firmware bundle in the real XS engine (@agoric/xsnap) on behalf of XsRuntime
 * (host-tools/runtimes/xs.ts). Plain JavaScript so it runs without compilation. It lives in its
 * own process because `@endo/init` (which xsnap's API needs) locks down the process that imports it.
 *
 *   node host-tools/runtimes/xs-child.js [BUNDLE [STORAGE.json]]   (default: dist/firmware/xs/pdu.js)
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
 *   3. At end of stdin, closes the worker and exits 0.
 */
import "@endo/init";
import { xsnap } from "@agoric/xsnap";
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bundlePath = path.resolve(process.argv[2] ?? path.join(root, "dist/firmware/xs/pdu.js"));
/** Where the worker's persistent key-value storage lives (JSON object); absent: in memory only. */
const storagePath = process.argv[3] ? path.resolve(process.argv[3]) : undefined;

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

/**
 * Answers the worker's `issueCommand` (HAL services the host provides):
 * {op: "storage.get", key} → {value|null}; {op: "storage.set", key, value}; {op: "storage.remove", key}.
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
    } else reply = { error: "unknown host command" };
  } catch (e) {
    reply = { error: message(e) };
  }
  return new TextEncoder().encode(JSON.stringify(reply));
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
    await worker.close().catch(() => {});
    process.exit(0);
  });
});
