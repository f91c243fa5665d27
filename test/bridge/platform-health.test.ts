/**
 * Platform health as its own retained state (`{prefix}/bridge/{instance}/platforms/{platform}`), and the
 * Messaging From number per device and per request, against a fake Twilio API on an injected clock: refused
 * credentials, a run of 5xx and an unreachable API make the platform `no_communication` with the reason and
 * leave the devices alone; an answer makes it `normal` again; a 4xx about the request is the device's.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { ConfigError, mergeSources, normalize, startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeApi, Recorder, tempDir, type Msg } from "./helpers.js";

const ACCOUNT = "AC" + "2".repeat(32);
const TOKEN = "u".repeat(32);
const P = "simcmd/v1";
const INSTANCE = "health";
const sim = (n: string) => ({ status: 200, body: { sid: "HS" + n.repeat(32), unique_name: `dev-${n}`, account_sid: ACCOUNT } });
const IPC = "POST /supersim/v1/IpCommands";
const MSG = "POST /api/2010-04-01/Accounts/AC/Messages.json";
const refused = { status: 401, body: { code: 20003, message: "Authenticate", status: 401 } };
const err5 = { status: 503, body: { code: 20503, message: "Service unavailable", status: 503 } };
const created = (sid: string) => ({ status: 201, body: { sid, status: "queued" } });

let api: FakeApi;
let bridge: BridgeHandle;
let rec: Recorder;
const clock = new FakeClock();
const data = tempDir("health");

beforeAll(async () => {
  clock.advance(1_700_000_000_000);
  api = await FakeApi.open({ "GET /supersim/v1/Sims/dev-a": sim("a"), "GET /supersim/v1/Sims/dev-b": sim("b"), "GET /supersim/v1/Sims/dev-c": sim("c") });
  bridge = await startBridge({
    port: 0, brokerPort: 0, data: data.dir, instance: INSTANCE, clock, retryMax: 2,
    messagingDeviceFrom: { "+15551230001": "+15557650001" },
    twilio: { baseUrl: api.url, accountSid: ACCOUNT, authToken: TOKEN },
  });
  rec = await Recorder.open(bridge.mqttUrl, [`${P}/#`]);
});

afterAll(async () => {
  await rec?.close();
  await bridge?.close();
  await api?.close();
  data.remove();
});

const down = (device: string, body: object) => rec.client.publishAsync(`${P}/devices/${device}/down`, JSON.stringify(body), { qos: 1 });
const is = (device: string, status: string, id: string) => (m: Msg) => m.topic === `${P}/devices/${device}/down/${status}` && m.json.id === id;
const healthTopic = (platform: string) => `${P}/bridge/${INSTANCE}/platforms/${platform}`;
const health = (platform: string): Msg[] => rec.find((m) => m.topic === healthTopic(platform));
const faults = (): Msg[] => rec.find((m) => m.topic.endsWith("/state") && m.json.state === "fault");

/** The retained state a consumer that subscribes now gets. */
async function retained(platform: string): Promise<Msg> {
  const late = await Recorder.open(bridge.mqttUrl, [healthTopic(platform)]);
  try {
    const [m] = await late.waitFor(() => true);
    expect(m?.retain).toBe(true);
    return m as Msg;
  } finally {
    await late.close();
  }
}

/** Lets the worker record its retry (the clock only moves when the test says so). */
async function retries(platform: string, n: number): Promise<void> {
  for (let i = 0; i < 200 && bridge.metrics.get("simcmd_bridge_retries_total", { platform }) < n; i++) await new Promise((r) => setImmediate(r));
  expect(bridge.metrics.get("simcmd_bridge_retries_total", { platform })).toBe(n);
}

