import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { decodePdu, encodeSubmit } from "../../host-tools/pdu/index.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { validateKoreSignature, validateSignature } from "../../host-tools/platform/signature.js";
import { activeSim, admin, cloudAndClient, Hooks, Udp, type Client } from "./harness.js";

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const sockets: Udp[] = [];
const udp = async (): Promise<Udp> => {
  const u = await Udp.open();
  sockets.push(u);
  return u;
};
beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient({ callbacks: { timeoutMs: 1000, totalMs: 3000 } }));
  hooks = await Hooks.open();
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await hooks.close();
  await cloud.close();
});

const form = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));
/** A DELIVER-REPORT (RP-ACK): MTI 00, TP-PI 0. */
const DELIVER_REPORT = Buffer.from([0x00, 0x00]);

describe("IP Commands over real UDP", () => {
  test("an MT IP Command arrives as a datagram; status sent with device_ip; status callback signed", async () => {
    const { sim } = await activeSim(client, {}, "dev-ip-1");
    const dev = await udp();
    const att = await admin(cloud, "/_mock/sims/dev-ip-1/attach", { ports: { "6969": dev.addr } });
    expect(att.status).toBe(200);
    expect(att.json.device_ip).toMatch(/^10\.64\.\d+\.\d+$/);
    const sent = cloud.events.waitFor((e) => e.type === "ip_command.sent" && e.sim_sid === sim.sid);
    const c = await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "aGVsbG8=", payloadType: "binary", devicePort: 6969, callbackUrl: `${hooks.url}/ipcb?x=1` });
    const d = await dev.next();
    expect(d.msg.toString()).toBe("hello");
    expect(`127.0.0.1:${d.port}`).toBe(att.json.mo);
    await sent;
    const f = await client.supersim.v1.ipCommands(c.sid).fetch();
    expect(f.status).toBe("sent");
    expect(f.deviceIp).toBe(att.json.device_ip);
    const [hit] = await hooks.waitFor(1, (h) => h.url.startsWith("/ipcb"));
    const params = form(hit!.body);
    expect(params).toMatchObject({ AccountSid: cloud.accountSid, CommandSid: c.sid, SimSid: sim.sid, SimUniqueName: "dev-ip-1", Status: "sent", Direction: "to_sim", PayloadType: "binary", Payload: "aGVsbG8=" });
    expect(validateSignature(cloud.authToken, hit!.headers["x-twilio-signature"] as string, `${hooks.url}/ipcb?x=1`, params)).toBe(true);
    expect(validateSignature(cloud.authToken, hit!.headers["x-twilio-signature"] as string, `${hooks.url}/ipcb?x=2`, params)).toBe(false);
    expect(validateKoreSignature(cloud.authToken, hit!.headers["kore-signature"] as string, "POST", `${hooks.url}/ipcb`, hit!.body)).toBe(true);
  });

  test("not attached → failed with 83401 in the callback", async () => {
    const { sim } = await activeSim(client);
    const failed = cloud.events.waitFor((e) => e.type === "ip_command.failed" && e.sim_sid === sim.sid);
    const c = await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "x", devicePort: 1, callbackUrl: `${hooks.url}/fail83401`, callbackMethod: "GET" });
    expect((await failed).error_code).toBe(83401);
    expect((await client.supersim.v1.ipCommands(c.sid).fetch()).status).toBe("failed");
    const [hit] = await hooks.waitFor(1, (h) => h.url.startsWith("/fail83401"));
    expect(hit!.method).toBe("GET");
    const q = new URL(hit!.url, hooks.url).searchParams;
    expect(q.get("ErrorCode")).toBe("83401");
    expect(q.get("Status")).toBe("failed");
    expect(validateSignature(cloud.authToken, hit!.headers["x-twilio-signature"] as string, hooks.url + hit!.url, {})).toBe(true);
  });

  test("a datagram to `mo` becomes a from_sim IpCommand and a signed Fleet webhook", async () => {
    const { sim } = await activeSim(client, { ipCommandsUrl: `${hooks.url}/fleet-ip` }, "dev-mo-1");
    const dev = await udp();
    const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: { "4000": dev.addr } });
    await dev.send(Buffer.from([1, 2, 3, 250]), att.json.mo as string);
    const [hit] = await hooks.waitFor(1, (h) => h.url === "/fleet-ip");
    const p = form(hit!.body);
    expect(p).toMatchObject({ Direction: "from_sim", Status: "received", PayloadType: "binary", Payload: Buffer.from([1, 2, 3, 250]).toString("base64"), SimSid: sim.sid, SimUniqueName: "dev-mo-1", DevicePort: "4000" });
    expect(validateSignature(cloud.authToken, hit!.headers["x-twilio-signature"] as string, `${hooks.url}/fleet-ip`, p)).toBe(true);
    const list = await client.supersim.v1.ipCommands.list({ sim: sim.sid, direction: "from_sim" });
    expect(list).toHaveLength(1);
    expect(list[0]!.status).toBe("received");
    expect(list[0]!.devicePort).toBe(4000);
    expect(list[0]!.deviceIp).toBe(att.json.device_ip);
  });

  test("a failing callback is retried and recorded (83402)", async () => {
    const bad = await Hooks.open();
    bad.status = 500;
    try {
      const { sim } = await activeSim(client, { ipCommandsUrl: `${bad.url}/down` });
      const dev = await udp();
      const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: { "1": dev.addr } });
      const failed = cloud.events.waitFor((e) => e.type === "callback.failed" && e.sim_sid === sim.sid);
      await dev.send(Buffer.from("x"), att.json.mo as string);
      const e = await failed;
      expect(e).toMatchObject({ attempts: 2, status_code: 500, error_code: 83402 });
      expect(bad.hits).toHaveLength(2);
      expect(bad.hits[0]!.headers["i-twilio-idempotency-token"]).toBe(bad.hits[1]!.headers["i-twilio-idempotency-token"]);
      const rec = await admin(cloud, "/_mock/callbacks");
      expect((rec.json.callbacks as { sim_sid: string; error_code: number }[]).find((c) => c.sim_sid === sim.sid)?.error_code).toBe(83402);
    } finally {
      await bad.close();
    }
  });

  test("eDRX without HLCOM drops; with HLCOM buffers until the window; detach → 83401", async () => {
    const { sim } = await activeSim(client);
    const dev = await udp();
    await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: { "7": dev.addr } });
    await admin(cloud, `/_mock/sims/${sim.sid}/power`, { mode: "edrx", hlcom: false, edrx_cycle_ms: 200 });
    const lost = cloud.events.waitFor((e) => e.type === "ip.lost" && e.sim_sid === sim.sid);
    await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "drop", devicePort: 7 });
    expect((await lost).reason).toBe("edrx-no-hlcom");
    await admin(cloud, `/_mock/sims/${sim.sid}/power`, { mode: "edrx", hlcom: true, edrx_cycle_ms: 150 });
    const t0 = Date.now();
    await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "kept", devicePort: 7 });
    expect((await dev.next()).msg.toString()).toBe("kept");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    await admin(cloud, `/_mock/sims/${sim.sid}/detach`, {});
    const failed = cloud.events.waitFor((e) => e.type === "ip_command.failed" && e.sim_sid === sim.sid);
    await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "x", devicePort: 7 });
    expect((await failed).error_code).toBe(83401);
  });
});

