/**
 * The fake Clock (firmware/hal/clock.ts) every test uses: time moves only when the test calls `advance` or
 * `set`. Timers fall due in order of their due time (ties: the order they were set), each seeing `now()`
 * equal to its due time; a timer set while advancing runs in the same advance when it falls due within it.
 * Nothing runs inside `setTimeout`, whatever `ms` is: like a real clock, callbacks never run synchronously.
 *
 *   const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
 *   const cloud = await startCloud({ timers: clock });   // or startBridge({clock}), an AtEngine({clock}) …
 *   clock.advance(799);   // nothing due yet
 *   clock.advance(1);     // the timer set for 800 ms runs now
 */
import type { Clock } from "../../firmware/hal/clock.js";

interface Timer {
  id: number;
  at: number;
  cb: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  /** `start`: the first `now()` (Unix ms for host parts that write dates; 0 by default). */
  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), cb });
    return id;
  }

  clearTimeout(id: number): void {
    this.timers.delete(id);
  }

  /** Moves time forward by `ms` (≥ 0), running every timer that falls due, in order. Returns how many ran. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be ≥ 0, got ${ms}`);
    const end = this.t + ms;
    let ran = 0;
    for (;;) {
      let next: Timer | undefined;
      for (const x of this.timers.values()) if (x.at <= end && (next === undefined || x.at < next.at || (x.at === next.at && x.id < next.id))) next = x;
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      ran++;
      next.cb();
    }
    this.t = end;
    return ran;
  }

  /** Moves time forward to `ms` (a clock never goes back: an earlier time is a RangeError). */
  set(ms: number): number {
    if (ms < this.t) throw new RangeError(`FakeClock.set: ${ms} is before now (${this.t}); time never goes back`);
    return this.advance(ms - this.t);
  }

  /** Timers still waiting. */
  pending(): number {
    return this.timers.size;
  }
}
