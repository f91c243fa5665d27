/**
 * The cloud's time source (CloudContext.timers): `now()` in epoch ms plus `setTimeout`/`clearTimeout`.
 * The network simulator (paging delay, eDRX windows, latency, SMSC retries and expiry) schedules through it,
 * so a test can drive time instead of waiting:
 *
 *   const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
 *   const cloud = await startCloud({ timers: clock });         // dates come from clock.now() too
 *   …create an IpCommand for an idle SIM with paging_delay_ms 800…
 *   clock.advance(799);   // nothing sent yet
 *   clock.advance(1);     // the datagram leaves now
 *
 * Real I/O (sockets, HTTP) is never faked; only what the mock schedules by itself.
 */

/** What setTimeout returned: a Node timer (real) or a number (FakeClock). */
export type TimerHandle = NodeJS.Timeout | number;

export interface Timers {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` (≥ 0) milliseconds of this clock. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock time and Node's timers (the default). */
export const REAL_TIMERS: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Real timers with another notion of "now" (startCloud({clock}) without `timers`). */
export function timersWithClock(clock: () => Date): Timers {
  return { ...REAL_TIMERS, now: () => clock().getTime() };
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock: time moves only through `advance(ms)` / `set(ms)`; due timers run in order of their due
 * time (then of scheduling), each seeing `now()` equal to its due time. Timers scheduled while advancing
 * run in the same advance when they fall due within it.
 */
export class FakeClock implements Timers {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, FakeTimer>();

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** The same instant as a Date (for startCloud({clock})). */
  date(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.pending.delete(handle);
  }

  /** Timers not yet run. */
  get size(): number {
    return this.pending.size;
  }

  /** Due time of the earliest pending timer, or null. */
  nextAt(): number | null {
    let min: number | null = null;
    for (const p of this.pending.values()) if (min === null || p.at < min) min = p.at;
    return min;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. Returns how many ran. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new Error("FakeClock.advance: ms must be ≥ 0");
    const end = this.t + ms;
    let ran = 0;
    for (;;) {
      let next: FakeTimer | null = null;
      for (const p of this.pending.values()) if (p.at <= end && (next === null || p.at < next.at || (p.at === next.at && p.id < next.id))) next = p;
      if (next === null) break;
      this.pending.delete(next.id);
      if (next.at > this.t) this.t = next.at;
      ran++;
      next.fn();
    }
    this.t = end;
    return ran;
  }

  /** Sets the time (forward only runs timers; backward just moves the clock). */
  set(ms: number): number {
    if (ms >= this.t) return this.advance(ms - this.t);
    this.t = ms;
    return 0;
  }
}
