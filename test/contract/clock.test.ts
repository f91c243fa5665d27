/** The Clock contract against the real Node clock and the fake one every test uses. */
import { NodeClock } from "../../host-tools/clock/node-clock.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { type ClockDriver, clockContract } from "./clock.contract.js";

/**
 * Lets `ms` pass on a real clock: waits on one of the clock's own timers, then, since Node runs timers of
 * different lengths from separate lists (under load one due earlier can still be pending when a later one
 * has fired), on each next timer turn until nothing due by the target is left (at most 1000 turns).
 */
function realDriver(clock: NodeClock): ClockDriver {
  const elapse = async (ms: number): Promise<void> => {
    const target = clock.now() + Math.max(0, ms);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    for (let turns = 0; turns < 1000; turns++) {
      const due = clock.nextDue();
      if (due === undefined || due > target) return;
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
    throw new Error(`timers due by ${target} still pending after 1000 turns`);
  };
  return { clock, elapse, slackMs: 1, close: () => clock.clearAll() };
}

clockContract("NodeClock (host-tools/clock/node-clock.ts)", () => realDriver(new NodeClock()));
clockContract("NodeClock with unref", () => realDriver(new NodeClock({ unref: true })));

clockContract("FakeClock (test/helpers/fake-clock.ts)", () => {
  const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
  return {
    clock,
    elapse: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    slackMs: 0,
    close: () => undefined,
  };
});
