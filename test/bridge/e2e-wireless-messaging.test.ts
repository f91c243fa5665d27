/**
 * End to end for the bridge's Programmable Wireless Commands and Messaging (2010 Messages) downlinks, like
 * e2e.test.ts does for Super SIM: MQTT down → bridge → the mock cloud (official twilio client) → real SMS
 * TPDUs over the mock network → the firmware agent in XS (or a UDP socket playing the modem, where the test
 * needs to pace the device) → its reply as an SMS-SUBMIT → Wireless commands callback / Messaging inbound
 * webhook → bridge → `up` and `down/succeeded`; status callbacks → `down/delivered` (Wireless calls back once
 * sending is over) or `down/sent`, `down/delivered` (Messaging); platform
 * failures → `down/failed` with the platform's error code.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { SimulatedDevice } from "../../host-tools/device-host/device.js";
import { decodePdu, encodeSubmit } from "../../host-tools/pdu/index.js";
import { admin, cloudAndClient, Udp, type Client } from "../cloud/harness.js";
import { Recorder, tempDir, type Msg } from "./helpers.js";

const P = "simcmd/v1";
/** The account's Messaging number: the bridge sends from it, and it takes the handsets' SMS. */
const FROM = "+15557650000";
/** A second number of the account: the configured From of one handset (one Twilio number per phone). */
const FROM2 = "+15557650002";
/** That handset. */
const OWN_NUMBER = "+15551230010";
/** A DELIVER-REPORT (RP-ACK): TP-MTI 00, TP-PI 0. */
const DELIVER_REPORT = Buffer.from([0x00, 0x00]);
/** A DELIVER-REPORT for RP-ERROR: TP-FCS 0xD2 ("error in MS"). */
const DELIVER_REPORT_ERROR = Buffer.from([0x00, 0xd2, 0x00]);
const ORDER = ["queued", "sent", "delivered", "succeeded"];

let cloud: CloudHandle;
let client: Client;
let bridge: BridgeHandle;
let rec: Recorder;
const devices: SimulatedDevice[] = [];
const sockets: Udp[] = [];
const data = tempDir("e2e-wm");

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  bridge = await startBridge({
    port: 0, brokerPort: 0, data: data.dir, instance: "e2e-wm", messagingFrom: FROM, messagingDeviceFrom: { [OWN_NUMBER.slice(1)]: FROM2 },
    twilio: { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
  });
  rec = await Recorder.open(bridge.mqttUrl, [`${P}/#`]);
  for (const n of [FROM, FROM2]) {
    const number = await admin(cloud, "/_mock/messaging/numbers", { phone_number: n, sms_url: `${bridge.url}/webhooks/twilio/messages` });
    expect(number.status).toBe(201);
  }
});

afterAll(async () => {
  for (const d of devices) await d.close();
  for (const s of sockets) s.close();
  await rec?.close();
  await bridge?.close();
  await cloud?.close();
  data.remove();
});

const down = (device: string, body: object) => rec.client.publishAsync(`${P}/devices/${device}/down`, JSON.stringify(body), { qos: 1 });
const is = (device: string, status: string, id: string) => (m: Msg) => m.topic === `${P}/devices/${device}/down/${status}` && m.json.id === id;
/** The down/<status> events of one request, in the order the broker delivered them. */
const statuses = (device: string, id: string): string[] =>
  rec.msgs.filter((m) => m.topic.startsWith(`${P}/devices/${device}/down/`) && m.json.id === id).map((m) => String(m.json.status));
/** Each status at most once, in lifecycle order, from queued to succeeded (sent / delivered may be overtaken by the reply). */
function expectLifecycle(seen: string[]): void {
  expect(seen[0]).toBe("queued");
  expect(seen[seen.length - 1]).toBe("succeeded");
  const ranks = seen.map((s) => ORDER.indexOf(s));
  expect(ranks.every((r) => r >= 0)).toBe(true);
  expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  expect(new Set(seen).size).toBe(seen.length);
}

