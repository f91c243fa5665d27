/**
 * The dashboard's journey of a command, built from fixture event streams for each path simcmd knows — Super SIM
 * IP and SMS Commands (with a resend), a detached SIM, Programmable Wireless Commands, Messaging and Huawei —
 * fed in the order they reach the dashboard (the cloud's events before the bridge names the resource), and the
 * per-device latency figures and bounds.
 */
import { describe, expect, test } from "@jest/globals";
import type { MockEvent } from "../../host-tools/cloud/events.js";
import type { DashEvent } from "../../host-tools/dashboard/feed.js";
import { JourneyStore } from "../../host-tools/dashboard/journey.js";
import { encodePdu, encodeSubmit } from "../../host-tools/pdu/index.js";

const T0 = Date.parse("2025-06-01T12:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();
const submit = (text: string, to = "000") => (encodeSubmit({ to, text, includeSmsc: false })[0] as string).toUpperCase();
const deliver = (text: string, from = "000") =>
  encodePdu({ type: "deliver", originator: from, pid: 0, dcs: 0, timestamp: "2025-06-01T12:00:00+00:00", text }, { smsc: false }).toUpperCase();

type Feed = ["mqtt", string, Record<string, unknown>, number] | ["mock", string, Record<string, unknown>, number] | ["published", string, Record<string, unknown>, number];

function run(feed: Feed[], device = "dev-1"): JourneyStore {
  const store = new JourneyStore();
  for (const [src, kind, p, t] of feed) {
    if (src === "published") store.published(device, kind, p, T0 + t);
    else if (src === "mqtt") store.onMqtt({ topic: `p/devices/${device}/${kind}`, device, kind, payload: p, retained: false, at: at(t + 2) } satisfies DashEvent);
    else store.onMock({ type: kind, at: at(t), ...p } as MockEvent);
  }
  return store;
}

interface Case {
  name: string;
  id: string;
  feed: Feed[];
  kinds: string[];
  status: string;
  latency: number | null;
  resource: Record<string, unknown>;
}

const S1 = "HS" + "1".repeat(32);
const CASES: Case[] = [
  {
    name: "Super SIM IP Command answered",
    id: "c1",
    feed: [
      ["published", "c1", { id: "c1", command: "ping", transport: "ip" }, 0],
      ["mock", "ip_command.queued", { sim_sid: S1, command_sid: "HG1" }, 30],
      ["mock", "ip.sent", { sim_sid: S1, ref: "HG1", device_port: 6969, bytes: 7, hex: hex("c1 ping") }, 40],
      ["mqtt", "down/queued", { id: "c1", platform_ref: "HG1", status: "queued", at: at(41) }, 41],
      ["mock", "ip_command.sent", { sim_sid: S1, command_sid: "HG1", error_code: null }, 45],
      // The same id answered by another SIM is not this journey's.
      ["mock", "ip.received", { sim_sid: "HS" + "9".repeat(32), hex: hex("c1 ok other") }, 60],
      ["mock", "ip.received", { sim_sid: S1, device_port: 6969, hex: hex("c1 ok pong") }, 70],
      ["mock", "ip_command.received", { sim_sid: S1, command_sid: "HG2" }, 70],
      ["mock", "callback.succeeded", { sim_sid: S1, resource_sid: "HG2", url: "http://b/webhooks/twilio/ip-commands?dl=1&id=c1", attempts: 1, status_code: 204 }, 80],
      ["mqtt", "up", { sim_sid: S1, platform_ref: "HG2", transport: "ip", received_at: at(84), reply: { id: "c1", ok: true, result: "pong" } }, 84],
      ["mqtt", "down/succeeded", { id: "c1", platform_ref: "HG1", reply_ref: "HG2", status: "succeeded", result: "pong", at: at(85) }, 85],
    ],
    kinds: ["published", "ip_command.queued", "ip.sent", "down/queued", "ip_command.sent", "ip.received", "ip_command.received", "callback.succeeded", "up", "down/succeeded"],
    status: "succeeded",
    latency: 85,
    resource: { sid: "HG1", type: "Super SIM IpCommand", status: "sent", error_code: null },
  },
  {
    name: "IP Command to a detached SIM: 83401",
    id: "c2",
    feed: [
      ["mqtt", "down", { id: "c2", command: "ping" }, 0],
      ["mock", "ip_command.queued", { sim_sid: S1, command_sid: "HG3" }, 20],
      ["mock", "ip.failed", { sim_sid: S1, ref: "HG3", error_code: 83401, error_message: "The device was not attached to a cellular network" }, 21],
      ["mqtt", "down/queued", { id: "c2", platform_ref: "HG3", status: "queued", at: at(22) }, 22],
      ["mock", "ip_command.failed", { sim_sid: S1, command_sid: "HG3", error_code: 83401, error_message: "The device was not attached to a cellular network" }, 23],
      ["mqtt", "down/failed", { id: "c2", platform_ref: "HG3", status: "failed", error: { code: 83401, message: "The device was not attached to a cellular network" }, at: at(40) }, 40],
    ],
    kinds: ["published", "ip_command.queued", "ip.failed", "down/queued", "ip_command.failed", "down/failed"],
    status: "failed",
    latency: 38, // from when the dashboard saw the request (+2 ms) to the bridge's failure (+40 ms)
    resource: { sid: "HG3", status: "failed", error_code: 83401, error_message: "The device was not attached to a cellular network" },
  },
  {
    name: "Super SIM SMS Command: the DELIVER-REPORT lost, the DELIVER resent",
    id: "c3",
    feed: [
      ["published", "c3", { id: "c3", command: "ping", transport: "sms" }, 0],
      ["mock", "sms_command.queued", { sim_sid: S1, command_sid: "HC1" }, 10],
      ["mock", "sms.deliver.sent", { sim_sid: S1, ref: "HC1", part: 1, parts: 1, attempt: 1, tpdu: deliver("c3 ping") }, 12],
      ["mock", "sms_command.sent", { sim_sid: S1, command_sid: "HC1" }, 13],
      ["mqtt", "down/queued", { id: "c3", platform_ref: "HC1", status: "queued", at: at(14) }, 14],
      ["mock", "sms.lost", { sim_sid: S1, ref: "HC1", direction: "mo", reason: "loss", tpdu: "0000" }, 20],
      ["mock", "sms.submit.received", { sim_sid: S1, destination: "000", tpdu: submit("c3 ok pong") }, 21],
      ["mock", "sms_command.received", { sim_sid: S1, command_sid: "HC2" }, 21],
      ["mock", "sms.deliver.sent", { sim_sid: S1, ref: "HC1", part: 1, parts: 1, attempt: 2, tpdu: deliver("c3 ping") }, 300],
      ["mock", "sms.delivered", { sim_sid: S1, ref: "HC1", parts: 1, tpdu: "0000" }, 310],
      ["mock", "sms_command.delivered", { sim_sid: S1, command_sid: "HC1" }, 310],
      ["mqtt", "up", { platform_ref: "HC2", transport: "sms", received_at: at(30), reply: { id: "c3", ok: true, result: "pong" } }, 30],
      ["mqtt", "down/succeeded", { id: "c3", platform_ref: "HC1", reply_ref: "HC2", status: "succeeded", result: "pong", at: at(31) }, 31],
    ],
    kinds: [
      "published", "sms_command.queued", "sms.deliver.sent", "sms_command.sent", "down/queued", "sms.lost", "sms.submit.received", "sms_command.received",
      "up", "down/succeeded", "sms.deliver.sent", "sms.delivered", "sms_command.delivered",
    ],
    status: "succeeded",
    latency: 31,
    resource: { sid: "HC1", type: "Super SIM SmsCommand", status: "delivered" },
  },
  {
    name: "Programmable Wireless Command over SMS",
    id: "c4",
    feed: [
      ["published", "c4", { id: "c4", command: "ping", transport: "sms" }, 0],
      ["mock", "wireless_command.queued", { sim_sid: "DE1", command_sid: "DC1" }, 10],
      ["mock", "sms.deliver.sent", { sim_sid: "DE1", ref: "DC1", part: 1, parts: 1, attempt: 1, tpdu: deliver("c4 ping", "2936") }, 11],
      ["mock", "wireless_command.sent", { sim_sid: "DE1", command_sid: "DC1" }, 11],
      ["mock", "sms.delivered", { sim_sid: "DE1", ref: "DC1", tpdu: "0000" }, 15],
      ["mock", "wireless_command.delivered", { sim_sid: "DE1", command_sid: "DC1" }, 15],
      ["mock", "sms.submit.received", { sim_sid: "DE1", destination: "2936", tpdu: submit("c4 ok pong", "2936") }, 16],
      ["mock", "wireless_command.received", { sim_sid: "DE1", command_sid: "DC2" }, 16],
      ["mqtt", "down/queued", { id: "c4", platform_ref: "DC1", status: "queued", at: at(12) }, 12],
      ["mqtt", "up", { platform_ref: "DC2", transport: "sms", received_at: at(20), reply: { id: "c4", ok: true, result: "pong" } }, 20],
      ["mqtt", "down/succeeded", { id: "c4", platform_ref: "DC1", reply_ref: "DC2", status: "succeeded", at: at(20) }, 20],
    ],
    kinds: [
      "published", "wireless_command.queued", "sms.deliver.sent", "wireless_command.sent", "down/queued", "sms.delivered", "wireless_command.delivered",
      "sms.submit.received", "wireless_command.received", "up", "down/succeeded",
    ],
    status: "succeeded",
    latency: 20,
    resource: { sid: "DC1", type: "Wireless Command", status: "delivered" },
  },
  {
    name: "Messaging SMS to a SIM's number",
    id: "c5",
    feed: [
      ["published", "c5", { id: "c5", command: "ping", transport: "sms" }, 0],
      ["mock", "message.queued", { message_sid: "SM1", to: "+15550001" }, 5],
      ["mock", "message.sending", { message_sid: "SM1" }, 6],
      ["mock", "sms.deliver.sent", { sim_sid: S1, ref: "SM1", part: 1, parts: 1, attempt: 1, tpdu: deliver("c5 ping", "+15559999") }, 7],
      ["mock", "message.sent", { message_sid: "SM1" }, 7],
      ["mqtt", "down/queued", { id: "c5", platform_ref: "SM1", status: "queued", at: at(8) }, 8],
      ["mock", "sms.delivered", { sim_sid: S1, ref: "SM1", tpdu: "0000" }, 9],
      ["mock", "message.delivered", { message_sid: "SM1" }, 9],
      ["mqtt", "down/delivered", { id: "c5", platform_ref: "SM1", status: "delivered", at: at(12) }, 12],
    ],
    kinds: ["published", "message.queued", "message.sending", "sms.deliver.sent", "message.sent", "down/queued", "sms.delivered", "message.delivered", "down/delivered"],
    status: "delivered",
    latency: null,
    resource: { sid: "SM1", type: "Message", status: "delivered" },
  },
  {
    name: "Huawei NB-IoT command",
    id: "c6",
    feed: [
      ["published", "c6", { id: "c6", command: "ping", transport: "nbiot" }, 0],
      ["mock", "huawei_command.pending", { sim_sid: "dev-h", command_id: "a1b2c3" }, 5],
      ["mqtt", "down/queued", { id: "c6", platform_ref: "a1b2c3", status: "queued", at: at(6) }, 6],
      ["mock", "ip.sent", { sim_sid: "dev-h", ref: "a1b2c3", device_port: 5683, hex: hex('{"mid":1,"commandId":"a1b2c3","method":"ping"}') }, 7],
      ["mock", "huawei_command.sent", { sim_sid: "dev-h", command_id: "a1b2c3" }, 7],
      ["mock", "huawei_command.successful", { sim_sid: "dev-h", command_id: "a1b2c3" }, 20],
      ["mqtt", "down/succeeded", { id: "c6", platform_ref: "a1b2c3", status: "succeeded", at: at(25) }, 25],
    ],
    kinds: ["published", "huawei_command.pending", "down/queued", "ip.sent", "huawei_command.sent", "huawei_command.successful", "down/succeeded"],
    status: "succeeded",
    latency: 25,
    resource: { sid: "a1b2c3", type: "Huawei device command", status: "successful" },
  },
];

describe("journeys", () => {
  test.each(CASES)("$name: every step in order, durations from the first step", (c) => {
    const j = run(c.feed).get(c.id);
    expect(j).not.toBeNull();
    expect(j!.steps.map((s) => s.kind)).toEqual(c.kinds);
    expect(j!.status).toBe(c.status);
    expect(j!.latency_ms).toBe(c.latency);
    expect(j!.resource).toMatchObject(c.resource);
    let prev = 0;
    for (const s of j!.steps) {
      expect(s.delta_ms).toBeGreaterThanOrEqual(0);
      expect(s.offset_ms).toBe(prev + s.delta_ms);
      prev = s.offset_ms;
    }
  });

  test("the bytes on the wire are decoded: the datagram's text and the reply it carries, the TPDUs' fields", () => {
    const ip = run(CASES[0]!.feed).get("c1")!;
    const sent = ip.steps.find((s) => s.kind === "ip.sent")!;
    expect(sent.wire).toMatchObject({ as: "datagram", direction: "mt", hex: hex("c1 ping"), view: { format: "text", value: "c1 ping" } });
    expect(ip.steps.find((s) => s.kind === "ip.received")!.wire!.view.reply).toEqual({ id: "c1", ok: true, value: "pong" });
    expect(ip.sim_sid).toBe(S1);
    // The callback URL is shown without its query (correlation tokens stay out of the page).
    expect(ip.steps.find((s) => s.kind === "callback.succeeded")!.facts).toContainEqual(["to", "http://b/webhooks/twilio/ip-commands"]);

    const sms = run(CASES[2]!.feed).get("c3")!;
    const [first, again] = sms.steps.filter((s) => s.kind === "sms.deliver.sent");
    expect(first!.wire!.view).toMatchObject({ format: "tpdu", value: { type: "deliver", originator: "000", text: "c3 ping" } });
    expect(again!.title).toMatch(/attempt 2: resent/);
    expect(sms.steps.find((s) => s.kind === "sms.lost")!.title).toBe("DELIVER-REPORT from the modem lost");
    expect(sms.steps.find((s) => s.kind === "sms.delivered")!.wire).toMatchObject({ direction: "mo", view: { value: { type: "deliver-report" } } });
    expect(sms.steps.find((s) => s.kind === "sms.submit.received")!.wire!.view).toMatchObject({ value: { type: "submit", text: "c3 ok pong" }, reply: { id: "c3", ok: true } });
  });

  test("a failure carries its error in the step and in the resource", () => {
    const j = run(CASES[1]!.feed).get("c2")!;
    expect(j.steps.find((s) => s.kind === "ip.failed")!.error).toEqual({ code: 83401, message: "The device was not attached to a cellular network" });
    expect(j.steps.find((s) => s.kind === "down/failed")!.error).toEqual({ code: 83401, message: "The device was not attached to a cellular network" });
  });

  test("repeated and retained messages add no step; an unknown id has no journey", () => {
    const store = run([
      ["published", "r1", { id: "r1", command: "ping" }, 0],
      ["mqtt", "down/succeeded", { id: "r1", status: "succeeded", at: at(10) }, 10],
      ["mqtt", "down/succeeded", { id: "r1", status: "succeeded", at: at(50), repeat: true }, 50],
    ]);
    store.onMqtt({ topic: "p/devices/dev-1/down", device: "dev-1", kind: "down", payload: { id: "r2", command: "x" }, retained: true, at: at(60) });
    expect(store.get("r1")!.steps.map((s) => s.kind)).toEqual(["published", "down/succeeded"]);
    expect(store.get("r2")).toBeNull();
    expect(store.get("nope")).toBeNull();
  });
});

describe("latency at a glance", () => {
  test("a device's finished commands (oldest first, the last 20) and its commands by final status", () => {
    const feed: Feed[] = [];
    for (let i = 0; i < 25; i++) {
      feed.push(["published", `s${i}`, { id: `s${i}` }, i * 100]);
      feed.push(["mqtt", i % 5 === 4 ? "down/failed" : "down/succeeded", { id: `s${i}`, at: at(i * 100 + i) }, i * 100 + i]);
    }
    feed.push(["published", "pending-1", { id: "pending-1" }, 9000]);
    const st = run(feed).stats("dev-1");
    expect(st.points.map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, k) => `s${k + 5}`));
    expect(st.points.map((p) => p.latency_ms)).toEqual(Array.from({ length: 20 }, (_, k) => k + 5));
    expect(st.counts).toEqual({ succeeded: 20, failed: 5, expired: 0, rejected: 0, pending: 1 });
    expect(run(feed).stats("other")).toEqual({ device: "other", points: [], counts: { succeeded: 0, failed: 0, expired: 0, rejected: 0, pending: 0 } });
  });

  test("the store is bounded: past 500 commands the oldest is forgotten", () => {
    const store = new JourneyStore();
    for (let i = 0; i <= 500; i++) store.published("d", `b${i}`, { id: `b${i}` }, T0 + i);
    expect(store.get("b0")).toBeNull();
    expect(store.get("b1")).not.toBeNull();
    expect(store.get("b500")).not.toBeNull();
  });
});
