/**
 * The firmware HAL on Node for the contract suites: a SerialPort (firmware/hal/serial.ts) over the
 * `serialport` package on a real tty (the virtual modem's /dev/pts/N, or hardware), and a Clock
 * over setTimeout. Plus `call`, which turns a driver's Done callback into a promise for tests.
 */
import { SerialPort as NodeSerialPort } from "serialport";
import type { Clock } from "../../firmware/hal/clock.js";
import type { SerialPort } from "../../firmware/hal/serial.js";
import type { Done } from "../../firmware/modems/index.js";

export class NodeSerial implements SerialPort {
  private receiver: ((bytes: number[]) => void) | null = null;
  /** Every byte both ways, latin1, for failure messages. */
  log = "";
  private constructor(private readonly port: NodeSerialPort) {
    port.on("data", (d: Buffer) => {
      this.log += "<" + d.toString("latin1");
      this.receiver?.([...d]);
    });
  }

  static open(path: string, baudRate = 115200): Promise<NodeSerial> {
    return new Promise((resolve, reject) => {
      const port = new NodeSerialPort({ path, baudRate }, (e) => (e ? reject(e) : resolve(new NodeSerial(port))));
    });
  }

  write(bytes: number[]): void {
    const b = Buffer.from(bytes);
    this.log += ">" + b.toString("latin1");
    this.port.write(b);
  }

  setOnData(cb: (bytes: number[]) => void): void {
    this.receiver = cb;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

/** Real time: ids are positive integers (firmware/hal/clock.ts). */
export class NodeClock implements Clock {
  private next = 1;
  private timers = new Map<number, NodeJS.Timeout>();
  now(): number {
    return Date.now();
  }
  setTimeout(cb: () => void, ms: number): number {
    const id = this.next++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        cb();
      }, ms),
    );
    return id;
  }
  clearTimeout(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }
  /** Cancels every pending timer (end of a suite). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** Runs a driver call; resolves with its value, rejects with its ModemError as an Error. */
export function call<T>(f: (cb: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    f((o) => (o.ok ? resolve(o.value) : reject(new Error(`${o.error.kind} ${o.error.command}: ${o.error.message} (code ${o.error.code})`))));
  });
}

/** Like call, but resolves with the failure (for the tests that expect one). */
export function callOutcome<T>(f: (cb: Done<T>) => void): Promise<Parameters<Done<T>>[0]> {
  return new Promise((resolve) => f(resolve));
}

/** A queue of things pushed by callbacks, awaited with a bounded wait. */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: (() => void)[] = [];
  push = (x: T): void => {
    this.items.push(x);
    for (const w of this.waiters.splice(0)) w();
  };
  async next(what: string, timeoutMs = 5000, pred: (x: T) => boolean = () => true): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.items.findIndex(pred);
      if (i >= 0) return this.items.splice(i, 1)[0] as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  get length(): number {
    return this.items.length;
  }
}
