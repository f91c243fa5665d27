/**
 * Programmable Wireless Commands, rule by rule as the Commands resource page states them: IncludeSid lengths
 * and the concatenated SMS they need, DeliveryReceiptRequested=false, when the status callback fires, the
 * list filters, an MO SMS over 160 characters, and 30-day retention. The official client drives the mock;
 * the SIM's modem is a real UDP socket exchanging TPDUs with the SMSC.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";
import { decodePdu, encodeSubmit, Reassembler, type Pdu } from "../../host-tools/pdu/index.js";
import { admin, attachSmsSocket, cloudAndClient, DELIVER_REPORT, DELIVER_REPORT_ERROR, Hooks, wirelessSim, type Client, type Hit, type Udp } from "./harness.js";

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const modems: Udp[] = [];
beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
});
afterAll(async () => {
  for (const m of modems) m.close();
  await hooks.close();
  await cloud.close();
});

async function attached(sim: string): Promise<{ modem: Udp; smsc: string }> {
  const a = await attachSmsSocket(cloud, sim);
  modems.push(a.modem);
  return a;
}

const form = (h: Hit): Record<string, string> =>
  h.method === "GET" ? Object.fromEntries(new URL(h.url, hooks.url).searchParams) : Object.fromEntries(new URLSearchParams(h.body));

/** Receives the parts of one MT SMS, acknowledging each, and returns them with the reassembled text. */
async function receiveWhole(modem: Udp, smsc: string): Promise<{ parts: Pdu[]; text: string }> {
  const r = new Reassembler({});
  const parts: Pdu[] = [];
  for (;;) {
    const pdu = decodePdu((await modem.next()).msg.toString("hex"), { smsc: false });
    parts.push(pdu);
    await modem.send(DELIVER_REPORT, smsc);
    const whole = r.add(pdu, Date.now(), []);
    if (whole) return { parts, text: whole.text ?? "" };
  }
}

describe("IncludeSid: up to 128 characters (38 double-byte) with start/end", () => {
  test("the longest bodies are accepted and arrive as a concatenated SMS with the SID at the start or the end", async () => {
    const s = await wirelessSim(cloud);
    const { modem, smsc } = await attached(s.sid);
    const cases = [
      { body: "a".repeat(128), includeSid: "start" as const, parts: 2 },
      { body: "b".repeat(128), includeSid: "end" as const, parts: 2 },
      { body: "日本語".repeat(12) + "語文", includeSid: "start" as const, parts: 2 },
      { body: "c".repeat(125), includeSid: "start" as const, parts: 1 },
    ];
    for (const k of cases) {
      const c = await client.wireless.v1.commands.create({ sim: s.sid, command: k.body, includeSid: k.includeSid });
      const got = await receiveWhole(modem, smsc);
      expect(got.text).toBe(k.includeSid === "start" ? `${c.sid} ${k.body}` : `${k.body} ${c.sid}`);
      expect(got.parts).toHaveLength(k.parts);
      expect(got.parts.every((p) => p.originator === "2936")).toBe(true);
      if (k.parts > 1) expect(got.parts.map((p) => p.udh?.concat?.seq)).toEqual([1, 2]);
      await cloud.events.waitFor((e) => e.type === "wireless_command.delivered" && e.command_sid === c.sid, 3000, true);
    }
  });

  test("one character more is a 400 that writes nothing; without IncludeSid one SMS stays the limit", async () => {
    const s = await wirelessSim(cloud);
    const refuse = (command: string, includeSid?: "start" | "end") =>
      expect(client.wireless.v1.commands.create({ sim: s.sid, command, ...(includeSid ? { includeSid } : {}) })).rejects.toMatchObject({ status: 400, code: 20001 });
    await refuse("a".repeat(129), "start");
    await refuse("a".repeat(129), "end");
    await refuse("日".repeat(39), "start");
    await refuse("{".repeat(65), "end"); // extension characters cost two septets: 130
    await refuse("a".repeat(161));
    expect(await client.wireless.v1.commands.list({ sim: s.sid })).toHaveLength(0);
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "日".repeat(38), includeSid: "end" })).resolves.toMatchObject({ status: "queued" });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "{".repeat(64), includeSid: "end" })).resolves.toMatchObject({ status: "queued" });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "a".repeat(160) })).resolves.toMatchObject({ status: "queued" });
  });
});

