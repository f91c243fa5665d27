/**
 * A SerialPort (firmware/hal/serial.ts) for unit tests: records every write, lets the test push
 * modem bytes (`emit`), and can answer scripted commands after a delay on a FakeClock:
 *
 *   serial.reply("AT+CSQ\r", "\r\n+CSQ: 15,0\r\n\r\nOK\r\n", 20);   // 20 ms after the write
 *
 * Strings are 8-bit (one char per octet). The real-serial tests over a pty are the virtual
 * modem's (host-tools/virtual-modem).
 */
import type { SerialPort } from "../../firmware/hal/serial.js";
import type { FakeClock } from "./fake-clock.js";

export function bytesOf(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 255);
  return out;
}

export function stringOf(bytes: number[]): string {
  return String.fromCharCode(...bytes);
}

interface Reply {
  write: string;
  answer: string;
  delay: number;
  once: boolean;
}

export class FakeSerial implements SerialPort {
  /** Every write, in order, as 8-bit strings. */
  readonly writes: string[] = [];
  private receiver: ((bytes: number[]) => void) | null = null;
  private replies: Reply[] = [];
  private readonly clock: FakeClock | null;

  constructor(clock?: FakeClock) {
    this.clock = clock ?? null;
  }

  write(bytes: number[]): void {
    const s = stringOf(bytes);
    this.writes.push(s);
    const i = this.replies.findIndex((r) => r.write === s);
    if (i < 0) return;
    const r = this.replies[i]!;
    if (r.once) this.replies.splice(i, 1);
    if (this.clock === null) throw new Error("FakeSerial.reply needs a FakeClock");
    this.clock.setTimeout(() => this.emit(r.answer), r.delay);
  }

  setOnData(cb: (bytes: number[]) => void): void {
    this.receiver = cb;
  }

  /** Delivers modem bytes now (a string is taken as 8-bit). */
  emit(data: string | number[]): void {
    if (this.receiver === null) throw new Error("no receiver set");
    this.receiver(typeof data === "string" ? bytesOf(data) : data.slice());
  }

  /** Answers the write `write` (exact bytes) with `answer` after `delay` ms (once unless `always`). */
  reply(write: string, answer: string, delay = 0, always = false): this {
    this.replies.push({ write, answer, delay, once: !always });
    return this;
  }

  /** The last write, or undefined. */
  lastWrite(): string | undefined {
    return this.writes[this.writes.length - 1];
  }
}