/** A Programmable Wireless SIM whose commands callback is the bridge. */
async function wirelessSim(name: string, status = "active"): Promise<string> {
  const r = await admin(cloud, "/_mock/wireless/sims", { unique_name: name, status, commands_callback_url: `${bridge.url}/webhooks/twilio/commands` });
  expect(r.status).toBe(201);
  return r.json.sid as string;
}

/** A SIM with phone number `msisdn` (a handset the bridge reaches through Messaging). */
async function handsetSim(name: string, msisdn: string): Promise<string> {
  const r = await admin(cloud, "/_mock/wireless/sims", { unique_name: name, status: "active" });
  expect(r.status).toBe(201);
  const n = await admin(cloud, `/_mock/sims/${name}/msisdn`, { msisdn });
  expect(n.json).toMatchObject({ sim_sid: r.json.sid, msisdn });
  return r.json.sid as string;
}

async function xsDevice(sim: string): Promise<SimulatedDevice> {
  const d = await SimulatedDevice.start({ cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim, runtime: "xs" });
  devices.push(d);
  return d;
}

/** A UDP socket playing the SIM's modem: it sees each SMS-DELIVER TPDU and answers when the test says so. */
async function modem(sim: string): Promise<{ sock: Udp; smsc: string }> {
  const sock = await Udp.open();
  sockets.push(sock);
  const att = await admin(cloud, `/_mock/sims/${sim}/attach`, { sms: sock.addr });
  expect(att.status).toBe(200);
  return { sock, smsc: att.json.smsc as string };
}

const deliver = async (sock: Udp) => decodePdu((await sock.next(5000)).msg.toString("hex"), { smsc: false, direction: "mt" });
const submit = (to: string, text: string): Buffer[] => encodeSubmit({ to, text, includeSmsc: false }).map((hex) => Buffer.from(hex, "hex"));

/** Sets the SMSC's validity for MT SMS queued from now on; returns the restore function. */
async function shortValidity(ms: number): Promise<() => Promise<void>> {
  const before = (await admin(cloud, "/_mock/network")).json.sms_validity_ms as number;
  await admin(cloud, "/_mock/network", { sms_validity_ms: ms });
  return async () => void (await admin(cloud, "/_mock/network", { sms_validity_ms: before }));
}

