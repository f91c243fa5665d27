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

const OK = "\r\nOK\r\n";

/** A BG96 on a scripted serial that answers init (AT, ATE0, AT+CMEE=2, AT+CPIN?) every time. */
function answering(clock: FakeClock): FakeSerial {
  return new FakeSerial(clock)
    .reply("AT\r", OK, 0, true)
    .reply("ATE0\r", OK, 0, true)
    .reply("AT+CMEE=2\r", OK, 0, true)
    .reply("AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n", 0, true);
}

function agentOn(serial: FakeSerial, clock: FakeClock, logs: string[], power?: { on: (done: () => void) => void }): ModemAgent {
  return new ModemAgent({
    serial,
    clock,
    storage: new MemoryStore(),
    text: utf16Text,
    family: "bg96",
    driver: bg96,
    info: { version: "0.1.0", runtime: "node", modem: "bg96" },
    atTimeout: 500,
    tuning: { pollInterval: 100, bootTimeout: 1000 },
    ...(power === undefined ? {} : { power }),
    onLog: (m) => logs.push(m),
  });
}

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

  test("a bring-up that fails after the modem answered resets the modem (AT+CFUN=1,1) before the next attempt", () => {
    const clock = new FakeClock();
    // Registration is refused the first time (a modem still holding the state of an earlier run).
    const serial = answering(clock).reply("AT+CEREG=2\r", "\r\nERROR\r\n").reply("AT+CFUN=1,1\r", OK);
    const logs: string[] = [];
    const agent = agentOn(serial, clock, logs);
    agent.start();
    clock.advance(0);
    expect(agent.status().state).toBe("retrying");
    expect(serial.writes).not.toContain("AT+CFUN=1,1\r");
    clock.advance(1000);
    const reset = serial.writes.indexOf("AT+CFUN=1,1\r");
    expect(reset).toBeGreaterThan(0);
    // After the reset: the boot probe (AT), then init again, then registration.
    expect(serial.writes.slice(reset + 1, reset + 6)).toEqual(["AT\r", "AT\r", "ATE0\r", "AT+CMEE=2\r", "AT+CPIN?\r"]);
    expect(logs).toContain("resetting the modem before bringing it up again");
    agent.stop();
  });

  test("a modem that does not answer AT gets a power-key pulse from the board hook; one that answers never does", () => {
    const clock = new FakeClock();
    const silent = new FakeSerial(clock);
    const pulses: number[] = [];
    const logs: string[] = [];
    const agent = agentOn(silent, clock, logs, {
      on: (done) => {
        pulses.push(clock.now());
        // The modem boots while the key is held, and answers from then on.
        silent.reply("AT\r", OK, 0, true).reply("ATE0\r", OK, 0, true).reply("AT+CMEE=2\r", OK, 0, true);
        clock.setTimeout(done, 1000);
      },
    });
    agent.start();
    clock.advance(499);
    expect(pulses).toEqual([]);
    clock.advance(1);
    expect(pulses).toEqual([500]); // after the first AT timed out (atTimeout 500)
    expect(logs).toContain("the modem does not answer: pulsing its power key");
    clock.advance(1000);
    expect(silent.writes.filter((w) => w === "ATE0\r").length).toBe(1); // booted: init runs
    agent.stop();

    const clock2 = new FakeClock();
    const pulses2: number[] = [];
    const agent2 = agentOn(answering(clock2), clock2, [], { on: (done) => (pulses2.push(1), done()) });
    agent2.start();
    clock2.advance(5000);
    expect(pulses2).toEqual([]);
    agent2.stop();
  });
});
