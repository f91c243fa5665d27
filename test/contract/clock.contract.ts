/**
 * The Clock contract (firmware/hal/clock.ts), run against every implementation: what device code, the
 * bridge, the mock cloud and the dashboard may rely on when they schedule on an injected clock.
 *
 *   now()              a finite number that never decreases
 *   setTimeout(cb, ms) a new positive integer id; `cb` runs once, never inside setTimeout itself (not even
 *                      for ms 0 or below), and not before `ms` of now() have passed; earlier due first
 *   clearTimeout(id)   a pending timer never runs; unknown and fired ids are ignored
 *
 * Each implementation gives a driver: `elapse(ms)` lets `ms` of its time pass (the fake clock advances,
 * the real one waits on one of its own timers), so the same steps run on both.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import type { Clock } from "../../firmware/hal/clock.js";

export interface ClockDriver {
  clock: Clock;
  /** Lets `ms` of the clock's time pass: every timer due by then has run when it resolves. */
  elapse(ms: number): Promise<void>;
  /** How much earlier than `ms` (by now()) a timer may run: the real clock's timers and Date.now() round apart. */
  slackMs: number;
  /** Cancels what is left. */
  close(): void;
}

export function clockContract(name: string, make: () => ClockDriver): void {
  describe(`Clock contract: ${name}`, () => {
    let d: ClockDriver;
    const open = (): ClockDriver => (d = make());
    afterEach(() => d?.close());

    test("now() is a finite number that never decreases", async () => {
      const { clock, elapse } = open();
      const seen = [clock.now()];
      for (let i = 0; i < 5; i++) {
        await elapse(3);
        seen.push(clock.now(), clock.now());
      }
      for (const t of seen) expect(Number.isFinite(t)).toBe(true);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] as number);
      expect((seen[seen.length - 1] as number) - (seen[0] as number)).toBeGreaterThanOrEqual(15 - 5 * d.slackMs);
    });

    test("setTimeout gives new positive integer ids", () => {
      const { clock } = open();
      const ids = [0, 5, 5, 1000].map((ms) => clock.setTimeout(() => undefined, ms));
      for (const id of ids) {
        expect(Number.isInteger(id)).toBe(true);
        expect(id).toBeGreaterThan(0);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    test("a callback never runs inside setTimeout, not even for 0 or a negative ms, nor inside another callback", async () => {
      const { clock, elapse } = open();
      const log: string[] = [];
      clock.setTimeout(() => log.push("zero"), 0);
      clock.setTimeout(() => log.push("negative"), -5);
      clock.setTimeout(() => {
        log.push("outer");
        clock.setTimeout(() => log.push("inner"), 0);
        log.push("outer done");
      }, 1);
      expect(log).toEqual([]);
      await elapse(5);
      expect(log.slice(0, 2).sort()).toEqual(["negative", "zero"]);
      expect(log.indexOf("outer done")).toBe(log.indexOf("outer") + 1);
      await elapse(5);
      expect(log.filter((x) => x === "inner")).toEqual(["inner"]);
    });

    test("each callback runs once, not before its ms have passed, earlier due first", async () => {
      const { clock, elapse } = open();
      const ran: { ms: number; late: number }[] = [];
      for (const ms of [30, 10, 20]) {
        const at = clock.now();
        clock.setTimeout(() => ran.push({ ms, late: clock.now() - at - ms }), ms);
      }
      await elapse(5);
      expect(ran).toEqual([]);
      await elapse(40);
      expect(ran.map((r) => r.ms)).toEqual([10, 20, 30]);
      for (const r of ran) expect(r.late).toBeGreaterThanOrEqual(-d.slackMs);
      await elapse(40);
      expect(ran).toHaveLength(3);
    });

    test("clearTimeout: a pending timer never runs; unknown and fired ids are ignored", async () => {
      const { clock, elapse } = open();
      const log: string[] = [];
      const fired = clock.setTimeout(() => log.push("fired"), 1);
      await elapse(2);
      const a = clock.setTimeout(() => log.push("a"), 5);
      const b = clock.setTimeout(() => log.push("b"), 10);
      clock.setTimeout(() => clock.clearTimeout(b), 5); // cleared from inside another callback
      clock.clearTimeout(a);
      clock.clearTimeout(fired);
      clock.clearTimeout(987_654_321);
      await elapse(20);
      expect(log).toEqual(["fired"]);
    });

    test("a wait longer than Node's timers take (2^31 ms) does not fire at once", async () => {
      const { clock, elapse } = open();
      let ran = false;
      const id = clock.setTimeout(() => (ran = true), 2 ** 31 + 1000);
      await elapse(10);
      expect(ran).toBe(false);
      clock.clearTimeout(id);
    });
  });
}
