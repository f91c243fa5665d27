/**
 * Programmable Wireless v1 on the mock cloud: Sims and Commands through the official twilio client, every
 * response validated against specs/twilio_wireless_v1.json, SMS over real UDP as TPDUs.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { validateSignature } from "../../host-tools/platform/signature.js";
import { decodePdu, encodeSubmit } from "../../host-tools/pdu/index.js";
import { expectValid, responseValidator, schemaValidator } from "../helpers/openapi.js";
import { attachSmsSocket, cloudAndClient, DELIVER_REPORT, Hooks, wirelessSim, type Client } from "./harness.js";

const SPEC = "twilio_wireless_v1.json";
const simSchema = schemaValidator(SPEC, "wireless.v1.sim");
const cmdSchema = schemaValidator(SPEC, "wireless.v1.command");
const cmdList = responseValidator(SPEC, "/v1/Commands", "get");
const simList = responseValidator(SPEC, "/v1/Sims", "get");

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
});
afterAll(async () => {
  await hooks.close();
  await cloud.close();
});

/** The raw JSON body of the client's last response (what the spec describes). */
function last(): unknown {
  const r = (client.httpClient as unknown as { lastResponse?: { body: unknown } }).lastResponse;
  return typeof r?.body === "string" ? JSON.parse(r.body) : r?.body;
}

/**
 * The spec types `reset_status` as a `$ref` to the enum ["resetting"] without `nullable`, though its own
 * description says "Can be: null or resetting" and the API sends null: a null reset_status is left out of
 * what ajv sees (the only field treated so).
 */
function sim(body: unknown): unknown {
  const b = { ...(body as Record<string, unknown>) };
  if (b.reset_status === null) delete b.reset_status;
  return b;
}
function simsPage(body: unknown): unknown {
  const b = body as { sims: unknown[] };
  return { ...b, sims: b.sims.map(sim) };
}

async function newSim(status = "active", extra: Record<string, unknown> = {}): Promise<{ sid: string; name: string }> {
  const s = await wirelessSim(cloud, status, extra);
  expectValid(simSchema, sim(s.json));
  return s;
}

const attachSms = (sim: string) => attachSmsSocket(cloud, sim);

