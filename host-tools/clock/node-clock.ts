/**
 * The real Clock (firmware/hal/clock.ts) for everything that runs on Node: the bridge, the mock cloud, the
 * dashboard, the device hosts and HIL runs. Tests give those parts the fake clock (test/helpers/fake-clock.ts)
 * and move time themselves; the Clock contract suite (test/contract/clock.test.ts) runs against both.
 *
 * On the host `now()` is Unix time in milliseconds (Date.now()): the bridge and the cloud write it into
 * payloads and records as dates.
 *
 * What host code schedules on its injected clock: every delay, backoff, expiry and periodic check. What it
 * schedules on Node's timers directly: only bounds on waiting for real I/O (an HTTP call's timeout, a PUBACK,
 * a drain on close), which must pass in real time whatever a test does with the clock — each such place
 * says so — and next-turn work (`setImmediate`), which is ordering, not time.
 */
import type { Clock } from "../../firmware/hal/clock.js";

/** Node's setTimeout takes at most 2^31 − 1 ms (about 24.8 days); a longer wait would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NodeClockOptions {
  /** Pending timers do not keep the process alive (for a part whose sockets do). Default false. */
  unref?: boolean;
}

export class NodeClock implements Clock {
  private next = 1;
  private readonly timers = new Map<number, { t: NodeJS.Timeout; due: number }>();

  constructor(private readonly o: NodeClockOptions = {}) {}

  now(): number {
    return Date.now();
  }

  /**
   * `ms` below 0 is 0; above MAX_TIMER_MS it is cut to it (the timer fires early rather than at once).
   * Node starts a timer's wait at the event loop's cached time, which lags Date.now() by whatever ran since
   * the loop last woke (milliseconds under load): a timer that fires before `now()` has reached its due
   * time waits again for the rest, so a callback never runs before its `ms` have passed on this clock.
   */
  setTimeout(cb: () => void, ms: number): number {
    const id = this.next++;
    const wait = Math.min(Math.max(0, ms), MAX_TIMER_MS);
    const due = this.now() + wait;
    const arm = (after: number): void => {
      const t = setTimeout(() => {
        const left = due - this.now();
        if (left > 0) return arm(left);
        this.timers.delete(id);
        cb();
      }, after);
      if (this.o.unref === true) t.unref();
      this.timers.set(id, { t, due });
    };
    arm(wait);
    return id;
  }

  clearTimeout(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t.t);
    this.timers.delete(id);
  }

  /**
   * When the earliest pending timer is due (undefined when none is). Node runs timers of different lengths
   * from separate lists, so one due earlier may still be pending when a later one has fired: whoever must
   * know that everything due by a time has run asks this.
   */
  nextDue(): number | undefined {
    let first: number | undefined;
    for (const { due } of this.timers.values()) if (first === undefined || due < first) first = due;
    return first;
  }

  /** Cancels every pending timer (end of a run), so nothing keeps the process alive. */
  clearAll(): void {
    for (const { t } of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** A Unix time in ms as ISO 8601 with milliseconds, UTC (the dates in the bridge's and dashboard's payloads). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
