/**
 * End to end through the virtual modem: the mock cloud (driven by the official twilio client), the
 * virtual modem of each family on a real pty, and the firmware agent with the AT engine and the
 * family's driver running in the real XS engine, talking AT to that pty. IP Commands arrive as the
 * modem's socket URCs and the replies leave through the driver's UDP send; SMS Commands arrive as
 * +CMTI → AT+CMGR and the replies leave through AT+CMGS. The three families run side by side on one
 * cloud (their devices start in parallel). The same firmware also runs in Node (--runtime node).
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { once } from "node:events";
import type { ModemFamily } from "../../firmware/modems/capabilities.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { validateSignature } from "../../host-tools/platform/signature.js";
import type { Handled } from "../../host-tools/device-host/device.js";
import { ModemDevice } from "../../host-tools/device-host/modem-device.js";
import { activeSim, cloudAndClient, Hooks, type Client, type Hit } from "../cloud/harness.js";

const FAMILIES: ModemFamily[] = ["bg96", "sim7080", "sara-r4"];

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const devices: ModemDevice[] = [];
const rigs = new Map<ModemFamily, { sim: string; device: ModemDevice; wsim: string; wdevice: ModemDevice }>();

const params = (h: Hit) => Object.fromEntries(new URLSearchParams(h.body));
const auth = () => "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");

async function startDevice(sim: string, family: ModemFamily, runtime: "xs" | "node" = "xs"): Promise<ModemDevice> {
  const device = await ModemDevice.start({
    cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
    sim,
    modem: family,
    runtime,
    tuning: { pollInterval: 200, registrationTimeout: 10000 },
    readyTimeoutMs: 20000,
  });
  devices.push(device);
  return device;
}

async function rig(family: ModemFamily): Promise<void> {
  const sim = `e2e-modem-${family}`;
  await activeSim(client, { ipCommandsUrl: `${hooks.url}/ip/${family}`, smsCommandsUrl: `${hooks.url}/sms/${family}` }, sim);
  const wsim = `e2e-modem-wireless-${family}`;
  const created = await fetch(`${cloud.url}/_mock/wireless/sims`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: auth() },
    body: JSON.stringify({ unique_name: wsim, iccid: `89012600000000${String(FAMILIES.indexOf(family) + 10).padStart(5, "0")}`, status: "active" }),
  });
  expect(created.status).toBeLessThan(300);
  await client.wireless.v1.sims(wsim).update({ commandsCallbackUrl: `${hooks.url}/wireless/${family}`, commandsCallbackMethod: "POST" });
  const [device, wdevice] = await Promise.all([startDevice(sim, family), startDevice(wsim, family)]);
  rigs.set(family, { sim, device, wsim, wdevice });
}

let nodeDevice: ModemDevice;
const nodeSim = "e2e-modem-node";

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
  const node = (async () => {
    await activeSim(client, { ipCommandsUrl: `${hooks.url}/ip/node`, smsCommandsUrl: `${hooks.url}/sms/node` }, nodeSim);
    nodeDevice = await startDevice(nodeSim, "bg96", "node");
  })();
  await Promise.all([...FAMILIES.map(rig), node]);
}, 30000);

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await hooks?.close();
  await cloud?.close();
});

for (const family of FAMILIES) {
  describe(`${family}: the agent in XS through the virtual modem`, () => {
    const r = () => rigs.get(family) as NonNullable<ReturnType<typeof rigs.get>>;
    const fromSim = (kind: string) => (h: Hit) => h.url === `/${kind}/${family}` && params(h)["Direction"] === "from_sim";

    /** Sends an IP Command with the official client and waits for the device's reply webhook. */
    async function ipRoundTrip(payload: string): Promise<{ reply: string; handled: Handled; hit: Hit }> {
      const before = hooks.hits.filter(fromSim("ip")).length;
      const handled = once(r().device, "handled");
      await client.supersim.v1.ipCommands.create({ sim: r().sim, payload, devicePort: 6969 });
      const hit = (await hooks.waitFor(before + 1, fromSim("ip")))[before] as Hit;
      return { reply: Buffer.from(params(hit)["Payload"] ?? "", "base64").toString("utf8"), handled: (await handled)[0] as Handled, hit };
    }

    test("an IP Command reaches the agent through the socket URCs; the reply is a from_sim IpCommand and a signed Fleet webhook", async () => {
      const { reply, hit, handled } = await ipRoundTrip("c1 ping");
      expect(reply).toBe("c1 ok pong");
      expect(handled).toEqual({ transport: "ip", executed: true });
      const p = params(hit);
      expect(p).toMatchObject({ Direction: "from_sim", PayloadType: "binary", SimUniqueName: r().sim, Status: "received", DevicePort: "6969" });
      expect(validateSignature(cloud.authToken, hit.headers["x-twilio-signature"] as string, `${hooks.url}/ip/${family}`, p)).toBe(true);
      const list = await client.supersim.v1.ipCommands.list({ sim: r().sim, direction: "from_sim", limit: 20 });
      expect(list.some((c) => Buffer.from(c.payload, "base64").toString() === "c1 ok pong")).toBe(true);
    });

    test("a duplicated IP Command is executed once and answered twice", async () => {
      const first = await ipRoundTrip("d1 config set apn first");
      const second = await ipRoundTrip("d1 config set apn second");
      expect([first.reply, second.reply]).toEqual(["d1 ok first", "d1 ok first"]);
      expect([first.handled.executed, second.handled.executed]).toEqual([true, false]);
      expect((await ipRoundTrip("i info")).reply).toMatch(new RegExp(`^i ok simcmd \\S+ runtime=xs uptime=\\d+s modem=${family}$`));
    });

    test("a Super SIM SMS Command arrives by +CMTI/AT+CMGR; the reply SMS (AT+CMGS to 000) is a from_sim SmsCommand", async () => {
      const before = hooks.hits.filter(fromSim("sms")).length;
      const cmd = await client.supersim.v1.smsCommands.create({ sim: r().sim, payload: "s1 echo hi there" });
      const hit = (await hooks.waitFor(before + 1, fromSim("sms")))[before] as Hit;
      expect(params(hit)["Payload"]).toBe("s1 ok hi there");
      expect((await client.supersim.v1.smsCommands(cmd.sid).fetch()).status).toBe("delivered");
    });

    test("a Wireless Command with IncludeSid=start and a delivery receipt: the reply names the SID, the command is delivered", async () => {
      const wsim = r().wsim;
      const handled = once(r().wdevice, "handled");
      const cmd = await client.wireless.v1.commands.create({ sim: wsim, command: "ping", includeSid: "start", deliveryReceiptRequested: true, callbackUrl: `${hooks.url}/status/${family}`, callbackMethod: "POST" });
      const [mo] = await hooks.waitFor(1, (h) => h.url === `/wireless/${family}` && params(h)["Status"] === "received");
      expect(params(mo as Hit)).toMatchObject({ Command: `${cmd.sid} ok pong`, SimUniqueName: wsim, CommandMode: "text" });
      expect((await handled)[0]).toEqual({ transport: "sms", executed: true });
      const [status] = await hooks.waitFor(1, (h) => h.url === `/status/${family}` && params(h)["CommandStatus"] === "delivered");
      const s = status as Hit;
      expect(validateSignature(cloud.authToken, s.headers["x-twilio-signature"] as string, `${hooks.url}/status/${family}`, params(s))).toBe(true);
      expect((await client.wireless.v1.commands(cmd.sid).fetch()).status).toBe("delivered");
    });

    test("the agent reports no errors and counts what it handled", async () => {
      const st = await r().device.status();
      expect(st).toMatchObject({ state: "ready", family, devicePort: 6969, handledIp: 4, handledSms: 1, errors: 0 });
      expect((await r().wdevice.status()).errors).toBe(0);
    });
  });
}

describe("the same firmware in Node (--runtime node), bg96", () => {
  test("an IP Command and an SMS Command are answered through the virtual modem", async () => {
    const fromSim = (kind: string) => (h: Hit) => h.url === `/${kind}/node` && params(h)["Direction"] === "from_sim";
    await client.supersim.v1.ipCommands.create({ sim: nodeSim, payload: "n1 info", devicePort: 6969 });
    const [ip] = await hooks.waitFor(1, fromSim("ip"));
    expect(Buffer.from(params(ip as Hit)["Payload"] ?? "", "base64").toString()).toMatch(/^n1 ok simcmd \S+ runtime=node uptime=\d+s modem=bg96$/);
    await client.supersim.v1.smsCommands.create({ sim: nodeSim, payload: "n2 ping" });
    const [sms] = await hooks.waitFor(1, fromSim("sms"));
    expect(params(sms as Hit)["Payload"]).toBe("n2 ok pong");
    expect(await nodeDevice.status()).toMatchObject({ state: "ready", handledIp: 1, handledSms: 1, errors: 0 });
  });
});