describe("Sims", () => {
  test("admin create → fetch by sid and name, update callback/status/name, list filters, delete 204", async () => {
    const s = await newSim("ready");
    const f = await client.wireless.v1.sims(s.name).fetch();
    expectValid(simSchema, sim(last()));
    expect(f.sid).toBe(s.sid);
    expect(f.status).toBe("ready");
    expect(f.commandsCallbackMethod).toBe("POST");
    const u = await client.wireless.v1.sims(s.sid).update({ commandsCallbackUrl: hooks.url + "/mo", commandsCallbackMethod: "GET", friendlyName: "tracker" });
    expectValid(simSchema, sim(last()));
    expect(u.commandsCallbackUrl).toBe(hooks.url + "/mo");
    expect(u.commandsCallbackMethod).toBe("GET");
    expect(u.friendlyName).toBe("tracker");
    const renamed = await client.wireless.v1.sims(s.sid).update({ uniqueName: s.name + "-b", status: "suspended" });
    expect(renamed.uniqueName).toBe(s.name + "-b");
    expect(renamed.status).toBe("suspended");
    const listed = await client.wireless.v1.sims.list({ status: "suspended" });
    expectValid(simList, simsPage(last()));
    expect(listed.map((x) => x.sid)).toContain(s.sid);
    expect((await client.wireless.v1.sims.list({ iccid: f.iccid })).map((x) => x.sid)).toEqual([s.sid]);
    await expect(client.wireless.v1.sims(s.sid).remove()).resolves.toBe(true);
    await expect(client.wireless.v1.sims(s.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("bad updates: invalid transition 33105, taken UniqueName 409, unknown SIM 20404, unknown parameter 20001", async () => {
    const a = await newSim("active");
    const b = await newSim("active");
    await expect(client.wireless.v1.sims(a.sid).update({ status: "new" })).rejects.toMatchObject({ status: 400, code: 33105 });
    await expect(client.wireless.v1.sims(a.sid).update({ uniqueName: b.name })).rejects.toMatchObject({ status: 409 });
    await expect(client.wireless.v1.sims("DE00000000000000000000000000000000").fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.wireless.v1.sims(a.sid).update({ status: "bogus" as never })).rejects.toMatchObject({ status: 400, code: 20001 });
    expect((await client.wireless.v1.sims(a.sid).fetch()).uniqueName).toBe(a.name);
  });
});

describe("Commands", () => {
  test("SMS Command with IncludeSid=start reaches the modem as SMS-DELIVER from 2936; DELIVER-REPORT → delivered + signed callbacks", async () => {
    const s = await newSim();
    const { modem, smsc } = await attachSms(s.sid);
    try {
      const c = await client.wireless.v1.commands.create({ sim: s.name, command: "ping", includeSid: "start", callbackUrl: hooks.url + "/status" });
      expectValid(cmdSchema, last());
      expect(c.status).toBe("queued");
      expect(c.direction).toBe("to_sim");
      expect(c.transport).toBe("sms");
      expect(c.deliveryReceiptRequested).toBe(true);
      const got = await modem.next();
      const pdu = decodePdu(got.msg.toString("hex"), { smsc: false });
      expect(pdu.type).toBe("deliver");
      expect(pdu.originator).toBe("2936");
      expect(pdu.text).toBe(`${c.sid} ping`);
      await cloud.events.waitFor((e) => e.type === "wireless_command.sent" && e.command_sid === c.sid, 3000, true);
      await modem.send(DELIVER_REPORT, smsc);
      const hits = await hooks.waitFor(1, (h) => h.url === "/status" && h.body.includes(c.sid));
      const forms = hits.map((h) => Object.fromEntries(new URLSearchParams(h.body)));
      expect(forms.map((f) => f.CommandStatus)).toEqual(["delivered"]);
      expect(forms[0]).toMatchObject({ CommandSid: c.sid, SimSid: s.sid, SimUniqueName: s.name, ApiVersion: "v1", AccountSid: cloud.accountSid, CommandMode: "text" });
      for (const h of hits)
        expect(validateSignature(cloud.authToken, h.headers["x-twilio-signature"] as string, hooks.url + h.url, Object.fromEntries(new URLSearchParams(h.body)))).toBe(true);
      const f = await client.wireless.v1.commands(c.sid).fetch();
      expectValid(cmdSchema, last());
      expect(f.status).toBe("delivered");
    } finally {
      modem.close();
    }
  });

  test("binary Command arrives as 8-bit data; DeliveryReceiptRequested=false stays sent", async () => {
    const s = await newSim();
    const { modem } = await attachSms(s.sid);
    try {
      const c = await client.wireless.v1.commands.create({ sim: s.sid, command: Buffer.from([0xa1, 0x61, 0x63]).toString("base64"), commandMode: "binary", deliveryReceiptRequested: false });
      expect(c.commandMode).toBe("binary");
      const pdu = decodePdu((await modem.next()).msg.toString("hex"), { smsc: false });
      expect(pdu.data_hex?.toLowerCase()).toBe("a16163");
      await cloud.events.waitFor((e) => e.type === "wireless_command.sent" && e.command_sid === c.sid, 3000, true);
      expect((await client.wireless.v1.commands(c.sid).fetch()).status).toBe("sent");
    } finally {
      modem.close();
    }
  });

  test("MO SMS-SUBMIT to 2936 → from_sim Command (received) + signed GET callback to commands_callback_url", async () => {
    const s = await newSim();
    await client.wireless.v1.sims(s.sid).update({ commandsCallbackUrl: hooks.url + "/mo?x=1", commandsCallbackMethod: "GET" });
    const { modem, smsc } = await attachSms(s.sid);
    try {
      const [submit] = encodeSubmit({ to: "2936", text: "DC1 ok pong", includeSmsc: false });
      await modem.send(Buffer.from(submit as string, "hex"), smsc);
      const [hit] = await hooks.waitFor(1, (h) => h.url.startsWith("/mo?x=1&") && h.url.includes(s.sid));
      const q = Object.fromEntries(new URL(hooks.url + (hit as { url: string }).url).searchParams);
      expect(q).toMatchObject({ SimSid: s.sid, SimUniqueName: s.name, Command: "DC1 ok pong", Status: "received", ApiVersion: "v1", AccountSid: cloud.accountSid, CommandMode: "text" });
      expect(validateSignature(cloud.authToken, (hit as { headers: Record<string, string> }).headers["x-twilio-signature"], hooks.url + (hit as { url: string }).url)).toBe(true);
      const list = await client.wireless.v1.commands.list({ sim: s.name, direction: "from_sim" });
      expectValid(cmdList, last());
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ sid: q.CommandSid, status: "received", direction: "from_sim", command: "DC1 ok pong" });
    } finally {
      modem.close();
    }
  });

  test("a ready SIM becomes active after its 5th Command; list filters and paging; delete 204", async () => {
    const s = await newSim("ready");
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) {
      expect((await client.wireless.v1.sims(s.sid).fetch()).status).toBe("ready");
      sids.push((await client.wireless.v1.commands.create({ sim: s.sid, command: `c${i}` })).sid);
    }
    expect((await client.wireless.v1.sims(s.sid).fetch()).status).toBe("active");
    const page = await client.wireless.v1.commands.page({ sim: s.sid, pageSize: 2 });
    expectValid(cmdList, last());
    expect(page.instances.map((c) => c.sid)).toEqual([sids[4], sids[3]]);
    const all = await client.wireless.v1.commands.list({ sim: s.sid, pageSize: 2 });
    expect(all.map((c) => c.sid)).toEqual([...sids].reverse());
    expect(await client.wireless.v1.commands.list({ sim: s.sid, status: "delivered" })).toHaveLength(0);
    expect(await client.wireless.v1.commands.list({ sim: s.sid, transport: "ip" })).toHaveLength(0);
    await expect(client.wireless.v1.commands(sids[0] as string).remove()).resolves.toBe(true);
    await expect(client.wireless.v1.commands(sids[0] as string).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.wireless.v1.commands(sids[0] as string).remove()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("errors: unknown SIM 33107, SIM not ready/active 33104, too long with IncludeSid, bad base64, nothing half-written", async () => {
    const s = await newSim();
    const off = await newSim("suspended");
    await expect(client.wireless.v1.commands.create({ sim: "nope", command: "x" })).rejects.toMatchObject({ status: 404, code: 33107 });
    await expect(client.wireless.v1.commands.create({ sim: off.sid, command: "x" })).rejects.toMatchObject({ status: 400, code: 33104 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "a".repeat(129), includeSid: "end" })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "a".repeat(128), includeSid: "end" })).resolves.toMatchObject({ status: "queued" });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "a".repeat(161) })).rejects.toMatchObject({ status: 400 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "ж".repeat(71) })).rejects.toMatchObject({ status: 400 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "€".repeat(80) })).resolves.toMatchObject({ status: "queued" });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "€".repeat(81) })).rejects.toMatchObject({ status: 400 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "!!notbase64", commandMode: "binary" })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: Buffer.alloc(141).toString("base64"), commandMode: "binary" })).rejects.toMatchObject({ status: 400 });
    await expect(client.wireless.v1.commands.create({ sim: s.sid, command: "x", includeSid: "middle" })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.wireless.v1.commands("DCffffffffffffffffffffffffffffffff").fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    expect(await client.wireless.v1.commands.list({ sim: s.sid })).toHaveLength(2);
  });

  test("malformed form bodies and oversized bodies are Twilio-shaped 4xx", async () => {
    const auth = "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");
    const post = (body: string) =>
      fetch(`${cloud.url}/wireless/v1/Commands`, { method: "POST", headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" }, body });
    for (const [body, status] of [["Command=%zz&Sim=a", 400], ["Command=a&Command=b&Sim=x", 400], ["Command=" + "a".repeat(2_000_000), 413]] as const) {
      const r = await post(body);
      expect(r.status).toBe(status);
      expect(await r.json()).toMatchObject({ status, code: expect.any(Number), message: expect.any(String), more_info: expect.any(String) });
    }
    const bad = await fetch(`${cloud.url}/wireless/v1/Commands`, { method: "POST", headers: { authorization: "Basic " + Buffer.from(`${cloud.accountSid}:wrong`).toString("base64") }, body: "" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 20003, status: 401 });
  });
});
