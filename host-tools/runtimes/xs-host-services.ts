/**
 * What the XS child (xs-child.ts) serves its xsnap worker through `issueCommand` (the HostCommands of
 * firmware/ports/xs-host/protocol.ts), over the Node device host's HAL: storage in a JsonFileStore, the tty
 * as a NodeSerial, timers on a NodeClock, events to the parent. Bytes from the tty and due timers go back
 * to the worker through `deliver`, which the child queues behind the command in progress: these services
 * never call into the worker themselves (it is waiting for their answer).
 */
import { JsonFileStore } from "../device-host/json-file-store.js";
import { DEFAULT_BAUD_RATE, NodeSerial } from "../device-host/node-serial.js";
import { NodeClock } from "../clock/node-clock.js";
import type { HostAnswer, HostCommand, HostDelivery } from "./xs-protocol.js";

export interface XsHostServicesOptions {
  /** The JSON file of the worker's persistent storage. Absent: memory only. */
  storage?: string;
  /** The tty the worker may open. Absent: serial.open answers an error. */
  serial?: string;
  /** Hands bytes from the tty and due timers to the worker. */
  deliver: (d: HostDelivery) => void;
  /** Passes an event on to the parent. */
  event: (e: Record<string, unknown>) => void;
}

export class XsHostServices {
  readonly store: JsonFileStore;
  readonly #o: XsHostServicesOptions;
  readonly #clock = new NodeClock();
  /** Clock timer ids by the worker's timer ids. */
  readonly #timers = new Map<number, number>();
  #port: NodeSerial | undefined;
  #closing = false;

  constructor(o: XsHostServicesOptions) {
    this.#o = o;
    this.store = new JsonFileStore(o.storage);
  }

  /**
   * One issueCommand request (JSON bytes) → its JSON answer. A request that is no HostCommand, or that the
   * host cannot serve, gets `{error}`; this never throws.
   */
  async handle(request: Uint8Array): Promise<Uint8Array> {
    let answer: HostAnswer;
    try {
      const cmd = decodeHostCommand(JSON.parse(new TextDecoder().decode(request)));
      answer = cmd === undefined ? { error: "unknown host command" } : await this.run(cmd);
    } catch (e) {
      answer = { error: message(e) };
    }
    return new TextEncoder().encode(JSON.stringify(answer));
  }

  /** One request, once decoded. */
  async run(cmd: HostCommand): Promise<HostAnswer> {
    switch (cmd.op) {
      case "storage.get":
      case "storage.set":
      case "storage.remove":
        return this.storage(cmd);
      case "serial.open":
        return this.#openSerial();
      case "serial.write":
        if (this.#port === undefined) return { error: "serial port not open" };
        this.#port.write([...Buffer.from(cmd.hex, "hex")]);
        return { ok: true };
      case "timer.set":
        this.#setTimer(cmd.id, cmd.ms);
        return { ok: true };
      case "timer.clear":
        this.#clearTimer(cmd.id);
        return { ok: true };
      case "event": {
        const { op: _op, ...rest } = cmd;
        this.#o.event(rest);
        return { ok: true };
      }
    }
  }

  /** A storage command: answered at once (the store is synchronous, as the worker's side of it is). */
  storage(cmd: Extract<HostCommand, { op: `storage.${string}` }>): HostAnswer {
    if (cmd.op === "storage.get") return { value: this.store.get(cmd.key) ?? null };
    if (cmd.op === "storage.set") this.store.set(cmd.key, cmd.value);
    else this.store.remove(cmd.key);
    return { ok: true };
  }

  /** Cancels the timers and closes the tty; nothing is delivered afterwards. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#clock.clearAll();
    this.#timers.clear();
    if (this.#port !== undefined && this.#port.isOpen) await this.#port.close();
  }

  async #openSerial(): Promise<HostAnswer> {
    if (this.#port !== undefined) return { ok: true };
    const path = this.#o.serial;
    if (path === undefined) return { error: "no serial port was given (--serial PATH)" };
    try {
      this.#port = await NodeSerial.open(path, DEFAULT_BAUD_RATE, {
        onError: (err) => this.#o.event({ event: "log", message: `serial ${path}: ${err.message}` }),
        onClose: () => {
          if (!this.#closing) this.#o.event({ event: "log", message: `serial ${path} closed` });
        },
      });
    } catch (e) {
      return { error: `cannot open ${path}: ${message(e)}` };
    }
    this.#port.setOnData((bytes) => this.#o.deliver({ op: "serial", hex: Buffer.from(bytes).toString("hex") }));
    return { ok: true };
  }

  #setTimer(id: number, ms: number): void {
    this.#clearTimer(id);
    this.#timers.set(id, this.#clock.setTimeout(() => {
      this.#timers.delete(id);
      this.#o.deliver({ op: "timer", id });
    }, ms));
  }

  #clearTimer(id: number): void {
    const t = this.#timers.get(id);
    if (t !== undefined) this.#clock.clearTimeout(t);
    this.#timers.delete(id);
  }
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The worker's JSON as a HostCommand, checked field by field (it is not trusted to be one); undefined when it
 * is none. A missing storage key is "" and a missing or non-positive timer delay 0; an event's fields are
 * passed on as they are.
 */
export function decodeHostCommand(v: unknown): HostCommand | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const req = v as Partial<Record<string, unknown>>;
  const key = typeof req["key"] === "string" ? req["key"] : "";
  const op = req["op"];
  if (op === "storage.get" || op === "storage.remove") return { op, key };
  if (op === "storage.set" && typeof req["value"] === "string") return { op, key, value: req["value"] };
  if (op === "serial.open") return { op };
  if (op === "serial.write" && typeof req["hex"] === "string") return { op, hex: req["hex"] };
  if (op === "timer.set" && typeof req["id"] === "number") return { op, id: req["id"], ms: typeof req["ms"] === "number" && req["ms"] > 0 ? req["ms"] : 0 };
  if (op === "timer.clear" && typeof req["id"] === "number") return { op, id: req["id"] };
  if (op === "event") return req as HostCommand;
  return undefined;
}