describe("platform health", () => {
  test("refused credentials: the platform is no_communication with the reason, each downlink fails with the code, no device turns to fault; accepted again → normal", async () => {
    api.script["GET /supersim/v1/Sims/dev-a"] = [refused, refused, sim("a")];
    api.script[MSG] = [refused];
    await down("dev-a", { id: "c1", command: "ping" });
    await down("dev-a", { id: "c2", command: "ping" });
    await down("15551230001", { id: "c3", command: "ping" });
    for (const [device, id] of [["dev-a", "c1"], ["dev-a", "c2"], ["15551230001", "c3"]] as const) {
      const [f] = await rec.waitFor(is(device, "failed", id));
      expect(f?.json).toMatchObject({ attempts: 1, error: { status: 401, code: 20003 } });
    }
    for (const platform of ["twilio-supersim", "twilio-messaging"]) {
      const [h] = health(platform);
      expect(h?.json).toMatchObject({ platform, state: "no_communication" });
      expect(String(h?.json.reason)).toMatch(/^credentials refused \(HTTP 401, code 20003: /);
      expect(health(platform)).toHaveLength(1); // published on change only
      expect((await retained(platform)).json).toMatchObject({ state: "no_communication" });
    }
    expect(faults()).toEqual([]);
    expect(rec.find((m) => m.topic.endsWith("/state") && m.topic.includes("/devices/"))).toEqual([]);

    api.script[IPC] = [created("HG" + "a".repeat(32))];
    await down("dev-a", { id: "c4", command: "ping" });
    await rec.waitFor(is("dev-a", "queued", "c4"));
    const [normal] = await rec.waitFor((m) => m.topic === healthTopic("twilio-supersim") && m.json.state === "normal");
    expect(normal?.json).toMatchObject({ platform: "twilio-supersim", reason: null });
    expect((await retained("twilio-supersim")).json).toMatchObject({ state: "normal", reason: null });
  });

  test("a run of 5xx: two in a row leave the platform normal, the third makes it no_communication; the device is not at fault; an answer → normal", async () => {
    const before = health("twilio-supersim").length;
    api.script[IPC] = [err5, err5, err5, created("HG" + "c".repeat(32))];
    const calls = api.count(IPC);
    await down("dev-b", { id: "r1", command: "ping" });
    await api.waitCalls(IPC, calls + 1);
    await retries("twilio-supersim", 1);
    clock.advance(1300);
    await api.waitCalls(IPC, calls + 2);
    await retries("twilio-supersim", 2);
    expect(health("twilio-supersim")).toHaveLength(before);
    clock.advance(2500);
    await api.waitCalls(IPC, calls + 3);
    const [f] = await rec.waitFor(is("dev-b", "failed", "r1"));
    expect(f?.json).toMatchObject({ attempts: 3, error: { status: 503, code: 20503 } });
    await rec.waitFor((m) => m.topic === healthTopic("twilio-supersim"), before + 1);
    const h = health("twilio-supersim")[before];
    expect(h?.json.state).toBe("no_communication");
    expect(h?.json.reason).toMatch(/^server errors: 3 in a row \(last HTTP 503, code 20503: /);
    expect(faults()).toEqual([]);
    await down("dev-b", { id: "r2", command: "ping" });
    await rec.waitFor(is("dev-b", "queued", "r2"));
    await rec.waitFor((m) => m.topic === healthTopic("twilio-supersim"), before + 2);
    expect(health("twilio-supersim")[before + 1]?.json).toMatchObject({ state: "normal", reason: null });
  });

  test("unreachable (the connection is closed without an answer): no_communication at once; the retry gets through → normal and the command is queued", async () => {
    const before = health("twilio-supersim").length;
    const retried = bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-supersim" });
    api.script[IPC] = [{ status: 0, body: {} }, created("HG" + "d".repeat(32))];
    await down("dev-c", { id: "u1", command: "ping" });
    await rec.waitFor((m) => m.topic === healthTopic("twilio-supersim"), before + 1);
    expect(health("twilio-supersim")[before]?.json).toMatchObject({ state: "no_communication" });
    expect(String(health("twilio-supersim")[before]?.json.reason)).toMatch(/^unreachable \(/);
    await retries("twilio-supersim", retried + 1);
    clock.advance(1300);
    await rec.waitFor(is("dev-c", "queued", "u1"));
    await rec.waitFor((m) => m.topic === healthTopic("twilio-supersim"), before + 2);
    expect(health("twilio-supersim")[before + 1]?.json).toMatchObject({ state: "normal", reason: null });
    expect(faults()).toEqual([]);
  });

  test("a 4xx about the request (400/21211) is the device's: down/failed and fault; the platform stays normal", async () => {
    const before = health("twilio-supersim").length;
    api.script[IPC] = [{ status: 400, body: { code: 21211, message: "Invalid", status: 400 } }];
    await down("dev-c", { id: "b1", command: "ping" });
    await rec.waitFor(is("dev-c", "failed", "b1"));
    await rec.waitFor((m) => m.topic === `${P}/devices/dev-c/state` && m.json.state === "fault");
    expect(health("twilio-supersim")).toHaveLength(before);
  });
});

describe("Messaging From number", () => {
  test("per request (from), else per device (messagingDeviceFrom), else none configured → rejected no_from, nothing sent", async () => {
    api.script[MSG] = [created("SM" + "1".repeat(32))];
    const sent = () => api.forms.filter((f) => f.Body !== undefined).at(-1);
    const calls = api.count(MSG);
    await down("15551230001", { id: "f1", command: "ping" });
    await api.waitCalls(MSG, calls + 1);
    expect(sent()).toMatchObject({ To: "+15551230001", From: "+15557650001", Body: "f1 ping" });
    await down("15551230001", { id: "f2", command: "ping", from: "+15557650009" });
    await api.waitCalls(MSG, calls + 2);
    expect(sent()).toMatchObject({ To: "+15551230001", From: "+15557650009", Body: "f2 ping" });
    await down("15551230002", { id: "f3", command: "ping", from: "MG" + "0".repeat(32) });
    await api.waitCalls(MSG, calls + 3);
    expect(sent()).toMatchObject({ To: "+15551230002", MessagingServiceSid: "MG" + "0".repeat(32), Body: "f3 ping" });
    expect(sent()?.From).toBeUndefined();
    await down("15551230002", { id: "f4", command: "ping" });
    const [r] = await rec.waitFor(is("15551230002", "rejected", "f4"));
    expect(r?.json.error).toMatchObject({ code: "no_from", message: expect.stringMatching(/^no From number for 15551230002/) });
    expect(api.count(MSG)).toBe(calls + 3);
  });

  test("messagingDeviceFrom from a flag or the environment (k=v,…) or a file mapping; bad entries name the option", () => {
    const env = { SIMCMD_BRIDGE_MESSAGING_DEVICE_FROM: "15551230001=+15557650001, +15551230002=MG" + "a".repeat(32) };
    expect(normalize({ ...mergeSources({}, env, {}), signature: "off" }).messagingDeviceFrom).toEqual({ "15551230001": "+15557650001", "15551230002": "MG" + "a".repeat(32) });
    const flags = { "messaging-device-from": "15551230003=+15557650003" };
    expect(normalize({ ...mergeSources({ messagingDeviceFrom: { "15551230001": "+15557650001" } }, env, flags), signature: "off" }).messagingDeviceFrom).toEqual({ "15551230003": "+15557650003" });
    expect(normalize({ signature: "off" }).messagingDeviceFrom).toEqual({});
    expect(() => mergeSources({}, { SIMCMD_BRIDGE_MESSAGING_DEVICE_FROM: "15551230001" }, {})).toThrow(/SIMCMD_BRIDGE_MESSAGING_DEVICE_FROM: must be key=value pairs/);
    expect(() => normalize({ signature: "off", messagingDeviceFrom: { "dev-a": "+15557650001" } })).toThrow(ConfigError);
    expect(() => normalize({ signature: "off", messagingDeviceFrom: { "15551230001": "+1 555" } })).toThrow(/option messagingDeviceFrom: 15551230001: an E.164 number/);
    expect(() => normalize({ signature: "off", messagingDeviceFrom: { "15551230001": 15557650001 as unknown as string } })).toThrow(/must be a non-empty string/);
  });
});
