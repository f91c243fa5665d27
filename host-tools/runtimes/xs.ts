/**
 * A firmware bundle running in the real XS engine (xsnap), behind a child process (xs-child.ts; the
 * protocol is xs-protocol.ts). Needs `npm run build` (the child dist/host-tools/runtimes/xs-child.js and
 * the bundles, by default dist/firmware/xs/pdu.js). One child serves any number of requests, in order.
 *
 *   const xs = await XsRuntime.start();
 *   await xs.request({ op: "decode", items: [hex, { pdu: hex, smsc: false }] });  // → [result, …]
 *   await xs.close();
 */
import path from "node:path";
import { LineProcess, packageRoot } from "./line-process.js";
import { childArgs, type XsMeter, type XsReady, type XsReply } from "./xs-protocol.js";

export type { XsMeter } from "./xs-protocol.js";

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
    const child = path.join(root, "dist/host-tools/runtimes/xs-child.js");
    const args = [
      child,
      ...childArgs({
        bundle,
        ...(options.storage === undefined ? {} : { storage: path.resolve(options.storage) }),
        ...(options.serial === undefined ? {} : { serial: options.serial }),
      }),
    ];
    const proc = new LineProcess("xs runtime", process.execPath, args, root, options.onEvent);
    const ready = (await proc.nextLine()) as Partial<XsReady>;
    if (ready.ready !== true) {
      await proc.close();
      throw new Error((ready as { error?: string }).error ?? "xs runtime: the child did not start");
    }
    return new XsRuntime(proc);
  }

  /** Sends one request to the bundle's handleCommand; resolves with its parsed JSON answer. */
  async request(req: object): Promise<unknown> {
    const r = (await this.#proc.request(req)) as XsReply;
    if (r.ok !== true) throw new Error(`xs runtime: ${r.error ?? "request failed"}`);
    this.lastMeter = r.meter ?? null;
    return r.reply;
  }

  async close(): Promise<void> {
    await this.#proc.close();
  }
}
