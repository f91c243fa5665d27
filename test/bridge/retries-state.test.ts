/**
 * Platform failures and device state, on an injected clock (no waiting): Messaging SMS gets one retry after
 * 5 s then fails; a 4xx is final with the platform's code; a 5xx is retried with backoff until it succeeds;
 * silence → no_communication, operator acknowledge / mask / reset, an uplink → normal. Plus config errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, mergeSources, normalize, readConfigFile, startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { run } from "../../host-tools/cli/main.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeApi, postForm, Recorder, tempDir } from "./helpers.js";

const ACCOUNT = "AC" + "1".repeat(32);
const TOKEN = "t".repeat(32);
const SIM = "HS" + "d".repeat(32);

const MSG = "POST /api/2010-04-01/Accounts/AC/Messages.json";
const IPC = "POST /supersim/v1/IpCommands";
const err5 = { status: 503, body: { code: 20503, message: "Service unavailable", status: 503 } };
const P = "simcmd/v1";
let api: FakeApi;
let bridge: BridgeHandle;
let rec: Recorder;
const clock = new FakeClock();
const data = tempDir("retry");

beforeAll(async () => {
  clock.advance(1_700_000_000_000);
  api = await FakeApi.open({ "GET /supersim/v1/Sims/ss-dev": { status: 200, body: { sid: SIM, unique_name: "ss-dev", account_sid: ACCOUNT } } });
  bridge = await startBridge({
    port: 0, brokerPort: 0, data: data.dir, instance: "retry", clock, messagingFrom: "+15005550006", noCommunication: 60,
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

describe("platform failures", () => {
  test("Messaging SMS: 5xx → one retry after 5 s → failed", async () => {
    api.script[MSG] = [err5];
    await down("15551234567", { id: "m1", command: "hello" });
    await api.waitCalls(MSG, 1);
    for (let i = 0; i < 100 && bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-messaging" }) < 1; i++) await new Promise((r) => setImmediate(r));
    expect(bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-messaging" })).toBe(1);
    clock.advance(4999);
    expect(api.count(MSG)).toBe(1);
    clock.advance(1);
    await api.waitCalls(MSG, 2);
    const [f] = await rec.waitFor((m) => m.topic === `${P}/devices/15551234567/down/failed` && m.json.id === "m1");
    expect(f?.json.error).toMatchObject({ status: 503, code: 20503 });
    clock.advance(60_000);
    expect(api.count(MSG)).toBe(2);
  });

  test("Messaging SMS with expires_at: sent with ValidityPeriod = the seconds left (1–36,000)", async () => {
    api.script[MSG] = [{ status: 201, body: { sid: "SM" + "1".repeat(32), status: "queued" } }];
    const calls = api.count(MSG);
    await down("15551234567", { id: "m-exp", command: "hello", expires_at: clock.now() + 90_000 });
    await api.waitCalls(MSG, calls + 1);
    const form = api.forms.filter((f) => f.Body !== undefined).at(-1);
    expect(form).toMatchObject({ To: "+15551234567", Body: "m-exp hello", ValidityPeriod: "90" });
    await down("15551234567", { id: "m-far", command: "hello", expires_at: clock.now() + 86_400_000 });
    await api.waitCalls(MSG, calls + 2);
    expect(api.forms.filter((f) => f.Body !== undefined).at(-1)).toMatchObject({ Body: "m-far hello", ValidityPeriod: "36000" });
  });

  test("4xx is final: down/failed with the platform's code, one call", async () => {
    api.script[IPC] = [{ status: 400, body: { code: 21211, message: "Invalid", status: 400 } }];
    await down("ss-dev", { id: "f4", command: "ping" });
    const [f] = await rec.waitFor((m) => m.topic === `${P}/devices/ss-dev/down/failed` && m.json.id === "f4");
    expect(f?.json.error).toMatchObject({ code: 21211, status: 400 });
    expect(api.count(IPC)).toBe(1);
  });

  test("5xx on IpCommands is retried with backoff until accepted → down/queued", async () => {
    const before = api.count(IPC);
    api.script[IPC] = [err5, err5, { status: 201, body: { sid: "HG" + "9".repeat(32), status: "queued" } }];
    await down("ss-dev", { id: "r5", command: "ping" });
    await api.waitCalls(IPC, before + 1);
    const waitRetry = async (n: number) => {
      for (let i = 0; i < 100 && bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-supersim" }) < n; i++) await new Promise((r) => setImmediate(r));
    };
    await waitRetry(1);
    clock.advance(1300);
    await api.waitCalls(IPC, before + 2);
    await waitRetry(2);
    clock.advance(2500);
    await api.waitCalls(IPC, before + 3);
    const [q] = await rec.waitFor((m) => m.topic === `${P}/devices/ss-dev/down/queued` && m.json.id === "r5");
    expect(q?.json.platform_ref).toBe("HG" + "9".repeat(32));
  });
});

describe("device state", () => {
  const state = (s: string) => (m: { topic: string; json: Record<string, unknown> }) => m.topic === `${P}/devices/quiet-dev/state` && m.json.state === s;
  const uplink = async (n: number) => {
    const url = `${bridge.url}/webhooks/twilio/sms-commands`;
    const p = { AccountSid: ACCOUNT, CommandSid: "HC" + String(n).padStart(32, "0"), SimSid: SIM, SimUniqueName: "quiet-dev", Payload: "hi", Direction: "from_sim", Status: "received" };
    expect(await postForm(url, p, { "x-twilio-signature": twilioSignature(TOKEN, url, p) })).toBe(204);
  };

  test("no uplink for the period → no_communication; acknowledge, mask, reset; an uplink → normal", async () => {
    await uplink(1);
    await rec.waitFor(state("normal"));
    clock.advance(60_000 + 15_000); // checked every quarter of the period
    const [nc] = await rec.waitFor(state("no_communication"));
    expect(nc?.retain).toBe(false); // live delivery; retained copies are for late subscribers (below)
    const set = (a: string) => rec.client.publishAsync(`${P}/devices/quiet-dev/state/set`, a, { qos: 1 });
    await set("acknowledge");
    await rec.waitFor(state("acknowledged"));
    await set(JSON.stringify({ action: "mask" }));
    await rec.waitFor(state("masked"));
    await set("reset");
    await rec.waitFor(state("no_communication"), 2);
    await uplink(2);
    await rec.waitFor(state("normal"), 2);
    const late = await Recorder.open(bridge.mqttUrl, [`${P}/devices/quiet-dev/state`]);
    try {
      const [r] = await late.waitFor((m) => m.retain);
      expect(r?.json).toMatchObject({ device: "quiet-dev", state: "normal", condition: "normal" });
    } finally {
      await late.close();
    }
  });
});

describe("configuration", () => {
  test("bad values and unknown keys give clear errors", () => {
    expect(() => normalize({ port: 70000, signature: "off" })).toThrow(/port: must be from 0 to 65535/);
    expect(() => normalize({ twilio: { authToken: "x", accountSid: "nope" } })).toThrow(/accountSid/);
    expect(() => normalize({} as never)).toThrow(ConfigError);
    expect(() => normalize({ signature: "off", bogus: 1 } as never)).toThrow(/unknown option bogus/);
    expect(() => normalize({ signature: "off", qos: 2, cluster: { postgres: "postgres://127.0.0.1/test" } } as never)).toThrow(/qos 2 and postgres .* cannot be combined/);
    expect(normalize({ signature: "off", qos: 2 } as never).qos).toBe(2);
    expect(() => mergeSources({}, { SIMCMD_BRIDGE_RETRY_BASE: "soon" }, {})).toThrow(/SIMCMD_BRIDGE_RETRY_BASE: must be an integer \(ms\)/);
    const o = mergeSources({ port: 1, twilio: { authToken: "file" } }, { SIMCMD_BRIDGE_PORT: "2", SIMCMD_BRIDGE_TWILIO_AUTH_TOKEN: "env" }, { port: "3" });
    expect(o).toMatchObject({ port: 3, twilio: { authToken: "env" } });
  });

  test("a YAML or JSON config file: nested keys, coerced and checked, naming the file; file < environment < flags", () => {
    const d = tempDir("config");
    try {
      const yaml = join(d.dir, "bridge.yaml");
      writeFileSync(yaml, "# the bridge\nport: 4100\nprefix: site/a\nnoCommunication: 900   # seconds\ntwilio:\n  authToken: from-file\n  accountSid: AC" + "1".repeat(32) + "\n");
      const fromYaml = readConfigFile(yaml);
      expect(fromYaml).toMatchObject({ port: 4100, prefix: "site/a", noCommunication: 900, twilio: { authToken: "from-file" } });
      const merged = normalize(mergeSources(fromYaml, { SIMCMD_BRIDGE_PREFIX: "site/env" }, { port: "4200" }));
      expect(merged).toMatchObject({ port: 4200, prefix: "site/env", noCommunication: 900 });
      const json = join(d.dir, "bridge.json");
      writeFileSync(json, JSON.stringify({ inflight: "64", twilio: { authToken: "j" } }));
      expect(readConfigFile(json)).toMatchObject({ inflight: 64, twilio: { authToken: "j" } });
      const bad = (name: string, text: string) => {
        const f = join(d.dir, name);
        writeFileSync(f, text);
        return () => readConfigFile(f);
      };
      expect(bad("syntax.yaml", "port: [4100\n")).toThrow(new RegExp(`config file .*syntax\\.yaml`));
      expect(bad("type.yaml", "port: many\n")).toThrow(/config file .*type\.yaml: port: must be an integer/);
      expect(bad("list.yaml", "- port: 1\n")).toThrow(/must be a mapping of option names to values/);
      expect(bad("unknown.yaml", "prot: 1\n")).toThrow(/unknown option prot/);
      expect(() => readConfigFile(join(d.dir, "missing.yaml"))).toThrow(ConfigError);
    } finally {
      d.remove();
    }
  });

  test("simcmd bridge --help lists every option with its env variable; a bad flag exits 2", async () => {
    let out = "";
    let err = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), lines: () => [] as unknown as AsyncIterable<string> };
    expect(await run(["bridge", "--help"], io as never)).toBe(0);
    expect(out).toContain("--twilio-base-url");
    expect(out).toContain("SIMCMD_BRIDGE_NO_COMMUNICATION");
    expect(await run(["bridge", "--port", "x", "--signature", "off"], io as never)).toBe(2);
    expect(err).toMatch(/--port: must be an integer/);
  });
});