describe("DeliveryReceiptRequested and the status callback", () => {
  test("without a receipt the Command ends `sent` even when the device never reports: one callback, status sent", async () => {
    await admin(cloud, "/_mock/network", { sms_retry_ms: 50 });
    try {
      const s = await wirelessSim(cloud);
      const { modem } = await attached(s.sid);
      const noReceipt = await client.wireless.v1.commands.create({ sim: s.sid, command: "quiet", deliveryReceiptRequested: false, callbackUrl: `${hooks.url}/nr` });
      await cloud.events.waitFor((e) => e.type === "sms.failed" && e.sim_sid === s.sid && e.reason === "no-delivery-report", 5000, true);
      expect(modem.queue).toHaveLength(4); // the SMSC sent it 1 + 3 times
      expect((await client.wireless.v1.commands(noReceipt.sid).fetch()).status).toBe("sent");
      const [hit] = await hooks.waitFor(1, (h) => h.url === "/nr");
      expect(form(hit as Hit)).toMatchObject({ CommandSid: noReceipt.sid, CommandStatus: "sent" });
      expect(form(hit as Hit).ErrorCode).toBeUndefined();

      const withReceipt = await client.wireless.v1.commands.create({ sim: s.sid, command: "loud", callbackUrl: `${hooks.url}/wr` });
      await cloud.events.waitFor((e) => e.type === "wireless_command.failed" && e.command_sid === withReceipt.sid, 5000, true);
      const [failed] = await hooks.waitFor(1, (h) => h.url === "/wr");
      expect(form(failed as Hit)).toMatchObject({ CommandSid: withReceipt.sid, CommandStatus: "failed", ErrorCode: "30003" });
      expect(hooks.hits.filter((h) => h.url === "/nr" || h.url === "/wr")).toHaveLength(2);
    } finally {
      await admin(cloud, "/_mock/network", { sms_retry_ms: 5000 });
    }
  });

  test("the callback fires once, when sending is over: delivered (POST form) or failed (GET query, with the error)", async () => {
    const s = await wirelessSim(cloud);
    const { modem, smsc } = await attached(s.sid);
    const ok = await client.wireless.v1.commands.create({ sim: s.sid, command: "one", callbackUrl: `${hooks.url}/cb-ok` });
    await modem.next();
    await cloud.events.waitFor((e) => e.type === "wireless_command.sent" && e.command_sid === ok.sid, 3000, true);
    await modem.send(DELIVER_REPORT, smsc);
    const [delivered] = await hooks.waitFor(1, (h) => h.url === "/cb-ok");
    expect((delivered as Hit).method).toBe("POST");
    expect(form(delivered as Hit)).toEqual({
      CommandSid: ok.sid, CommandStatus: "delivered", SimSid: s.sid, SimUniqueName: s.name, ApiVersion: "v1", AccountSid: cloud.accountSid, CommandMode: "text",
    });

    const bad = await client.wireless.v1.commands.create({ sim: s.sid, command: "two", callbackUrl: `${hooks.url}/cb-bad?k=v`, callbackMethod: "GET" });
    await modem.next();
    await modem.send(DELIVER_REPORT_ERROR, smsc);
    const [failed] = await hooks.waitFor(1, (h) => h.url.startsWith("/cb-bad"));
    expect((failed as Hit).method).toBe("GET");
    expect(form(failed as Hit)).toMatchObject({ k: "v", CommandSid: bad.sid, CommandStatus: "failed", ErrorCode: "30008", ErrorMessage: expect.stringContaining("rejected") });

    const records = (await admin(cloud, "/_mock/callbacks")).json.callbacks as { resource_sid: string }[];
    expect(records.filter((r) => r.resource_sid === ok.sid || r.resource_sid === bad.sid)).toHaveLength(2);
    expect(hooks.hits.filter((h) => h.url === "/cb-ok" || h.url.startsWith("/cb-bad"))).toHaveLength(2);
  });
});

