/**
 * The DeviceStates contract (host-tools/bridge/device-state.ts), run against every implementation: the same
 * transitions give the same retained `…/state` values, in the same order, on an injected clock.
 *
 * Each implementation gives a driver: its `states`, the clock it was built on, and `published()` — the
 * state payloads it handed on for publishing so far, in order. What is published is the state as it is when
 * it is published: transitions asked for together may show only the last (Redis), so the steps below settle
 * after each transition whose state they look at.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import type { DeviceStates } from "../../host-tools/bridge/device-state.js";
import type { FakeClock } from "../helpers/fake-clock.js";

export interface StatePayload {
  device: string;
  state: string;
  condition: string;
  reason: string | null;
  since: string;
  at: string;
}

export interface DeviceStatesDriver {
  states: DeviceStates;
  clock: FakeClock;
  /** The `…/state` payloads handed on so far, oldest first. */
  published(): StatePayload[];
  close(): Promise<void>;
}

const NO_COMM_MS = 60_000;

export function deviceStatesContract(name: string, make: (noCommMs: number) => Promise<DeviceStatesDriver>): void {
  describe(`DeviceStates contract: ${name}`, () => {
    let d: DeviceStatesDriver | undefined;
    const open = async (): Promise<DeviceStatesDriver> => (d = await make(NO_COMM_MS));
    afterEach(async () => {
      await d?.close();
      d = undefined;
    });
    /** The (state, condition, reason) triples published, after every transition asked for is settled. */
    const shown = async (x: DeviceStatesDriver): Promise<[string, string, string | null][]> => {
      await x.states.settled();
      return x.published().map((p) => [p.state, p.condition, p.reason]);
    };
    /** Runs each transition and lets it settle before the next. */
    const steps = async (x: DeviceStatesDriver, ...fs: ((s: DeviceStates) => unknown)[]): Promise<void> => {
      for (const f of fs) {
        f(x.states);
        await x.states.settled();
      }
    };

    test("a first uplink publishes normal once; more uplinks from the same SIM publish nothing", async () => {
      const x = await open();
      x.states.uplink("d1", "twilio", "HS1");
      await x.states.settled();
      x.states.uplink("d1", "twilio", "HS1");
      x.states.uplink("d1", "twilio", null);
      expect(await shown(x)).toEqual([["normal", "normal", null]]);
      expect(x.published()[0]?.device).toBe("d1");
    });

    test("a failure is a fault with its reason until a success clears it; a success without a fault publishes nothing", async () => {
      const x = await open();
      await steps(
        x,
        (s) => s.uplink("d1", "twilio", null),
        (s) => s.succeeded("d1"),
        (s) => s.failed("d1", "delivery of c1 failed", false),
        (s) => s.failed("d1", "delivery of c1 failed", false),
        (s) => s.succeeded("d1"),
      );
      expect(await shown(x)).toEqual([
        ["normal", "normal", null],
        ["fault", "fault", "delivery of c1 failed"],
        ["normal", "normal", null],
      ]);
    });

    test("a detached SIM is no_communication until an uplink", async () => {
      const x = await open();
      await steps(
        x,
        (s) => s.failed("d1", "delivery of c2 failed (83401)", true),
        (s) => s.uplink("d1", "twilio", "HS1"),
      );
      expect(await shown(x)).toEqual([
        ["no_communication", "no_communication", "SIM detached"],
        ["fault", "fault", "delivery of c2 failed (83401)"],
      ]);
    });

    test("silence for the period is no_communication, checked by checkSilence; an uplink ends it", async () => {
      const x = await open();
      x.states.uplink("d1", "twilio", null);
      x.states.seen("d2"); // never spoke: silence counts from when the bridge sent to it
      await x.states.settled();
      x.states.seen("d1"); // it spoke: nothing changes
      x.clock.advance(NO_COMM_MS - 1);
      x.states.checkSilence();
      expect((await shown(x)).map((s) => s[0])).toEqual(["normal", "normal"]);
      x.clock.advance(1);
      x.states.checkSilence();
      await x.states.settled();
      const silent = x.published().slice(2).sort((a, b) => a.device.localeCompare(b.device));
      expect(silent.map((p) => [p.device, p.state, p.reason])).toEqual([
        ["d1", "no_communication", "no uplink for 60 s"],
        ["d2", "no_communication", "no uplink for 60 s"],
      ]);
      await steps(
        x,
        (s) => s.checkSilence(), // still silent: nothing more
        (s) => s.uplink("d1", "twilio", null),
      );
      expect((await shown(x)).slice(4)).toEqual([["normal", "normal", null]]);
    });

    test("acknowledge marks a condition as seen until it clears; with nothing to acknowledge nothing changes", async () => {
      const x = await open();
      await steps(
        x,
        (s) => s.uplink("d1", "twilio", null),
        (s) => expect(s.operator("d1", "acknowledge")).toBe(true),
        (s) => s.failed("d1", "r1", false),
        (s) => expect(s.operator("d1", '{"action":"acknowledge"}')).toBe(true),
        (s) => s.succeeded("d1"),
      );
      expect(await shown(x)).toEqual([
        ["normal", "normal", null],
        ["fault", "fault", "r1"],
        ["acknowledged", "fault", "r1"],
        ["normal", "normal", null],
      ]);
    });

    test("mask hides every condition until reset; reset also clears the fault", async () => {
      const x = await open();
      await steps(
        x,
        (s) => s.uplink("d1", "twilio", null),
        (s) => s.operator("d1", " mask "),
        (s) => s.failed("d1", "r1", false),
        (s) => s.operator("d1", "acknowledge"), // masked: stays masked
        (s) => s.operator("d1", "reset"),
      );
      expect(await shown(x)).toEqual([
        ["normal", "normal", null],
        ["masked", "normal", null],
        ["masked", "fault", "r1"],
        ["normal", "normal", null],
      ]);
    });

    test("transitions asked for together end in the state of the last one", async () => {
      const x = await open();
      x.states.uplink("d1", "twilio", null);
      x.states.failed("d1", "r1", false);
      x.states.operator("d1", "acknowledge");
      x.states.failed("d1", "r2", true);
      const all = await shown(x);
      expect(all.at(-1)).toEqual(["acknowledged", "no_communication", "SIM detached"]);
    });

    test("an unknown action is refused and changes nothing", async () => {
      const x = await open();
      expect(x.states.operator("d1", "explode")).toBe(false);
      expect(x.states.operator("d1", "{not json")).toBe(false);
      expect(x.states.operator("d1", '{"action":5}')).toBe(false);
      expect(await shown(x)).toEqual([]);
    });

    test("since stays while the state stays (a new reason), and moves when the state changes; at is the transition's time", async () => {
      const x = await open();
      const t0 = x.clock.now();
      x.states.failed("d1", "r1", false);
      await x.states.settled();
      x.clock.advance(5000);
      x.states.failed("d1", "r2", false);
      await x.states.settled();
      x.clock.advance(5000);
      x.states.succeeded("d1");
      await x.states.settled();
      const p = x.published();
      expect(p.map((s) => [s.reason, Date.parse(s.since) - t0, Date.parse(s.at) - t0])).toEqual([
        ["r1", 0, 0],
        ["r2", 0, 5000],
        [null, 10_000, 10_000],
      ]);
    });
  });
}
