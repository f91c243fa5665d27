/**
 * The XS host protocol, Node side: how XsRuntime (xs.ts) starts and speaks to its child process
 * (xs-child.ts), which runs a firmware bundle in the real XS engine (xsnap). What the worker and the child
 * say to each other (HostCommand, HostAnswer, HostDelivery, WorkerEvent) is firmware/ports/xs-host/
 * protocol.ts, re-exported here.
 *
 * The child's command line: `xs-child.js [BUNDLE [STORAGE.json]] [--serial PATH]` (childArgs, parseChildArgs).
 * Then newline-delimited JSON:
 *   1. After evaluating BUNDLE in a new worker the child writes an XsReady line.
 *   2. Each stdin line is one request, handed as is to the bundle's `handleCommand`; the child answers
 *      with one XsReply line, one request at a time, in order. The reply is the bundle's JSON embedded as is.
 *   3. At the end of stdin the child closes the worker (and the serial port, and cancels the timers) and
 *      exits 0.
 *   Whenever the worker sends a WorkerEvent the child writes an XsEventLine; it is not a reply
 *   (line-process.ts routes it apart).
 */
export type { HostAnswer, HostCommand, HostDelivery, WorkerEvent } from "../../firmware/ports/xs-host/protocol.js";

/** What XS reports after each command (xsnap's meter). */
export interface XsMeter {
  /** Bytes the XS machine has allocated (chunks and slots). */
  allocate: number | null;
  /** Live slots on the heap. */
  currentHeapCount: number | null;
  /** Computation units of the command. */
  compute: number | null;
}

/** The child's first line: the bundle is loaded, or why not (then it exits 1). */
export type XsReady = { ready: true } | { ready: false; error: string };

/** The child's answer to one request line. */
export type XsReply = { ok: true; meter: XsMeter; reply: unknown } | { ok: false; error: string };

/** A line the child writes on the worker's behalf, not in answer to a request. */
export interface XsEventLine {
  event: Record<string, unknown>;
}

/** The child's command line, as XsRuntime gives it and the child reads it. */
export interface XsChildArgs {
  /** The script evaluated in the worker (an absolute path). */
  bundle: string;
  /** A JSON file holding the worker's persistent storage. Absent: memory only. */
  storage?: string;
  /** A tty the worker may open (`{op: "serial.open"}`). */
  serial?: string;
}

/** XsChildArgs as argv (after the script). */
export function childArgs(a: XsChildArgs): string[] {
  const args = a.storage === undefined ? [a.bundle] : [a.bundle, a.storage];
  if (a.serial !== undefined) args.push("--serial", a.serial);
  return args;
}

/** argv (after the script) as XsChildArgs; `defaultBundle` when none is named. Paths are left as given. */
export function parseChildArgs(argv: readonly string[], defaultBundle: string): XsChildArgs {
  const positional: string[] = [];
  let serial: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--serial") serial = argv[++i];
    else positional.push(argv[i] as string);
  }
  const storage = positional[1] === undefined || positional[1] === "" ? undefined : positional[1];
  return {
    bundle: positional[0] ?? defaultBundle,
    ...(storage === undefined ? {} : { storage }),
    ...(serial === undefined ? {} : { serial }),
  };
}
