/**
 * End to end: the mock cloud (driven by the official twilio client) and a simulated device whose
 * agent runs in the real XS engine, on real UDP sockets. IP Commands and SMS Commands reach the
 * agent; its replies come back as from_sim records and signed webhooks; a duplicated command is
 * executed once; a reply too long for SMS becomes an err reply.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { once } from "node:events";
import { SimulatedDevice, type Handled } from "../../host-tools/device-host/device.js";
import { validateSignature } from "../../host-tools/platform/signature.js";
import { activeSim, admin, cloudAndClient, Hooks, type Client, type Hit } from "../cloud/harness.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
let device: SimulatedDevice;
const name = "e2e-xs-device";

const params = (h: Hit) => Object.fromEntries(new URLSearchParams(h.body));
const decoded = (h: Hit) => Buffer.from(params(h)["Payload"] ?? "", "base64").toString("utf8");

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
  await activeSim(client, { ipCommandsUrl: `${hooks.url}/ip`, smsCommandsUrl: `${hooks.url}/sms` }, name);
  device = await SimulatedDevice.start({ cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim: name, runtime: "xs" });
});

afterAll(async () => {
  await device?.close();
  await hooks?.close();
  await cloud?.close();
});

/** Sends an IP Command and waits for the device's reply webhook. */
async function ipRoundTrip(payload: string): Promise<{ reply: string; handled: Handled; hit: Hit }> {
  const before = hooks.hits.filter((h) => h.url === "/ip" && params(h)["Direction"] === "from_sim").length;
  const handled = once(device, "handled");
  await client.supersim.v1.ipCommands.create({ sim: name, payload, devicePort: 6969 });
  const hits = await hooks.waitFor(before + 1, (h) => h.url === "/ip" && params(h)["Direction"] === "from_sim");
  const hit = hits[before] as Hit;
  return { reply: decoded(hit), handled: (await handled)[0] as Handled, hit };
}

describe("IP Commands to the agent in XS", () => {
  test("ping → pong, as a from_sim IpCommand and a signed Fleet webhook", async () => {
    const { reply, hit } = await ipRoundTrip("c1 ping");
    expect(reply).toBe("c1 ok pong");
    const p = params(hit);
    expect(p).toMatchObject({ Direction: "from_sim", PayloadType: "binary", SimUniqueName: name, Status: "received" });
    const signature = hit.headers["x-twilio-signature"];
    expect(typeof signature).toBe("string");
    expect(validateSignature(cloud.authToken, signature as string, `${hooks.url}/ip`, p)).toBe(true);
    const fromSim = await client.supersim.v1.ipCommands.list({ sim: name, direction: "from_sim", limit: 20 });
    expect(fromSim.some((c) => Buffer.from(c.payload, "base64").toString() === "c1 ok pong")).toBe(true);
  });

  test("a duplicated command is executed once and answered twice", async () => {
    const first = await ipRoundTrip("d1 config set apn first");
    const second = await ipRoundTrip("d1 config set apn second");
    expect([first.reply, second.reply]).toEqual(["d1 ok first", "d1 ok first"]);
    expect([first.handled.executed, second.handled.executed]).toEqual([true, false]);
    expect((await ipRoundTrip("d2 config get apn")).reply).toBe("d2 ok first");
  });

  test("info reports the XS runtime", async () => {
    expect((await ipRoundTrip("i info")).reply).toMatch(/^i ok simcmd \S+ runtime=xs uptime=\d+s modem=none$/);
  });
});

describe("SMS Commands to the agent in XS", () => {
  async function smsRoundTrip(payload: string): Promise<string> {
    const before = hooks.hits.filter((h) => h.url === "/sms" && params(h)["Direction"] === "from_sim").length;
    const cmd = await client.supersim.v1.smsCommands.create({ sim: name, payload });
    const hits = await hooks.waitFor(before + 1, (h) => h.url === "/sms" && params(h)["Direction"] === "from_sim");
    const p = params(hits[before] as Hit);
    // The MT command was acknowledged by the device's SMS-DELIVER-REPORT.
    const mt = await client.supersim.v1.smsCommands(cmd.sid).fetch();
    expect(mt.status).toBe("delivered");
    return p["Payload"] ?? "";
  }

  test("ping over SMS → pong over SMS (SMS-DELIVER in, SMS-SUBMIT to 000 out)", async () => {
    expect(await smsRoundTrip("s1 ping")).toBe("s1 ok pong");
  });

  test("a reply too long for one SMS becomes an err reply", async () => {
    expect((await ipRoundTrip("L1 config set apn " + "a".repeat(170))).reply).toBe("L1 ok " + "a".repeat(170));
    expect(await smsRoundTrip("L2 config get apn")).toBe("L2 err reply too long for one SMS");
  });
});