describe("list filters: Status, Direction, Transport", () => {
  test("each filter returns exactly the Commands that match, alone and with Sim", async () => {
    const s = await wirelessSim(cloud);
    const other = await wirelessSim(cloud);
    const { modem, smsc } = await attached(s.sid);
    const delivered = await client.wireless.v1.commands.create({ sim: s.sid, command: "d" });
    await modem.next();
    await modem.send(DELIVER_REPORT, smsc);
    await cloud.events.waitFor((e) => e.type === "wireless_command.delivered" && e.command_sid === delivered.sid, 3000, true);
    const failed = await client.wireless.v1.commands.create({ sim: s.sid, command: "f" });
    await modem.next();
    await modem.send(DELIVER_REPORT_ERROR, smsc);
    await cloud.events.waitFor((e) => e.type === "wireless_command.failed" && e.command_sid === failed.sid, 3000, true);
    const sent = await client.wireless.v1.commands.create({ sim: s.sid, command: "s", deliveryReceiptRequested: false });
    await cloud.events.waitFor((e) => e.type === "wireless_command.sent" && e.command_sid === sent.sid, 3000, true);
    await modem.next();
    await modem.send(DELIVER_REPORT, smsc);
    const [submit] = encodeSubmit({ to: "2936", text: "mo", includeSmsc: false });
    await modem.send(Buffer.from(submit as string, "hex"), smsc);
    const mo = await cloud.events.waitFor((e) => e.type === "wireless_command.received" && e.sim_sid === s.sid, 3000, true);
    await admin(cloud, `/_mock/sims/${s.sid}/detach`, {});
    const queued = await client.wireless.v1.commands.create({ sim: s.sid, command: "q" });
    const elsewhere = await client.wireless.v1.commands.create({ sim: other.sid, command: "o" });

    const sids = async (o: Record<string, string>) => (await client.wireless.v1.commands.list({ sim: s.sid, ...o })).map((c) => c.sid).sort();
    const sorted = (...a: string[]) => [...a].sort();
    expect(await sids({ status: "queued" })).toEqual([queued.sid]);
    expect(await sids({ status: "sent" })).toEqual([sent.sid]);
    expect(await sids({ status: "delivered" })).toEqual([delivered.sid]);
    expect(await sids({ status: "failed" })).toEqual([failed.sid]);
    expect(await sids({ status: "received" })).toEqual([mo.command_sid]);
    expect(await sids({ direction: "from_sim" })).toEqual([mo.command_sid]);
    expect(await sids({ direction: "to_sim" })).toEqual(sorted(queued.sid, sent.sid, delivered.sid, failed.sid));
    expect(await sids({ transport: "sms" })).toEqual(sorted(queued.sid, sent.sid, delivered.sid, failed.sid, mo.command_sid as string));
    expect(await sids({ transport: "ip" })).toEqual([]);
    expect(await sids({ direction: "to_sim", status: "queued" })).toEqual([queued.sid]);
    const all = (await client.wireless.v1.commands.list({ status: "queued" })).map((c) => c.sid);
    expect(all).toEqual(expect.arrayContaining([queued.sid, elsewhere.sid]));
    for (const q of ["Status=bogus", "Direction=up", "Transport=carrier-pigeon"]) {
      const r = await fetch(`${cloud.url}/wireless/v1/Commands?${q}`, { headers: { authorization: basic(cloud) } });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ code: 20001, status: 400 });
    }
  });
});

describe("MO SMS", () => {
  test("a concatenated MO over 160 characters becomes one Command of its first 160 characters, with warning 33111", async () => {
    const s = await wirelessSim(cloud);
    await client.wireless.v1.sims(s.sid).update({ commandsCallbackUrl: `${hooks.url}/long-mo` });
    const { modem, smsc } = await attached(s.sid);
    const text = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const parts = encodeSubmit({ to: "2936", text, includeSmsc: false, ref: 7 });
    expect(parts).toHaveLength(2);
    const truncated = cloud.events.waitFor((e) => e.type === "wireless_command.truncated" && e.sim_sid === s.sid);
    for (const p of parts) await modem.send(Buffer.from(p, "hex"), smsc);
    expect(await truncated).toMatchObject({ warning: 33111, length: 200 });
    const [hit] = await hooks.waitFor(1, (h) => h.url === "/long-mo");
    expect(form(hit as Hit)).toMatchObject({ Command: text.slice(0, 160), Status: "received", CommandMode: "text", SimSid: s.sid });
    const [cmd] = await client.wireless.v1.commands.list({ sim: s.sid, direction: "from_sim" });
    expect(cmd?.command).toBe(text.slice(0, 160));
  });
});

describe("retention", () => {
  test("Commands are readable for 30 days from their creation, then gone from fetch and list; the SIM stays", async () => {
    let now = Date.parse("2025-03-01T00:00:00Z");
    const c = await startCloud({ clock: () => new Date(now) });
    const mod: Udp[] = [];
    try {
      const cl = twilioClient({ baseUrl: c.url, accountSid: c.accountSid, authToken: c.authToken });
      const s = await wirelessSim(c);
      const mt = await cl.wireless.v1.commands.create({ sim: s.sid, command: "old" });
      const a = await attachSmsSocket(c, s.sid);
      mod.push(a.modem);
      const [submit] = encodeSubmit({ to: "2936", text: "old mo", includeSmsc: false });
      await a.modem.send(Buffer.from(submit as string, "hex"), a.smsc);
      const mo = await c.events.waitFor((e) => e.type === "wireless_command.received" && e.sim_sid === s.sid);
      now += 30 * 86_400_000 - 1000;
      expect((await cl.wireless.v1.commands(mt.sid).fetch()).sid).toBe(mt.sid);
      expect((await cl.wireless.v1.commands.list({ sim: s.sid })).map((x) => x.sid).sort()).toEqual([mt.sid, mo.command_sid].sort());
      now += 2000;
      await expect(cl.wireless.v1.commands(mt.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
      await expect(cl.wireless.v1.commands(mo.command_sid as string).fetch()).rejects.toMatchObject({ status: 404 });
      expect(await cl.wireless.v1.commands.list({ sim: s.sid })).toHaveLength(0);
      expect((await cl.wireless.v1.sims(s.sid).fetch()).sid).toBe(s.sid);
    } finally {
      for (const m of mod) m.close();
      await c.close();
    }
  });
});

function basic(c: CloudHandle): string {
  return "Basic " + Buffer.from(`${c.accountSid}:${c.authToken}`).toString("base64");
}
