/**
 * End to end for a concatenated MT SMS: a Programmable Wireless Command with IncludeSid=start whose SID,
 * space and body no longer fit one SMS leaves the mock's SMSC as two SMS-DELIVER TPDUs with the
 * concatenation element; each family's virtual modem stores both (two +CMTI), the firmware agent in XS reads
 * them, reassembles the message, runs the command once under the SID and replies by SMS to 2936; both parts
 * were acknowledged, so the Command is `delivered`.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { once } from "node:events";
import type { ModemFamily } from "../../firmware/modems/capabilities.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import type { Handled } from "../../host-tools/device-host/device.js";
import { ModemDevice } from "../../host-tools/device-host/modem-device.js";
import { cloudAndClient, Hooks, wirelessSim, type Client, type Hit } from "../cloud/harness.js";

const FAMILIES: ModemFamily[] = ["bg96", "sim7080", "sara-r4"];

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const rigs = new Map<ModemFamily, { sim: string; device: ModemDevice }>();

const params = (h: Hit) => Object.fromEntries(new URLSearchParams(h.body));

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
  await Promise.all(
    FAMILIES.map(async (family) => {
      const { sid } = await wirelessSim(cloud, "active", { commands_callback_url: `${hooks.url}/mo/${family}` });
      const device = await ModemDevice.start({
        cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
        sim: sid,
        modem: family,
        runtime: "xs",
        tuning: { pollInterval: 200, registrationTimeout: 10000 },
        readyTimeoutMs: 20000,
      });
      rigs.set(family, { sim: sid, device });
    }),
  );
}, 40000);

afterAll(async () => {
  await Promise.all([...rigs.values()].map((r) => r.device.close()));
  await hooks?.close();
  await cloud?.close();
});

for (const family of FAMILIES) {
  describe(`${family}: the virtual modem and the agent in XS`, () => {
    test("a 127-character Command with its SID at the start arrives in two parts and is executed once, under the SID", async () => {
      const r = rigs.get(family) as { sim: string; device: ModemDevice };
      const words = "x".repeat(122);
      const body = `echo ${words}`;
      const handled = once(r.device, "handled");
      const parts: number[] = [];
      const off = cloud.events.on((e) => {
        if (e.type === "sms.deliver.sent" && e.sim_sid === r.sim) parts.push(e.parts as number);
      });
      try {
        const cmd = await client.wireless.v1.commands.create({ sim: r.sim, command: body, includeSid: "start" });
        expect(`${cmd.sid} ${body}`.length).toBeGreaterThan(160);
        const [mo] = await hooks.waitFor(1, (h) => h.url === `/mo/${family}`, 20000);
        expect(params(mo as Hit)).toMatchObject({ Command: `${cmd.sid} ok ${words}`, Status: "received", CommandMode: "text" });
        expect((await handled)[0] as Handled).toEqual({ transport: "sms", executed: true });
        await cloud.events.waitFor((e) => e.type === "wireless_command.delivered" && e.command_sid === cmd.sid, 10000, true);
        expect(parts).toEqual([2, 2]);
        expect(await r.device.status()).toMatchObject({ handledSms: 1, errors: 0 });
      } finally {
        off();
      }
    });
  });
}
