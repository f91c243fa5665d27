#!/usr/bin/env node
/**
 * Runs a firmware bundle in the real XS engine (@agoric/xsnap) on behalf of XsRuntime (xs.ts), speaking
 * the line protocol of xs-protocol.ts on stdin/stdout. It lives in its own process because `@endo/init`
 * (which xsnap's API needs) locks down the process that imports it. Built to
 * dist/host-tools/runtimes/xs-child.js like the rest of host-tools; XsRuntime starts it from there.
 *
 *   node dist/host-tools/runtimes/xs-child.js [BUNDLE [STORAGE.json]] [--serial PATH]
 *                                                        (default bundle: dist/firmware/xs/pdu.js)
 *
 * XS has no timers, storage or I/O of its own: this process serves them to the worker (xs-host-services.ts,
 * over the Node device host's HAL) and calls into the worker when bytes arrive or a timer fires. `--serial
 * PATH` lets the bundle open that tty (the virtual modem's pty, or a real UART): the HAL of
 * firmware/ports/xs-host/modem-agent-entry.ts.
 */
import "@endo/init";
import { xsnap, type XsnapWorker } from "@agoric/xsnap";
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { packageRoot } from "./line-process.js";
import { message, XsHostServices } from "./xs-host-services.js";
import { parseChildArgs, type HostDelivery, type XsEventLine, type XsMeter, type XsReady, type XsReply } from "./xs-protocol.js";

const args = parseChildArgs(process.argv.slice(2), path.join(packageRoot(), "dist/firmware/xs/pdu.js"));
const bundlePath = path.resolve(args.bundle);

function send(line: XsReady | XsReply | XsEventLine): void {
  process.stdout.write(JSON.stringify(line) + "\n");
}

function event(e: Record<string, unknown>): void {
  send({ event: e });
}

let closing = false;
let queue: Promise<void> = Promise.resolve();

const services = new XsHostServices({
  ...(args.storage === undefined ? {} : { storage: path.resolve(args.storage) }),
  ...(args.serial === undefined ? {} : { serial: args.serial }),
  deliver,
  event,
});

let worker: XsnapWorker;
try {
  const code = fs.readFileSync(bundlePath, "utf8");
  worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fsp },
    name: "simcmd-xs",
    handleCommand: (request) => services.handle(request),
    // No per-command computation limit: the agent and the bench run long commands (xsnap
    // otherwise ends the worker with "too much computation").
    meteringLimit: 0,
    stdout: "ignore",
    stderr: "inherit", // `print` output of the worker shows on our stderr
  });
  await worker.evaluate(code);
} catch (e) {
  const hint = (e as { code?: unknown } | null)?.code === "ENOENT" ? " (run `npm run build` first)" : "";
  send({ ready: false, error: `cannot start XS with ${bundlePath}: ${message(e)}${hint}` });
  process.exit(1);
}
send({ ready: true });

/** Calls into the worker on the host's own account (serial bytes, a timer): no reply line. */
function deliver(req: HostDelivery): void {
  if (closing) return;
  queue = queue.then(async () => {
    if (closing) return;
    try {
      const { reply } = await worker.issueStringCommand(JSON.stringify(req));
      const r = JSON.parse(reply) as { error?: unknown } | null;
      if (r !== null && typeof r === "object" && r.error !== undefined) event({ event: "log", message: `${req.op}: ${JSON.stringify(r.error)}` });
    } catch (e) {
      event({ event: "log", message: `${req.op}: ${message(e)}` });
    }
  });
}

/** One request line: answered with the bundle's reply embedded as is (it is JSON already). */
function handleLine(line: string): void {
  queue = queue.then(async () => {
    try {
      const { reply, meterUsage } = await worker.issueStringCommand(line);
      const meter: XsMeter = { allocate: meterUsage.allocate, currentHeapCount: meterUsage.currentHeapCount, compute: meterUsage.compute };
      process.stdout.write(`{"ok":true,"meter":${JSON.stringify(meter)},"reply":${reply}}\n`);
    } catch (e) {
      send({ ok: false, error: message(e) });
    }
  });
}

let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
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
    await worker.close().catch(() => {});
    await services.close();
    process.exit(0);
  });
});
