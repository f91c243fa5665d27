/**
 * 2010 Messages over the mock network (docs/mock-network.md "Phone numbers and Messaging"): SIM phone
 * numbers, MT Messages as SMS-DELIVER TPDUs with callbacks that follow the SMSC, MO SMS to an incoming
 * number as inbound Messages, and the SMSC expiring queued SMS of a detached SIM.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { decodePdu, encodeSubmit } from "../../host-tools/pdu/index.js";
import { admin, cloudAndClient, Hooks, iccid, Udp, type Client } from "./harness.js";

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const sockets: Udp[] = [];
const NUMBER = "+15557651111";

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
  expect((await admin(cloud, "/_mock/messaging/numbers", { phone_number: NUMBER, sms_url: hooks.url + "/inbound" })).status).toBe(201);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await hooks.close();
  await cloud.close();
});

const form = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));
const DELIVER_REPORT = Buffer.from([0x00, 0x00]);

async function sim(name: string, msisdn?: string): Promise<string> {
  const r = await admin(cloud, "/_mock/wireless/sims", { unique_name: name, iccid: iccid(), status: "active" });
  expect(r.status).toBe(201);
  if (msisdn !== undefined) expect((await admin(cloud, `/_mock/sims/${name}/msisdn`, { msisdn })).status).toBe(200);
  return r.json.sid as string;
}

async function attach(name: string): Promise<{ sock: Udp; smsc: string }> {
  const sock = await Udp.open();
  sockets.push(sock);
  const att = await admin(cloud, `/_mock/sims/${name}/attach`, { sms: sock.addr });
  return { sock, smsc: att.json.smsc as string };
}

describe("SIM phone numbers", () => {
  test("set, shown in the network state, unique, validated, cleared with null", async () => {
    const a = await sim("num-a");
    await sim("num-b");
    const r = await admin(cloud, "/_mock/sims/num-a/msisdn", { msisdn: "+15550100001" });
    expect(r).toMatchObject({ status: 200, json: { sim_sid: a, msisdn: "+15550100001" } });
    expect((await admin(cloud, "/_mock/sims/num-a")).json.msisdn).toBe("+15550100001");
    expect(await admin(cloud, "/_mock/sims/num-b/msisdn", { msisdn: "+15550100001" })).toMatchObject({ status: 409, json: { code: 20409 } });
    for (const bad of [{ msisdn: "15550100002" }, { msisdn: 5 }, {}, { msisdn: "+15550100002", x: 1 }])
      expect(await admin(cloud, "/_mock/sims/num-b/msisdn", bad)).toMatchObject({ status: 400, json: { code: 20001 } });
    expect((await admin(cloud, "/_mock/sims/nobody/msisdn", { msisdn: "+15550100003" })).status).toBe(404);
    expect((await admin(cloud, "/_mock/sims/num-a/msisdn", { msisdn: null })).json.msisdn).toBeNull();
    expect((await admin(cloud, "/_mock/sims/num-b/msisdn", { msisdn: "+15550100001" })).status).toBe(200);
  });
});

describe("MT Messages to a SIM's number", () => {
  test("SMS-DELIVER from the From number; sent when it leaves, delivered on the DELIVER-REPORT; callbacks in order", async () => {
    await sim("msg-mt", "+15550200001");
    const { sock, smsc } = await attach("msg-mt");
    const m = await client.messages.create({ to: "+15550200001", from: NUMBER, body: "hello handset", statusCallback: hooks.url + "/st1" });
    const pdu = decodePdu((await sock.next()).msg.toString("hex"), { smsc: false, direction: "mt" });
    expect(pdu).toMatchObject({ type: "deliver", originator: NUMBER, text: "hello handset" });
    await hooks.waitFor(1, (h) => h.url === "/st1");
    expect((await client.messages(m.sid).fetch()).status).toBe("sent");
    await sock.send(DELIVER_REPORT, smsc);
    const hits = await hooks.waitFor(2, (h) => h.url === "/st1");
    expect(hits.map((h) => form(h.body).MessageStatus)).toEqual(["sent", "delivered"]);
    expect(await client.messages(m.sid).fetch()).toMatchObject({ status: "delivered", errorCode: null });
  });

  test("through a Messaging Service: sent from the account's first incoming number", async () => {
    await sim("msg-mg", "+15550200002");
    const { sock } = await attach("msg-mg");
    await client.messages.create({ to: "+15550200002", messagingServiceSid: "MG" + "0".repeat(32), body: "via service" });
    expect(decodePdu((await sock.next()).msg.toString("hex"), { smsc: false, direction: "mt" })).toMatchObject({ originator: NUMBER, text: "via service" });
  });

  test("a detached SIM (from the start, or while a DELIVER waits for its report): the SMS expires after sms_validity_ms → undelivered 30003; Wireless Commands alike", async () => {
    const wl = await sim("msg-detached", "+15550200003");
    await admin(cloud, "/_mock/network", { sms_validity_ms: 200 });
    try {
      const m = await client.messages.create({ to: "+15550200003", from: NUMBER, body: "anyone?", statusCallback: hooks.url + "/st2" });
      const c = await client.wireless.v1.commands.create({ sim: wl, command: "ping", callbackUrl: hooks.url + "/st3" });
      const [hit] = await hooks.waitFor(1, (h) => h.url === "/st2");
      expect(form(hit?.body ?? "")).toMatchObject({ MessageStatus: "undelivered", ErrorCode: "30003" });
      expect((await client.messages(m.sid).fetch()).status).toBe("undelivered");
      const [cb] = await hooks.waitFor(1, (h) => h.url === "/st3");
      expect(form(cb?.body ?? "")).toMatchObject({ CommandSid: c.sid, CommandStatus: "failed", ErrorCode: "30003" });
      // detached while the DELIVER waits for its report: expires too, without another attach
      await sim("msg-gone", "+15550200004");
      const { sock } = await attach("msg-gone");
      const g = await client.messages.create({ to: "+15550200004", from: NUMBER, body: "bye", statusCallback: hooks.url + "/st4" });
      await sock.next();
      await admin(cloud, "/_mock/sims/msg-gone/detach", {});
      const st4 = await hooks.waitFor(2, (h) => h.url === "/st4");
      expect(st4.map((h) => [form(h.body).MessageStatus, form(h.body).ErrorCode])).toEqual([["sent", undefined], ["undelivered", "30003"]]);
      expect((await client.messages(g.sid).fetch()).errorMessage).toMatch(/expired/);
    } finally {
      await admin(cloud, "/_mock/network", { sms_validity_ms: 86_400_000 });
    }
  });
});

describe("MO SMS to a number", () => {
  test("to an incoming number of the account → inbound Message From the SIM's number and the sms_url webhook", async () => {
    await sim("msg-mo", "+15550300001");
    const { sock, smsc } = await attach("msg-mo");
    for (const hex of encodeSubmit({ to: NUMBER, text: "hi from the field", includeSmsc: false })) await sock.send(Buffer.from(hex, "hex"), smsc);
    const [hit] = await hooks.waitFor(1, (h) => h.url === "/inbound" && form(h.body).From === "+15550300001");
    const p = form(hit?.body ?? "");
    expect(p).toMatchObject({ To: NUMBER, Body: "hi from the field", SmsStatus: "received", NumSegments: "1" });
    expect(await client.messages(p.MessageSid as string).fetch()).toMatchObject({ direction: "inbound", from: "+15550300001", to: NUMBER });
  });

  test("dropped with a reason: not an incoming number, a SIM without a number, 8-bit data", async () => {
    await sim("msg-drop", "+15550300002");
    const { sock, smsc } = await attach("msg-drop");
    const send = async (o: { to: string; text?: string; dataHex?: string }) => {
      for (const hex of encodeSubmit({ ...o, includeSmsc: false })) await sock.send(Buffer.from(hex, "hex"), smsc);
    };
    let dropped = cloud.events.waitFor((e) => e.type === "message.dropped" && e.to === "+15559990000");
    await send({ to: "+15559990000", text: "x" });
    expect(String((await dropped).reason)).toMatch(/not an incoming number/);
    dropped = cloud.events.waitFor((e) => e.type === "message.dropped" && e.to === NUMBER);
    await send({ to: NUMBER, dataHex: "a16163" });
    expect(String((await dropped).reason)).toMatch(/8-bit/);
    await admin(cloud, "/_mock/sims/msg-drop/msisdn", { msisdn: null });
    dropped = cloud.events.waitFor((e) => e.type === "message.dropped" && e.from === null);
    await send({ to: NUMBER, text: "y" });
    expect(String((await dropped).reason)).toMatch(/no phone number/);
    expect(hooks.hits.filter((h) => h.url === "/inbound" && form(h.body).From === "+15550300002")).toHaveLength(0);
  });
});
