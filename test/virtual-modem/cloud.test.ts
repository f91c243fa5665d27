/**
 * The virtual modem attached to the real mock cloud: a Super SIM registered through the API, the
 * modem attaching through POST /_mock/sims/{name}/attach, IP Commands and SMS Commands both ways.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";
import { DIALECTS, startModem, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { decodePdu, encodeSubmit, tpduLength } from "../../host-tools/pdu/index.js";
import { AtClient } from "./at-client.js";
import { SOCKET_OPS } from "./socket-ops.js";

let cloud: CloudHandle;
let client: ReturnType<typeof twilioClient>;

beforeAll(async () => {
  cloud = await startCloud({ port: 0, callbacks: { timeoutMs: 1000, totalMs: 2000 } });
  client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
});
afterAll(async () => {
  await cloud?.close();
});

let iccidSeq = 0;
async function activeSim(name: string): Promise<string> {
  const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "HA00000000000000000000000000000000", smsCommandsEnabled: true });
  const iccid = `89883070000000${String(1000 + iccidSeq++).padStart(5, "0")}`;
  const reg = await client.supersim.v1.sims.create({ iccid, registrationCode: "123456" });
  const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: name });
  return sim.sid;
}

describe.each(DIALECTS)("virtual modem on the mock cloud: %s", (dialect) => {
  let h: ModemHandle;
  let c: AtClient;
  let sid: string;
  const name = `vm-${dialect}`;

  beforeAll(async () => {
    sid = await activeSim(name);
    const attached = cloud.events.waitFor((e) => e.type === "sim.attached" && e.sim_sid === sid);
    h = await startModem({ dialect, cloud: { url: cloud.url, sim: name, accountSid: cloud.accountSid, authToken: cloud.authToken } });
    await attached;
    c = await AtClient.open(h.port);
    await c.at("ATE0");
  });
  afterAll(async () => {
    await c?.close();
    await h?.close();
  });

  test("an IP Command created through the API arrives as a socket URC; the reply becomes a from_sim IpCommand", async () => {
    const ops = SOCKET_OPS[dialect];
    await ops.activate(c);
    const id = await ops.listen(c, 6969);
    const m = c.mark();
    await client.supersim.v1.ipCommands.create({ sim: sid, payload: "NUM=1234", devicePort: 6969 });
    const d = await ops.receive(c, id, m);
    expect(d.data.toString()).toBe("NUM=1234");
    const received = cloud.events.waitFor((e) => e.type === "ip_command.received" && e.sim_sid === sid);
    await ops.send(c, id, "100.64.0.1", 6969, Buffer.from("ok 1234"));
    await received;
    const mo = await client.supersim.v1.ipCommands.list({ sim: sid, direction: "from_sim" });
    expect(mo.map((x) => [Buffer.from(x.payload, "base64").toString(), x.devicePort])).toEqual([["ok 1234", 6969]]);
    await ops.close(c, id);
  });

  test("an SMS Command arrives as +CMTI and becomes delivered; an MO SMS to 000 gets its status report", async () => {
    await c.at("AT+CMGF=0;+CNMI=2,1,0,1,0");
    const m = c.mark();
    const delivered = cloud.events.waitFor((e) => e.type === "sms.delivered" && e.sim_sid === sid);
    await client.supersim.v1.smsCommands.create({ sim: sid, payload: "reboot now €" });
    const u = await c.waitFor(/\+CMTI: "SM",(\d+)\r\n/, m);
    await delivered;
    const r = await c.at(`AT+CMGR=${u[1]}`);
    expect(decodePdu(r.lines[1] as string)).toMatchObject({ type: "deliver", originator: "000", text: "reboot now €" });
    expect((await c.at(`AT+CMGD=${u[1]}`)).final).toBe("OK");
    const [hex] = encodeSubmit({ to: "000", text: "temp=21.5", statusReport: true });
    const m2 = c.mark();
    const sr = await c.atData(`AT+CMGS=${tpduLength(hex as string)}`, /\r\n> $/, (hex as string) + "\x1a");
    const mr = Number(/\+CMGS: (\d+)/.exec(sr.raw)?.[1]);
    const cds = await c.waitFor(/\+CDS: \d+\r\n([0-9A-F]+)\r\n/, m2);
    expect(decodePdu(cds[1] as string)).toMatchObject({ type: "status-report", message_ref: mr, status: 0 });
    const mo = await client.supersim.v1.smsCommands.list({ sim: sid, direction: "from_sim" });
    expect(mo.map((x) => x.payload)).toEqual(["temp=21.5"]);
  });
});
