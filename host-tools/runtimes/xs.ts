/**
 * The firmware PDU codec running in the real XS engine (xsnap), behind a child process
 * (host-tools/runtimes/xs-child.js, see there for the protocol). Needs `npm run build` (the
 * bundle dist/firmware/xs/pdu.js). One child serves any number of requests, in order.
 *
 *   const xs = await XsRuntime.start();
 *   await xs.request({ op: "decode", items: [hex, { pdu: hex, smsc: false }] });  // → [result, …]
 *   await xs.close();
 */
import path from "node:path";
import { LineProcess, packageRoot } from "./line-process.js";

export interface XsRuntimeOptions {
  /** The script to evaluate in the worker. Default: <package>/dist/firmware/xs/pdu.js. */
  bundle?: string;
  /** A JSON file holding the worker's persistent storage (HAL KeyValueStore). Default: memory only. */
  storage?: string;
  /** A tty the worker may open through the host (`{op: "serial.open"}`). Default: none. */
  serial?: string;
  /** The worker's events (`{op: "event", …}` through issueCommand). Default: dropped. */
  onEvent?: (event: Record<string, unknown>) => void;
}

/** What XS reports after each command (xsnap's meter). */
export interface XsMeter {
  /** Bytes the XS machine has allocated (chunks and slots). */
  allocate: number | null;
  /** Live slots on the heap. */
  currentHeapCount: number | null;
  /** Computation units of the command. */
  compute: number | null;
}

interface ChildReply {
  ok?: boolean;
  reply?: unknown;
  meter?: XsMeter;
  error?: string;
  ready?: boolean;
}

export class XsRuntime {
  readonly #proc: LineProcess;
  /** XS's meter after the last request (null before any). */
  lastMeter: XsMeter | null = null;

  private constructor(proc: LineProcess) {
    this.#proc = proc;
  }

  static async start(options: XsRuntimeOptions = {}): Promise<XsRuntime> {
    const root = packageRoot();
    const bundle = path.resolve(options.bundle ?? path.join(root, "dist/firmware/xs/pdu.js"));
    const child = path.join(root, "host-tools/runtimes/xs-child.js");
    const args = options.storage === undefined ? [child, bundle] : [child, bundle, path.resolve(options.storage)];
    if (options.serial !== undefined) args.push("--serial", options.serial);
    const proc = new LineProcess("xs runtime", process.execPath, args, root, options.onEvent);
    const ready = (await proc.nextLine()) as ChildReply;
    if (ready.ready !== true) {
      await proc.close();
      throw new Error(ready.error ?? "xs runtime: the child did not start");
    }
    return new XsRuntime(proc);
  }

  /** Sends one request to the bundle's handleCommand; resolves with its parsed JSON answer. */
  async request(req: object): Promise<unknown> {
    const r = (await this.#proc.request(req)) as ChildReply;
    if (r.ok !== true) throw new Error(`xs runtime: ${r.error ?? "request failed"}`);
    this.lastMeter = r.meter ?? null;
    return r.reply;
  }

  async close(): Promise<void> {
    await this.#proc.close();
  }
}
