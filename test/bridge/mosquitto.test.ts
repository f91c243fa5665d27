/**
 * Against the real Mosquitto on 127.0.0.1:1883 (MQTT 5; .ci/run starts it) and Redis on 127.0.0.1:6379:
 * two bridge instances share the downlink subscription ($share/simcmd/…) — each downlink is handled by exactly
 * one — and share the webhook dedupe record through Redis — a webhook delivered to both is published once.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { SimulatedDevice } from "../../host-tools/device-host/device.js";
import { activeSim, cloudAndClient, type Client } from "../cloud/harness.js";
import { listening, postForm, Recorder, tempDir, uniquePrefix } from "./helpers.js";

const MOSQUITTO = "mqtt://127.0.0.1:1883";
const REDIS = "redis://127.0.0.1:6379";
let cloud: CloudHandle;
let client: Client;
let a: BridgeHandle;
let b: BridgeHandle;
let rec: Recorder;
let device: SimulatedDevice;
const dirs = [tempDir("mq-a"), tempDir("mq-b")];
const prefix = uniquePrefix("mq");
const name = `mq-dev-${process.pid}`;
const run = `${process.pid}${Date.now().toString(16)}`;

beforeAll(async () => {
  if (!(await listening(1883))) throw new Error("Mosquitto is not running on 127.0.0.1:1883 (.ci/run starts it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)");
  if (!(await listening(6379))) throw new Error("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)");
  ({ cloud, client } = await cloudAndClient());
  const common = { port: 0, mqtt: MOSQUITTO, prefix, redis: REDIS, twilio: { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken } };
  a = await startBridge({ ...common, data: (dirs[0] as { dir: string }).dir, instance: `mq-a-${run}` });
  b = await startBridge({ ...common, data: (dirs[1] as { dir: string }).dir, instance: `mq-b-${run}` });
  rec = await Recorder.open(MOSQUITTO, [`${prefix}/#`], { protocolVersion: 5 });
  await activeSim(client, { ipCommandsUrl: `${a.url}/webhooks/twilio/ip-commands` }, name);
  device = await SimulatedDevice.start({ cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim: name, runtime: "node" });
});

afterAll(async () => {
  await device?.close();
  await rec?.close();
  await a?.close();
  await b?.close();
  await cloud?.close();
  dirs.forEach((d) => d.remove());
  // leave no retained messages behind on the machine's broker
  const c = await Recorder.open(MOSQUITTO, []);
  for (const t of [`${prefix}/devices/${name}/state`, `${prefix}/bridge/mq-a-${run}/state`, `${prefix}/bridge/mq-b-${run}/state`, `${prefix}/devices/redis-dev/state`])
    await c.client.publishAsync(t, "", { qos: 1, retain: true });
  await c.close();
});

test("both instances use a shared subscription on Mosquitto and announce presence", async () => {
  expect(a.shared).toBe(true);
  expect(b.shared).toBe(true);
  await rec.waitFor((m) => m.topic === `${prefix}/bridge/mq-a-${run}/state` && m.text === "online");
  await rec.waitFor((m) => m.topic === `${prefix}/bridge/mq-b-${run}/state` && m.text === "online");
});

test("40 downlinks: each handled by exactly one instance, each succeeds once, both instances take a share", async () => {
  const N = 40;
  for (let i = 0; i < N; i++) await rec.client.publishAsync(`${prefix}/devices/${name}/down`, JSON.stringify({ id: `s${i}`, command: "ping" }), { qos: 1 });
  const t = (s: string) => (m: { topic: string }) => m.topic === `${prefix}/devices/${name}/down/${s}`;
  await rec.waitFor(t("succeeded"), N, 20_000);
  await rec.waitFor(t("queued"), N, 5_000);
  const ids = (s: string) => rec.find(t(s)).map((m) => String(m.json.id)).sort();
  const want = Array.from({ length: N }, (_, i) => `s${i}`).sort();
  expect(ids("queued")).toEqual(want);
  expect(ids("succeeded")).toEqual(want);
  const na = a.metrics.get("simcmd_bridge_downlinks_total");
  const nb = b.metrics.get("simcmd_bridge_downlinks_total");
  expect(na + nb).toBe(N);
  expect(na).toBeGreaterThan(0);
  expect(nb).toBeGreaterThan(0);
}, 30_000);

describe("Redis dedupe across instances", () => {
  test("the same webhook delivered to both instances (and twice to one) is published once", async () => {
    const sid = "HG" + run.padStart(32, "0").slice(-32);
    const p = {
      AccountSid: cloud.accountSid, CommandSid: sid, SimSid: "HS" + "c".repeat(32), SimUniqueName: "redis-dev", PayloadType: "binary",
      Payload: Buffer.from("once").toString("base64"), Direction: "from_sim", Status: "received",
    };
    const post = (h: BridgeHandle) => postForm(`${h.url}/webhooks/twilio/ip-commands`, p, { "x-twilio-signature": twilioSignature(cloud.authToken, `${h.url}/webhooks/twilio/ip-commands`, p) });
    // At the same moment the other instance may still be storing it: 503 (retry later), never a lost 2xx.
    // Once all four are answered the stored one's claim is final, so the platform's retry is a duplicate.
    const targets = [a, b, a, b];
    const first = await Promise.all(targets.map(post));
    for (const s of first) expect([204, 503]).toContain(s);
    expect(first).toContain(204);
    const retried = await Promise.all(targets.map((h, i) => (first[i] === 503 ? post(h) : Promise.resolve(204))));
    expect(retried).toEqual([204, 204, 204, 204]);
    await rec.waitFor((m) => m.json.platform_ref === sid);
    expect(await a.drained(5000)).toBe(true);
    expect(await b.drained(5000)).toBe(true);
    const marker = { ...p, CommandSid: "HG" + ("e" + run).padStart(32, "0").slice(-32) };
    await postForm(`${a.url}/webhooks/twilio/ip-commands`, marker, { "x-twilio-signature": twilioSignature(cloud.authToken, `${a.url}/webhooks/twilio/ip-commands`, marker) });
    await rec.waitFor((m) => m.json.platform_ref === marker.CommandSid);
    expect(rec.find((m) => m.json.platform_ref === sid && m.topic.endsWith("/up"))).toHaveLength(1);
    expect(a.metrics.get("simcmd_bridge_duplicates_total") + b.metrics.get("simcmd_bridge_duplicates_total")).toBe(3);
  });
});
