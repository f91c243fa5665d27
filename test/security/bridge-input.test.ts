/**
 * Point 9 on the bridge and the CLI: a status looked up on a plain object ("constructor"), fastify's own
 * error shapes and 404 for a wrong method, downlinks that are not UTF-8 or are nested too deep, a `--mqtt`
 * URL of another scheme, and the data folder made before the configuration was checked.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { encodeSubmit } from "../../host-tools/pdu/index.js";
import { cli } from "../helpers/cli.js";
import { Recorder, tempDir } from "../bridge/helpers.js";
import { httpRequest, ipUplink, rawRequest, signedPost } from "./helpers.js";

const TOKEN = "b".repeat(32);
const ACCOUNT = "AC" + "b".repeat(32);
const data = tempDir("sec-bridge-input");
let bridge: BridgeHandle;
let rec: Recorder;
let cloud: CloudHandle;

beforeAll(async () => {
  cloud = await startCloud({ accountSid: ACCOUNT, authToken: TOKEN });
  bridge = await startBridge({ port: 0, brokerPort: 0, data: data.dir, instance: "sec-input", prefix: "in", twilio: { baseUrl: cloud.url, accountSid: ACCOUNT, authToken: TOKEN } });
  rec = await Recorder.open(bridge.mqttUrl, ["in/#"]);
});
afterAll(async () => {
  await rec?.close();
  await bridge?.close();
  await cloud?.close();
  data.remove();
});

describe("webhooks", () => {
  test.each(["constructor", "__proto__", "toString", "hasOwnProperty"])("a signed status callback with Status=%s → 400 unknown status, nothing published", async (status) => {
    const url = `${bridge.url}/webhooks/twilio/ip-commands`;
    const p = { AccountSid: ACCOUNT, CommandSid: "HG" + "3".repeat(32), SimSid: "HS" + "3".repeat(32), SimUniqueName: "st", Status: status, Direction: "to_sim" };
    const r = await signedPost(url, TOKEN, p);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/unknown status/);
    const huawei = await fetch(`${bridge.url}/webhooks/huawei/cmd`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ deviceId: "d", commandId: "c", result: { resultCode: status } }) });
    expect(huawei.status).toBe(403); // no token: refused before the status is even read
    await rec.settle();
    expect(rec.find((m) => m.topic.includes("/down/"))).toEqual([]);
  });

  test("a bad % in the path → 400, headers over 16 KiB → 431, a wrong method → 405 with Allow: all text, not fastify's JSON", async () => {
    const port = Number(new URL(bridge.url).port);
    const bad = await rawRequest(port, "GET /webhooks/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(bad.status).toBe(400);
    expect(bad.head).toMatch(/content-type: text\/plain/i);
    expect(bad.body).not.toMatch(/FST_ERR/);
    const big = await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.head).toMatch(/content-type: text\/plain/i);
    const put = await httpRequest(`${bridge.url}/webhooks/twilio/ip-commands`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, HEAD, POST");
    expect((await httpRequest(`${bridge.url}/nothing-here`)).status).toBe(404);
  });

  test("a Huawei notification nested too deep → 400 (it would overflow the stack when published)", async () => {
    const res = await fetch(`${bridge.url}/webhooks/huawei/cmd?k=whatever`, { method: "POST", headers: { "content-type": "application/json" }, body: "[".repeat(3000) + "]".repeat(3000) });
    expect([400, 403]).toContain(res.status);
  });

  test("an uplink from a SIM whose name is too long for a topic level → 400, not stored", async () => {
    const r = await signedPost(`${bridge.url}/webhooks/twilio/ip-commands`, TOKEN, ipUplink(ACCOUNT, "x".repeat(2000), 40));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/bad device name/);
  });
});

describe("downlinks over MQTT", () => {
  test("not UTF-8 → down/rejected bad_json (never sent with U+FFFD); nested 8,000 deep → bad_json, and the next one goes on", async () => {
    const topic = "in/devices/u8/down";
    await rec.client.publishAsync(topic, Buffer.concat([Buffer.from('{"id":"u1","command":"echo '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), { qos: 1 });
    const [r1] = await rec.waitFor((m) => m.topic === "in/devices/u8/down/rejected" && (m.json.error as { message: string }).message.includes("UTF-8"));
    expect(r1?.json).toMatchObject({ error: { code: "bad_json" } });
    // 8,000 deep fits the 16 KiB request limit
    const deep = "[".repeat(8000) + "]".repeat(8000);
    await rec.client.publishAsync(topic, `{"id":"u2","command":{"serviceId":"s","method":"m","paras":{"a":${deep}}}}`, { qos: 1 });
    await rec.waitFor((m) => m.topic === "in/devices/u8/down/rejected" && (m.json.error as { message: string }).message.includes("nested deeper"));
    await rec.client.publishAsync(topic, JSON.stringify({ id: "u3", command: "ping" }), { qos: 1 });
    // no such device on the mock cloud: what matters is that u3 is taken and answered
    await rec.waitFor((m) => m.topic === "in/devices/u8/down/rejected" && m.json.id === "u3" && (m.json.error as { code: string }).code === "unknown_device");
  });
});

describe("configuration and CLI", () => {
  const run = (args: string[], cwd: string) => spawnSync(process.execPath, [join(process.cwd(), "bin/simcmd.js"), ...args], { cwd, encoding: "utf8", timeout: 20_000 });

  test.each([
    [["--mqtt", "ftp://127.0.0.1:21"], /option mqtt|--mqtt.*must be a mqtt, mqtts, ws, wss URL/],
    [["--mqtt-ca", "/nonexistent/ca.pem", "--mqtt", "mqtts://127.0.0.1:8883"], /mqttCa: cannot read/],
    [["--redis", "http://127.0.0.1:6379"], /redis, rediss URL/],
  ])("simcmd bridge %j → usage error (2), and no data folder is made in the working directory", (args, message) => {
    const cwd = mkdtempSync(join(tmpdir(), "simcmd-sec-cwd-"));
    try {
      const r = run(["bridge", "--twilio-account-sid", ACCOUNT, "--twilio-auth-token", TOKEN, ...args], cwd);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(join(cwd, "simcmd-bridge-data"))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test("simcmd dev --mqtt ftp://… → usage error before anything starts", async () => {
    const r = await cli(["dev", "--mqtt", "ftp://127.0.0.1:21", "--devices", "0"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--mqtt: must be a mqtt, mqtts, ws, wss URL/);
  });

  test("pdu encode --language 9 → usage error; the encoder refuses a language it has no tables for", async () => {
    const r = await cli(["pdu", "encode", "--to", "+123", "--text", "hello", "--language", "9"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--language/);
    expect((await cli(["pdu", "encode", "--to", "+123", "--text", "hello", "--language", "1"])).code).toBe(0);
    expect(() => encodeSubmit({ to: "+123", text: "hello", language: 9 })).toThrow(/national language 9 has no shift tables/);
  });
});
