/**
 * Point 2: a device name from platform data never jams the outbox. Names become one percent-encoded topic
 * level (topics.ts); a row the broker answers by closing the connection is isolated and moved to dead_letters
 * while the rows behind it go on; /healthz reports an outbox that does not move.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startBridge } from "../../host-tools/bridge/index.js";
import { startCloud } from "../../host-tools/cloud/index.js";
import { deviceLevel, parseDeviceLevel, topicProblem, TopicError } from "../../host-tools/bridge/topics.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { listening, Recorder, tempDir, uniquePrefix } from "../bridge/helpers.js";
import { hookedBroker, ipUplink, signedPost, until } from "./helpers.js";

const TOKEN = "c".repeat(32);
const ACCOUNT = "AC" + "c".repeat(32);
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));
const dir = (name: string) => {
  const d = tempDir(name);
  dirs.push(d);
  return d.dir;
};

describe("device names as topic levels", () => {
  test.each([
    ["a/+/#", "a%2F%2B%2F%23"],
    ["50%", "50%25"],
    ["plain-name_1.2", "plain-name_1.2"],
    ["x\u0000y\u007f\u0085", "x%00y%7F%C2%85"],
    ["é 漢 😀", "é 漢 😀"],
    ["\ufffe\u{1fffe}", "%EF%BF%BE%F0%9F%BF%BE"],
    ["$SYS", "$SYS"],
  ])("%j → %s and back", (name, level) => {
    expect(deviceLevel(name)).toBe(level);
    expect(parseDeviceLevel(level)).toBe(name);
    expect(topicProblem(`p/devices/${level}/up`)).toBeNull();
  });

  test.each(["", "\ud800", "x".repeat(1025)])("refused: %#", (name) => {
    expect(() => deviceLevel(name)).toThrow(TopicError);
  });

  test.each(["%41", "a%zz", "a%2f", "a+b", "%"])("%s is not the level of any name", (level) => {
    expect(parseDeviceLevel(level)).toBeNull();
  });

  test.each([
    ["p/+/up", /wildcard/],
    ["p/#", /wildcard/],
    ["p/\u0000", /U\+0000/],
    ["p/\udc00", /surrogate/],
    ["p/" + "x".repeat(65_534), /65535/],
    ["", /empty/],
  ])("topicProblem %#", (topic, why) => {
    expect(topicProblem(topic)).toMatch(why);
  });
});

describe("against Mosquitto (MQTT 5), which drops a client that publishes a wildcard", () => {
  test("a SIM named a/+/# is published on its encoded level; the uplink behind it follows; a downlink on that level reaches that SIM", async () => {
    if (!(await listening(1883))) throw new Error("Mosquitto is not running on 127.0.0.1:1883 (.ci/run starts it)");
    const prefix = uniquePrefix("sec-topics");
    const cloud = await startCloud({ accountSid: ACCOUNT, authToken: TOKEN });
    const bridge = await startBridge({
      port: 0, mqtt: "mqtt://127.0.0.1:1883", prefix, data: dir("sec-topics"), instance: `sec-topics-${process.pid}`,
      twilio: { baseUrl: cloud.url, accountSid: ACCOUNT, authToken: TOKEN },
    });
    const rec = await Recorder.open("mqtt://127.0.0.1:1883", [`${prefix}/#`], { protocolVersion: 5 });
    try {
      const url = `${bridge.url}/webhooks/twilio/ip-commands`;
      expect((await signedPost(url, TOKEN, ipUplink(ACCOUNT, "a/+/#", 1))).status).toBe(204);
      expect((await signedPost(url, TOKEN, ipUplink(ACCOUNT, "fine", 2))).status).toBe(204);
      const [up] = await rec.waitFor((m) => m.topic === `${prefix}/devices/a%2F%2B%2F%23/up`);
      expect(up?.json.device).toBe("a/+/#");
      await rec.waitFor((m) => m.topic === `${prefix}/devices/fine/up`);
      // the way back: the level is decoded to the name, whose row (from the uplink) gives the SIM SID the bridge
      // sends to — a SIM the mock cloud does not have here: down/failed 20404 naming it, on the same level
      await rec.client.publishAsync(`${prefix}/devices/a%2F%2B%2F%23/down`, JSON.stringify({ id: "d1", command: "ping" }), { qos: 1 });
      const [failed] = await rec.waitFor((m) => m.topic === `${prefix}/devices/a%2F%2B%2F%23/down/failed`);
      expect(failed?.json).toMatchObject({ id: "d1", error: { code: 20404 } });
      expect(String((failed?.json.error as { message: string }).message)).toContain("HS" + "e".repeat(32));
      // a level that is not the encoding of any name is refused where it came from
      await rec.client.publishAsync(`${prefix}/devices/%41/down`, JSON.stringify({ id: "d2", command: "ping" }), { qos: 1 });
      const [bad] = await rec.waitFor((m) => m.topic === `${prefix}/devices/%41/down/rejected`);
      expect(bad?.json).toMatchObject({ error: { code: "bad_topic" } });
      expect(await bridge.drained(5000)).toBe(true);
    } finally {
      await rec.close();
      await bridge.close();
      await cloud.close();
    }
  }, 30_000);
});

describe("a row the broker answers by closing the connection", () => {
  test("isolated, moved to dead_letters after 3 closes, counted and logged; the rows behind it are published", async () => {
    // Aedes (MQTT 3.1.1 has no negative PUBACK) closes the connection when authorizePublish fails
    const broker = await hookedBroker((_c, packet, cb) => cb(packet.topic.includes("/devices/poison/") ? new Error("no") : null));
    const data = dir("sec-poison");
    const logs: string[] = [];
    const bridge = await startBridge({ port: 0, mqtt: broker.url, mqttVersion: 4, prefix: "sec", data, instance: "sec-poison", twilio: { accountSid: ACCOUNT, authToken: TOKEN }, log: (l) => logs.push(l) });
    const rec = await Recorder.open(broker.url, ["sec/devices/+/up"]);
    try {
      const url = `${bridge.url}/webhooks/twilio/ip-commands`;
      expect((await signedPost(url, TOKEN, ipUplink(ACCOUNT, "poison", 1))).status).toBe(204);
      for (let n = 2; n <= 6; n++) expect((await signedPost(url, TOKEN, ipUplink(ACCOUNT, `dev${n}`, n))).status).toBe(204);
      await rec.waitFor((m) => m.topic.startsWith("sec/devices/dev"), 5, 15_000);
      expect(await bridge.drained(15_000)).toBe(true);
      expect(bridge.metrics.get("simcmd_bridge_dead_letters_total", { kind: "up", reason_code: "0x80" })).toBe(1);
      expect(logs.some((l) => l.includes("dead_letters") && l.includes("closed the connection"))).toBe(true);
      // later rows still go
      expect((await signedPost(url, TOKEN, ipUplink(ACCOUNT, "dev7", 7))).status).toBe(204);
      await rec.waitFor((m) => m.topic === "sec/devices/dev7/up");
    } finally {
      await rec.close();
      await bridge.close();
      await broker.close();
    }
    const db = new Database(join(data, "bridge.db"), { readonly: true });
    const dead = db.prepare("SELECT topic, kind, reason_code, reason FROM dead_letters").all() as { topic: string; kind: string; reason_code: number; reason: string }[];
    db.close();
    // the uplink; the device's state change of the same webhook may be the one isolated first, so it can be there too
    expect(dead.map((d) => d.topic)).toContain("sec/devices/poison/up");
    expect(dead.every((d) => d.topic.startsWith("sec/devices/poison/") && d.reason_code === 0x80 && /closed the connection/.test(d.reason))).toBe(true);
  }, 40_000);

  test("/healthz: outbox_stuck (503) once rows have waited outboxStuckAfter with no PUBACK; ok again when they move", async () => {
    let release: (() => void)[] = [];
    let hold = true;
    const broker = await hookedBroker((_c, packet, cb) => {
      if (hold && packet.topic.startsWith("stuck/devices/")) release.push(() => cb(null));
      else cb(null);
    });
    const clock = new FakeClock();
    clock.advance(1_700_000_000_000);
    const bridge = await startBridge({
      port: 0, mqtt: broker.url, mqttVersion: 4, prefix: "stuck", data: dir("sec-stuck"), instance: "sec-stuck", clock, outboxStuckAfter: 60,
      twilio: { accountSid: ACCOUNT, authToken: TOKEN },
    });
    try {
      const health = async () => {
        const r = await fetch(`${bridge.url}/healthz`);
        return { status: r.status, body: (await r.json()) as { ok: boolean; outbox_stuck: null | { oldest_seq: number; seconds: number } } };
      };
      expect((await health()).body.outbox_stuck).toBeNull();
      expect((await signedPost(`${bridge.url}/webhooks/twilio/ip-commands`, TOKEN, ipUplink(ACCOUNT, "held", 1))).status).toBe(204);
      await until(async () => (release.length > 0 ? true : undefined), 5000, "the broker holding the publish");
      clock.advance(59_000);
      expect((await health()).status).toBe(200);
      clock.advance(1_000);
      const h = await health();
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ ok: false, outbox_stuck: { seconds: 60 } });
      hold = false;
      for (const r of release.splice(0)) r();
      release = [];
      expect(await bridge.drained(5000)).toBe(true);
      expect((await health()).body).toMatchObject({ ok: true, outbox_stuck: null });
    } finally {
      await bridge.close({ drain: false });
      await broker.close();
    }
  }, 30_000);
});
