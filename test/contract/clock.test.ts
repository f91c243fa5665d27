/** The Clock contract against the real Node clock and the fake one every test uses. */
import { NodeClock } from "../../host-tools/clock/node-clock.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { clockContract } from "./clock.contract.js";

clockContract("NodeClock (host-tools/clock/node-clock.ts)", () => {
  const clock = new NodeClock();
  return {
    clock,
    // the clock's own timer is the event waited on: it is due last, so everything due before it has run
    elapse: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
    slackMs: 1,
    close: () => clock.clearAll(),
  };
});

clockContract("NodeClock with unref", () => {
  const clock = new NodeClock({ unref: true });
  return { clock, elapse: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)), slackMs: 1, close: () => clock.clearAll() };
});

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