describe("Programmable Wireless Commands", () => {
  test("agent in XS: down → Command DC… → SMS from 2936 → reply to 2936 → commands callback → up + down/succeeded", async () => {
    const name = "bridge-wl-xs";
    const simSid = await wirelessSim(name);
    await xsDevice(name);
    await down(name, { id: "wl1", command: "ping" });
    const [ok] = await rec.waitFor(is(name, "succeeded", "wl1"));
    const ref = String(ok?.json.platform_ref);
    expect(ref).toMatch(/^DC[0-9a-f]{32}$/);
    expect(ok?.json).toMatchObject({ id: "wl1", status: "succeeded", result: "pong" });
    expect(rec.find(is(name, "queued", "wl1"))[0]?.json.platform_ref).toBe(ref);
    expectLifecycle(statuses(name, "wl1"));
    // the agent's reply, as an uplink: a from_sim Command of its own
    const [up] = rec.find((m) => m.topic === `${P}/devices/${name}/up` && (m.json.reply as { id?: string } | undefined)?.id === "wl1");
    expect(up?.json).toMatchObject({
      device: name, sim_sid: simSid, platform: "twilio-wireless", transport: "sms", payload_type: "text", payload: "wl1 ok pong",
      reply: { id: "wl1", ok: true, result: "pong" },
    });
    expect(String(up?.json.platform_ref)).toMatch(/^DC/);
    expect(up?.json.platform_ref).not.toBe(ref);
    expect(ok?.json.reply_ref).toBe(up?.json.platform_ref);
    // what the platform holds: the MT Command delivered (the DELIVER-REPORT came before the reply), the MO one received
    const mt = await client.wireless.v1.commands(ref).fetch();
    expect(mt).toMatchObject({ simSid, command: "wl1 ping", commandMode: "text", direction: "to_sim", status: "delivered", deliveryReceiptRequested: true });
    const mo = await client.wireless.v1.commands.list({ sim: name, direction: "from_sim" });
    expect(mo.map((c) => [c.sid, c.command, c.status])).toEqual([[up?.json.platform_ref, "wl1 ok pong", "received"]]);
  });

  test("paced modem: the status callback (once sending is over) gives queued → delivered, then the reply gives succeeded, in that order", async () => {
    const name = "bridge-wl-modem";
    await wirelessSim(name);
    const { sock, smsc } = await modem(name);
    await down(name, { id: "wl2", command: "config get interval" });
    const pdu = await deliver(sock);
    expect(pdu).toMatchObject({ type: "deliver", originator: "2936", text: "wl2 config get interval" });
    const [queued] = await rec.waitFor(is(name, "queued", "wl2"));
    const ref = queued?.json.platform_ref;
    await sock.send(DELIVER_REPORT, smsc);
    const [delivered] = await rec.waitFor(is(name, "delivered", "wl2"));
    expect(delivered?.json).toMatchObject({ platform_ref: ref, platform_status: "delivered" });
    for (const b of submit("2936", "wl2 ok 60")) await sock.send(b, smsc);
    const [ok] = await rec.waitFor(is(name, "succeeded", "wl2"));
    expect(ok?.json).toMatchObject({ platform_ref: ref, result: "60" });
    // A Command that asks for a receipt is not called back at `sent`: only when sending is over.
    expect(statuses(name, "wl2")).toEqual(["queued", "delivered", "succeeded"]);
  });

  test("detached SIM: the SMS expires in the SMSC → Command failed → down/failed with 30003, never sent", async () => {
    const name = "bridge-wl-detached";
    await wirelessSim(name);
    const restore = await shortValidity(300);
    try {
      await down(name, { id: "wl3", command: "ping" });
      const [f] = await rec.waitFor(is(name, "failed", "wl3"));
      expect(f?.json).toMatchObject({ status: "failed", platform_status: "failed", error: { code: 30003 } });
      expect(String((f?.json.error as { message: string }).message)).toMatch(/Unreachable destination handset \(expired\)/);
      expect(statuses(name, "wl3")).toEqual(["queued", "failed"]);
      expect((await client.wireless.v1.commands(String(f?.json.platform_ref)).fetch()).status).toBe("failed");
      await rec.waitFor((m) => m.topic === `${P}/devices/${name}/state` && m.json.state === "fault");
    } finally {
      await restore();
    }
  });

  test("suspended SIM: the API refuses the Command (400/33104) → down/failed at once, no retry, nothing queued", async () => {
    const name = "bridge-wl-suspended";
    await wirelessSim(name, "suspended");
    const retries = bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-wireless" });
    await down(name, { id: "wl4", command: "ping" });
    const [f] = await rec.waitFor(is(name, "failed", "wl4"));
    expect(f?.json).toMatchObject({ platform_ref: null, attempts: 1, error: { code: 33104, status: 400 } });
    expect(statuses(name, "wl4")).toEqual(["failed"]);
    expect(bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-wireless" })).toBe(retries);
    expect(await client.wireless.v1.commands.list({ sim: name })).toHaveLength(0);
  });
});

describe("Messaging (2010 Messages) to a phone number", () => {
  test("agent in XS: down → Message SM… → SMS from the Messaging number → reply to it → inbound webhook → up + down/succeeded", async () => {
    const msisdn = "+15551230001";
    const device = msisdn.slice(1);
    await handsetSim("bridge-msg-xs", msisdn);
    await xsDevice("bridge-msg-xs");
    await down(device, { id: "sm1", command: "echo hello there" });
    const [ok] = await rec.waitFor(is(device, "succeeded", "sm1"));
    const ref = String(ok?.json.platform_ref);
    expect(ref).toMatch(/^SM[0-9a-f]{32}$/);
    expect(ok?.json).toMatchObject({ status: "succeeded", result: "hello there" });
    expectLifecycle(statuses(device, "sm1"));
    const [up] = rec.find((m) => m.topic === `${P}/devices/${device}/up` && (m.json.reply as { id?: string } | undefined)?.id === "sm1");
    expect(up?.json).toMatchObject({
      device, sim_sid: null, platform: "twilio-messaging", transport: "sms", payload_type: "text", payload: "sm1 ok hello there",
      reply: { id: "sm1", ok: true, result: "hello there" }, from: msisdn, to: FROM,
    });
    expect(String(up?.json.platform_ref)).toMatch(/^SM/);
    expect(ok?.json.reply_ref).toBe(up?.json.platform_ref);
    const out = await client.messages(ref).fetch();
    expect(out).toMatchObject({ to: msisdn, from: FROM, body: "sm1 echo hello there", direction: "outbound-api", status: "delivered" });
    const inbound = await client.messages(String(up?.json.platform_ref)).fetch();
    expect(inbound).toMatchObject({ from: msisdn, to: FROM, body: "sm1 ok hello there", direction: "inbound", status: "received" });
  });

  test("paced handset: queued → sent → delivered → succeeded; an unsolicited 2-part SMS becomes one up without a reply", async () => {
    const msisdn = "+15551230002";
    const device = msisdn.slice(1);
    await handsetSim("bridge-msg-modem", msisdn);
    const { sock, smsc } = await modem("bridge-msg-modem");
    await down(device, { id: "sm2", command: "info" });
    expect(await deliver(sock)).toMatchObject({ type: "deliver", originator: FROM, text: "sm2 info" });
    const [sent] = await rec.waitFor(is(device, "sent", "sm2"));
    expect(sent?.json.platform_status).toBe("sent");
    await sock.send(DELIVER_REPORT, smsc);
    await rec.waitFor(is(device, "delivered", "sm2"));
    for (const b of submit(FROM, "sm2 ok fw 0.1.0")) await sock.send(b, smsc);
    const [ok] = await rec.waitFor(is(device, "succeeded", "sm2"));
    expect(ok?.json).toMatchObject({ platform_ref: sent?.json.platform_ref, result: "fw 0.1.0" });
    expect(statuses(device, "sm2")).toEqual(["queued", "sent", "delivered", "succeeded"]);

    const long = "temperature log: " + Array.from({ length: 30 }, (_, i) => `t${i}=${20 + (i % 5)}.5`).join(",");
    const parts = submit(FROM, long);
    expect(parts.length).toBe(2);
    for (const b of parts) await sock.send(b, smsc);
    const [up] = await rec.waitFor((m) => m.topic === `${P}/devices/${device}/up` && m.json.payload === long);
    expect(up?.json).toMatchObject({ platform: "twilio-messaging", transport: "sms", payload_type: "text" });
    expect(up?.json.reply).toBeUndefined();
    expect(rec.find((m) => m.topic === `${P}/devices/${device}/up`)).toHaveLength(2);
  });

  test("the handset rejects the SMS (RP-ERROR) → undelivered 30008 → down/failed; state fault", async () => {
    const msisdn = "+15551230003";
    const device = msisdn.slice(1);
    await handsetSim("bridge-msg-reject", msisdn);
    const { sock, smsc } = await modem("bridge-msg-reject");
    await down(device, { id: "sm3", command: "ping" });
    await deliver(sock);
    await rec.waitFor(is(device, "sent", "sm3"));
    await sock.send(DELIVER_REPORT_ERROR, smsc);
    const [f] = await rec.waitFor(is(device, "failed", "sm3"));
    expect(f?.json).toMatchObject({ platform_status: "undelivered", error: { code: 30008 } });
    expect(statuses(device, "sm3")).toEqual(["queued", "sent", "failed"]);
    expect((await client.messages(String(f?.json.platform_ref)).fetch()).errorCode).toBe(30008);
    await rec.waitFor((m) => m.topic === `${P}/devices/${device}/state` && m.json.state === "fault");
  });

  test("undeliverable number (its SIM is detached; the SMS expires) → undelivered 30003 → down/failed", async () => {
    const msisdn = "+15551230004";
    const device = msisdn.slice(1);
    await handsetSim("bridge-msg-detached", msisdn);
    const restore = await shortValidity(300);
    try {
      await down(device, { id: "sm4", command: "ping" });
      const [f] = await rec.waitFor(is(device, "failed", "sm4"));
      expect(f?.json).toMatchObject({ status: "failed", platform_status: "undelivered", error: { code: 30003 } });
      expect(statuses(device, "sm4")).toEqual(["queued", "failed"]);
      expect(await client.messages(String(f?.json.platform_ref)).fetch()).toMatchObject({ status: "undelivered", errorCode: 30003, to: msisdn });
    } finally {
      await restore();
    }
  });

  test("From per device (messagingDeviceFrom) and per request (from): the SMS leaves from that number, the reply's up names the number it reached", async () => {
    const device = OWN_NUMBER.slice(1);
    await handsetSim("bridge-msg-own-number", OWN_NUMBER);
    await xsDevice("bridge-msg-own-number");
    const roundTrip = async (id: string, extra: object): Promise<{ sent: string; up: Msg }> => {
      await down(device, { id, command: "ping", ...extra });
      const [ok] = await rec.waitFor(is(device, "succeeded", id));
      const [up] = rec.find((m) => m.topic === `${P}/devices/${device}/up` && (m.json.reply as { id?: string } | undefined)?.id === id);
      return { sent: (await client.messages(String(ok?.json.platform_ref)).fetch()).from, up: up as Msg };
    };
    const own = await roundTrip("own1", {});
    expect(own.sent).toBe(FROM2);
    expect(own.up.json).toMatchObject({ from: OWN_NUMBER, to: FROM2, payload: "own1 ok pong" });
    const asked = await roundTrip("own2", { from: FROM });
    expect(asked.sent).toBe(FROM);
    expect(asked.up.json).toMatchObject({ from: OWN_NUMBER, to: FROM, payload: "own2 ok pong" });
  });

  test("from is checked: not a number → rejected bad_request; on a Wireless device → rejected bad_request, nothing sent", async () => {
    const device = OWN_NUMBER.slice(1);
    await down(device, { id: "bad-from", command: "ping", from: "+1 555" });
    const [r] = await rec.waitFor(is(device, "rejected", "bad-from"));
    expect(r?.json.error).toMatchObject({ code: "bad_request" });
    const name = "bridge-wl-from";
    await wirelessSim(name);
    await down(name, { id: "wl-from", command: "ping", from: FROM });
    const [w] = await rec.waitFor(is(name, "rejected", "wl-from"));
    expect(w?.json.error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/^from is for Messaging downlinks/) });
    expect(await client.wireless.v1.commands.list({ sim: name })).toHaveLength(0);
  });

  test("a 4xx from the Messages API is final: To = From (21266) → down/failed once, no Messaging retry", async () => {
    const device = FROM.slice(1);
    const retries = bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-messaging" });
    const before = (await client.messages.list({ to: FROM })).length;
    await down(device, { id: "sm5", command: "ping" });
    const [f] = await rec.waitFor(is(device, "failed", "sm5"));
    expect(f?.json).toMatchObject({ platform_ref: null, attempts: 1, error: { code: 21266, status: 400 } });
    expect(statuses(device, "sm5")).toEqual(["failed"]);
    expect(bridge.metrics.get("simcmd_bridge_retries_total", { platform: "twilio-messaging" })).toBe(retries);
    expect((await client.messages.list({ to: FROM })).length).toBe(before);
  });
});
