/**
 * firmware/agent/modem-agent.ts on a scripted serial and a fake clock: a bring-up that fails is
 * retried with exponential backoff, logged and never thrown. The working path (all three families
 * through the virtual modem, in XS) is test/e2e/device-modem.test.ts.
 */
import { describe, expect, test } from "@jest/globals";
import { ModemAgent, type ModemAgentState } from "../../firmware/agent/modem-agent.js";
import { utf16Text } from "../../firmware/core/text.js";
import { MemoryStore } from "../../firmware/hal/storage.js";
import { bg96 } from "../../firmware/modems/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSerial } from "../helpers/fake-serial.js";

function build(retryMax?: number) {
  const clock = new FakeClock();
  const serial = new FakeSerial(clock).reply("AT\r", "\r\nERROR\r\n", 0, true);
  const logs: string[] = [];
  const states: ModemAgentState[] = [];
  const agent = new ModemAgent({
    serial,
    clock,
    storage: new MemoryStore(),
    text: utf16Text,
    family: "bg96",
    driver: bg96,
    info: { version: "0.1.0", runtime: "node", modem: "bg96" },
    ...(retryMax === undefined ? {} : { retryMax }),
    onLog: (m) => logs.push(m),
    onState: (s) => states.push(s),
  });
  const ats = () => serial.writes.filter((w) => w === "AT\r").length;
  return { clock, serial, agent, logs, states, ats };
}

describe("ModemAgent bring-up", () => {
  test("a modem that answers ERROR is retried after 1 s, 2 s, 4 s … and the failure is logged", () => {
    const { clock, agent, logs, states, ats } = build();
    agent.start();
    clock.advance(0);
    expect(ats()).toBe(1);
    expect(agent.status()).toMatchObject({ state: "retrying", attempts: 1, errors: 1 });
    expect(logs).toContain("bring-up step init failed (attempt 1): at AT: ERROR");
    for (const wait of [1000, 2000, 4000, 8000]) {
      const before = ats();
      clock.advance(wait - 1);
      expect(ats()).toBe(before);
      clock.advance(1);
      expect(ats()).toBe(before + 1);
    }
    expect(states.slice(0, 4)).toEqual(["starting", "retrying", "starting", "retrying"]);
    agent.stop();
    clock.advance(100000);
    expect(agent.status().state).toBe("stopped");
    expect(ats()).toBe(5);
  });

  test("the backoff stops growing at retryMax", () => {
    const { clock, agent, ats } = build(3000);
    agent.start();
    clock.advance(0);
    clock.advance(1000 + 2000 + 3000 + 3000);
    expect(ats()).toBe(5);
  });
});
