/**
 * A broker that refuses some publishes for good: a private Mosquitto whose ACL denies one device's topics
 * answers the bridge's MQTT 5 PUBLISH with PUBACK 0x87 "not authorized". After three refusals the row is
 * moved to the `dead_letters` table (counted, logged) instead of being retried for ever; everything else
 * keeps flowing.
 */
import { afterAll, expect, test } from "@jest/globals";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startBridge } from "../../host-tools/bridge/index.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { postForm, Recorder, tempDir } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const TOKEN = "d".repeat(32);
const ACCOUNT = "AC" + "d".repeat(32);
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

test("PUBACK 0x87 (an ACL) three times: the row goes to dead_letters, counted and logged; the others are published", async () => {
  const brokerDir = tempDir("refused-mosquitto");
  const data = tempDir("refused");
  dirs.push(brokerDir, data);
  const broker = await MosquittoProcess.start(brokerDir.dir, { acl: ["topic deny refused/devices/blocked/#", "topic readwrite #"] });
  const logs: string[] = [];
  const bridge = await startBridge({
    port: 0, data: data.dir, mqtt: broker.url, mqttVersion: 5, instance: "refused", prefix: "refused",
    twilio: { accountSid: ACCOUNT, authToken: TOKEN }, log: (l) => logs.push(l),
  });
  const rec = await Recorder.open(broker.url, ["refused/devices/+/up"]);
  try {
    const url = `${bridge.url}/webhooks/twilio/ip-commands`;
    const mo = (device: string, n: number) => {
      const p = {
        AccountSid: ACCOUNT, CommandSid: "HG" + String(n).padStart(32, "0"), SimSid: "HS" + "d".repeat(32), SimUniqueName: device,
        PayloadType: "binary", Payload: Buffer.from(`n${n}`).toString("base64"), Direction: "from_sim", Status: "received",
      };
      return postForm(url, p, { "x-twilio-signature": twilioSignature(TOKEN, url, p) });
    };
    expect(await mo("blocked", 1)).toBe(204);
    expect(await mo("ok-dev", 2)).toBe(204);
    await rec.waitFor((m) => m.topic === "refused/devices/ok-dev/up" && m.json.platform_ref === "HG" + "2".padStart(32, "0"));
    // the blocked device's uplink and its state change are refused, retried, then set aside: the outbox empties
    expect(await bridge.drained(10_000)).toBe(true);
    expect(bridge.metrics.get("simcmd_bridge_dead_letters_total", { kind: "up", reason_code: "0x87" })).toBe(1);
    expect(bridge.metrics.get("simcmd_bridge_dead_letters_total", { kind: "state", reason_code: "0x87" })).toBe(1);
    expect(logs.filter((l) => l.includes("dead_letters"))).toHaveLength(2);
    // the bridge goes on: a later event for a permitted device is published
    expect(await mo("ok-dev", 3)).toBe(204);
    await rec.waitFor((m) => m.json.platform_ref === "HG" + "3".padStart(32, "0"));
    expect(rec.find((m) => m.topic.startsWith("refused/devices/blocked/"))).toEqual([]);
  } finally {
    await rec.close();
    await bridge.close();
    await broker.stop();
  }
  // nothing lost: the refused rows are in the SQLite file, with the broker's reason
  const db = new Database(join(data.dir, "bridge.db"), { readonly: true });
  const dead = db.prepare("SELECT topic, kind, reason_code, reason FROM dead_letters ORDER BY seq").all() as { topic: string; kind: string; reason_code: number; reason: string }[];
  db.close();
  expect(dead.map((d) => [d.topic, d.kind, d.reason_code])).toEqual([
    ["refused/devices/blocked/up", "up", 0x87],
    ["refused/devices/blocked/state", "state", 0x87],
  ]);
  expect(dead[0]?.reason).toMatch(/not authori[sz]ed/i);
}, 30_000);