describe("Programmable Wireless Commands with IncludeSid, to the agent in XS", () => {
  /** A Wireless SIM with a commands callback, and a simulated device (XS) attached for it. */
  async function wirelessDevice(wname: string, iccid: string): Promise<SimulatedDevice> {
    const created = await admin(cloud, "/_mock/wireless/sims", { unique_name: wname, iccid, status: "active" });
    expect(created.status).toBeLessThan(300);
    await client.wireless.v1.sims(wname).update({ commandsCallbackUrl: `${hooks.url}/wireless`, commandsCallbackMethod: "POST" });
    return SimulatedDevice.start({ cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim: wname, runtime: "xs" });
  }
  const received = (wname: string) => (h: Hit) => h.url === "/wireless" && params(h)["Status"] === "received" && params(h)["SimUniqueName"] === wname;

  test("start: the command SID is the id: the reply names it, the command is delivered, the callback is signed", async () => {
    const wname = "e2e-xs-wireless";
    const wdevice = await wirelessDevice(wname, "8901260000000000077");
    try {
      const cmd = await client.wireless.v1.commands.create({ sim: wname, command: "ping", includeSid: "start", deliveryReceiptRequested: true, callbackUrl: `${hooks.url}/status`, callbackMethod: "POST" });
      const [mo] = await hooks.waitFor(1, received(wname));
      expect(params(mo as Hit)).toMatchObject({ Command: `${cmd.sid} ok pong`, SimUniqueName: wname, CommandMode: "text" });
      const status = await hooks.waitFor(1, (h) => h.url === "/status" && params(h)["CommandStatus"] === "delivered");
      const s = status[0] as Hit;
      expect(validateSignature(cloud.authToken, s.headers["x-twilio-signature"] as string, `${hooks.url}/status`, params(s))).toBe(true);
      expect((await client.wireless.v1.commands(cmd.sid).fetch()).status).toBe("delivered");
    } finally {
      await wdevice.close();
    }
  });

  test("end: the SMSC sends the command again after the device's report was lost — it runs once, both answers name the SID", async () => {
    const wname = "e2e-xs-wireless-end";
    const wdevice = await wirelessDevice(wname, "8901260000000000078");
    const handled: Handled[] = [];
    const twice = new Promise<void>((resolve) => wdevice.on("handled", (h) => handled.push(h) === 2 && resolve()));
    const net = cloud.ctx.network;
    const before = net.conditions;
    net.setConditions({ smsRetryMs: 200 });
    // The first SMS-DELIVER reaches the device; what the device sends back (its DELIVER-REPORT and its
    // reply) is lost, so the SMSC sends the same SMS-DELIVER again.
    let lostMo = 0;
    let sent = 0;
    const off = cloud.events.on((e) => {
      if (e.type === "sms.deliver.sent" && ++sent === 1) net.setConditions({ loss: 1 });
      if (e.type === "sms.lost" && e["direction"] === "mo" && ++lostMo === 2) net.setConditions({ loss: 0 });
    });
    try {
      const cmd = await client.wireless.v1.commands.create({ sim: wname, command: "config set apn end-first", includeSid: "end" });
      const [mo] = await hooks.waitFor(1, received(wname));
      expect(params(mo as Hit)["Command"]).toBe(`${cmd.sid} ok end-first`);
      expect(lostMo).toBe(2);
      await twice;
      expect(handled.map((h) => h.executed)).toEqual([true, false]);
      await cloud.events.waitFor((e) => e.type === "sms.delivered" && e.sim_sid === cmd.simSid, 5000, true);
      expect((await client.wireless.v1.commands(cmd.sid).fetch()).status).toBe("delivered");
      const check = await client.wireless.v1.commands.create({ sim: wname, command: "config get apn", includeSid: "end" });
      const replies = await hooks.waitFor(2, received(wname));
      expect(params(replies[1] as Hit)["Command"]).toBe(`${check.sid} ok end-first`);
    } finally {
      off();
      net.setConditions({ loss: before.loss, smsRetryMs: before.smsRetryMs });
      await wdevice.close();
    }
  });
});