describe("SMS Commands over the mock SMSC", () => {
  test("MT: an SMS-DELIVER TPDU from 000 reaches the modem socket; DELIVER-REPORT → delivered", async () => {
    const { sim } = await activeSim(client);
    const modem = await udp();
    const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { ports: {}, sms: modem.addr });
    expect(att.json.smsc).toMatch(/^127\.0\.0\.1:\d+$/);
    const c = await client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "reboot now €", callbackUrl: `${hooks.url}/smscb` });
    const d = await modem.next();
    const pdu = decodePdu(d.msg.toString("hex"), { smsc: false, direction: "mt" });
    expect(pdu).toMatchObject({ type: "deliver", originator: "000", text: "reboot now €" });
    const delivered = cloud.events.waitFor((e) => e.type === "sms_command.delivered" && e.command_sid === c.sid);
    await modem.send(DELIVER_REPORT, att.json.smsc as string);
    await delivered;
    expect((await client.supersim.v1.smsCommands(c.sid).fetch()).status).toBe("delivered");
    const hits = await hooks.waitFor(2, (h) => h.url === "/smscb");
    expect(hits.map((h) => form(h.body).Status).sort()).toEqual(["delivered", "sent"]);
  });

  test("MT: no DELIVER-REPORT → resent 3 times, then failed", async () => {
    await admin(cloud, "/_mock/network", { sms_retry_ms: 40 });
    try {
      const { sim } = await activeSim(client);
      const modem = await udp();
      await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { sms: modem.addr });
      const c = await client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "hi" });
      const failed = cloud.events.waitFor((e) => e.type === "sms_command.failed" && e.command_sid === c.sid);
      await failed;
      expect(modem.queue.length).toBe(4); // the first send and 3 resends
      expect((await client.supersim.v1.smsCommands(c.sid).fetch()).status).toBe("failed");
    } finally {
      await admin(cloud, "/_mock/network", { sms_retry_ms: 5000 });
    }
  });

  test("MO: SMS-SUBMIT to 000 → from_sim SmsCommand, Fleet webhook, STATUS-REPORT for TP-SRR", async () => {
    const { sim } = await activeSim(client, { smsCommandsUrl: `${hooks.url}/fleet-sms` }, "dev-sms-mo");
    const modem = await udp();
    const att = await admin(cloud, `/_mock/sims/${sim.sid}/attach`, { sms: modem.addr });
    const [submit] = encodeSubmit({ to: "000", text: "temp=21.5", includeSmsc: false, statusReport: true, messageRef: 42 });
    await modem.send(Buffer.from(submit!, "hex"), att.json.smsc as string);
    const [hit] = await hooks.waitFor(1, (h) => h.url === "/fleet-sms");
    expect(form(hit!.body)).toMatchObject({ Direction: "from_sim", Status: "received", Payload: "temp=21.5", SimSid: sim.sid, SimUniqueName: "dev-sms-mo" });
    const sr = decodePdu((await modem.next()).msg.toString("hex"), { smsc: false, direction: "mt" });
    expect(sr).toMatchObject({ type: "status-report", message_ref: 42, status: 0 });
    const list = await client.supersim.v1.smsCommands.list({ sim: sim.sid, direction: "from_sim" });
    expect(list.map((x) => [x.status, x.payload])).toEqual([["received", "temp=21.5"]]);
  });
});
