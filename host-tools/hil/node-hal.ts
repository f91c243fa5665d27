/**
 * The firmware HAL on Node for `simcmd hil` and the contract suites: a SerialPort
 * (firmware/hal/serial.ts) over the `serialport` package on a real tty (a virtual modem's
 * /dev/pts/N, or hardware), and a Clock (firmware/hal/clock.ts) over setTimeout.
 */
import { SerialPort as NodeSerialPort } from "serialport";
import type { Clock } from "../../firmware/hal/clock.js";
import type { SerialPort } from "../../firmware/hal/serial.js";

/** Baud rate when none is given: 115200, what BG96, SIM7080G and SARA-R4 use out of the box. */
export const DEFAULT_BAUD_RATE = 115200;

/** Kept of the byte log (`NodeSerial.log`): the last 64 KiB, latin1. */
const LOG_KEEP = 65536;

export class NodeSerial implements SerialPort {
  private receiver: ((bytes: number[]) => void) | null = null;
  /** The last bytes both ways, latin1, `>` before what was written, `<` before what was read. */
  log = "";
  /** The last error the port reported after it was opened (e.g. the other end went away). */
  lastError: Error | null = null;

  private constructor(private readonly port: NodeSerialPort) {
    port.on("data", (d: Buffer) => {
      this.record("<" + d.toString("latin1"));
      this.receiver?.([...d]);
    });
    // Without a listener an 'error' event would be thrown; a broken line shows up as timeouts instead.
    port.on("error", (e: Error) => {
      this.lastError = e;
    });
  }

  /** Opens `path` (8N1, no flow control); rejects with the `serialport` error when it cannot. */
  static open(path: string, baudRate = DEFAULT_BAUD_RATE): Promise<NodeSerial> {
    return new Promise((resolve, reject) => {
      const port = new NodeSerialPort({ path, baudRate }, (e) => (e ? reject(e) : resolve(new NodeSerial(port))));
    });
  }

  write(bytes: number[]): void {
    const b = Buffer.from(bytes);
    this.record(">" + b.toString("latin1"));
    this.port.write(b);
  }

  setOnData(cb: (bytes: number[]) => void): void {
    this.receiver = cb;
  }

  /** Closes the port; resolves once it is closed (at once when it already was). */
  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  private record(text: string): void {
    this.log += text;
    if (this.log.length > 2 * LOG_KEEP) this.log = this.log.slice(-LOG_KEEP);
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
  /** Cancels every pending timer (end of a run), so nothing keeps the process alive. */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
