/** A Clock (firmware/hal/clock.ts) that moves only when a test calls `advance`. */
import type { Clock } from "../../firmware/hal/clock.js";

interface Timer {
  id: number;
  at: number;
  cb: () => void;
}

export class FakeClock implements Clock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), cb });
    return id;
  }

  clearTimeout(id: number): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }

  /** Moves time forward by `ms`, firing due timers in time order (ties: creation order). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= end && (next === undefined || x.at < next.at || (x.at === next.at && x.id < next.id))) next = x;
      if (next === undefined) break;
      this.t = next.at;
      this.clearTimeout(next.id);
      next.cb();
    }
    this.t = end;
  }

  /** Timers still waiting. */
  pending(): number {
    return this.timers.length;
  }
}
