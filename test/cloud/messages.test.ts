/** 2010 Messages: send, status callbacks, trial-account rules, inbound SMS webhooks. */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { validateSignature } from "../../host-tools/platform/signature.js";
import { expectValid, responseValidator, schemaValidator } from "../helpers/openapi.js";
import { admin, cloudAndClient, Hooks, type Client } from "./harness.js";

const SPEC = "twilio_api_v2010.json";
const msgSchema = schemaValidator(SPEC, "api.v2010.account.message");

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

function last(): Record<string, unknown> {
  const r = (client.httpClient as unknown as { lastResponse?: { body: unknown } }).lastResponse;
  return (typeof r?.body === "string" ? JSON.parse(r.body) : r?.body) as Record<string, unknown>;
}
/** `*_uri` links are relative to https://api.twilio.com (see sip-domains.test.ts). */
function envelope(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const k of ["first_page_uri", "next_page_uri", "previous_page_uri", "uri"]) if (typeof out[k] === "string") out[k] = "https://api.twilio.com" + (out[k] as string);
  return out;
}
const form = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));

describe("Messages", () => {
  test("send 201 queued → sent → delivered with signed status callbacks in order; fetch, list filters, redact, delete", async () => {
    const m = await client.messages.create({ to: "+15551230001", from: "+15557650000", body: "hello device", statusCallback: hooks.url + "/status" });
    expectValid(msgSchema, last());
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m).toMatchObject({ status: "queued", direction: "outbound-api", body: "hello device", numSegments: "1", to: "+15551230001" });
    const hits = await hooks.waitFor(2, (h) => h.url === "/status" && h.body.includes(m.sid));
    expect(hits.map((h) => form(h.body).MessageStatus)).toEqual(["sent", "delivered"]);
    expect(form(hits[1]?.body ?? "")).toMatchObject({ MessageSid: m.sid, SmsSid: m.sid, SmsStatus: "delivered", AccountSid: cloud.accountSid, From: "+15557650000", To: "+15551230001", ApiVersion: "2010-04-01" });
    for (const h of hits) expect(validateSignature(cloud.authToken, h.headers["x-twilio-signature"] as string, hooks.url + h.url, form(h.body))).toBe(true);
    const f = await client.messages(m.sid).fetch();
    expectValid(msgSchema, last());
    expect(f.status).toBe("delivered");
    expect(f.dateSent).toBeInstanceOf(Date);
    const list = await client.messages.list({ to: "+15551230001" });
    expectValid(responseValidator(SPEC, "/2010-04-01/Accounts/{AccountSid}/Messages.json", "get"), envelope(last()));
    expect(list.map((x) => x.sid)).toEqual([m.sid]);
    expect(await client.messages.list({ from: "+15550000000" })).toHaveLength(0);
    const today = new Date();
    expect((await client.messages.list({ dateSent: today })).map((x) => x.sid)).toContain(m.sid);
    const red = await client.messages(m.sid).update({ body: "" });
    expect(red.body).toBe("");
    await expect(client.messages(m.sid).remove()).resolves.toBe(true);
    await expect(client.messages(m.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("an unreachable number ends undelivered (30003) with its callback", async () => {
    await admin(cloud, "/_mock/messaging/account", { unreachable_numbers: ["+15551239999"] });
    const m = await client.messages.create({ to: "+15551239999", from: "+15557650000", body: "x", statusCallback: hooks.url + "/status" });
    const hits = await hooks.waitFor(2, (h) => h.body.includes(m.sid));
    expect(form(hits[1]?.body ?? "")).toMatchObject({ MessageStatus: "undelivered", ErrorCode: "30003" });
    expect((await client.messages(m.sid).fetch()).errorCode).toBe(30003);
  });

  test("validation codes: 21604, 21603, 21602, 21211, 21212, 21617, 21266; nothing written", async () => {
    const before = (await client.messages.list()).length;
    const cases: [Record<string, string>, number][] = [
      [{ to: "", from: "+15557650000", body: "x" }, 21604],
      [{ to: "+15551230001", body: "x" }, 21603],
      [{ to: "+15551230001", from: "+15557650000" }, 21602],
      [{ to: "12345", from: "+15557650000", body: "x" }, 21211],
      [{ to: "+15551230001", from: "not a number!", body: "x" }, 21212],
      [{ to: "+15551230001", from: "+15557650000", body: "x".repeat(1601) }, 21617],
      [{ to: "+15551230001", from: "+15551230001", body: "x" }, 21266],
    ];
    for (const [params, code] of cases) await expect(client.messages.create(params as never)).rejects.toMatchObject({ status: 400, code });
    await expect(client.messages.create({ to: "+15551230001", from: "+15557650000", body: "x", bogus: 1 } as never)).resolves.toBeDefined();
    expect((await client.messages.list()).length).toBe(before + 1);
  });

  test("trial account: unverified To → 21608; verified → body prefixed with the trial notice", async () => {
    const r = await admin(cloud, "/_mock/messaging/account", { trial: true, verified_numbers: ["+15550001111"] });
    expect(r.status).toBe(200);
    try {
      await expect(client.messages.create({ to: "+15550002222", from: "+15557650000", body: "hi" })).rejects.toMatchObject({ status: 400, code: 21608 });
      const m = await client.messages.create({ to: "+15550001111", from: "+15557650000", body: "hi" });
      expect(m.body).toBe("Sent from a Twilio trial account - hi");
    } finally {
      await admin(cloud, "/_mock/messaging/account", { trial: false });
    }
  });

  test("inbound SMS → inbound Message and a signed webhook to the number's sms_url; bad admin input is 4xx", async () => {
    expect((await admin(cloud, "/_mock/messaging/numbers", { phone_number: "+15557650000", sms_url: hooks.url + "/inbound" })).status).toBe(201);
    const r = await admin(cloud, "/_mock/messaging/inbound", { from: "+15551230001", to: "+15557650000", body: "42 ok pong" });
    expect(r.status).toBe(201);
    expectValid(msgSchema, r.json);
    expect(r.json).toMatchObject({ direction: "inbound", status: "received", body: "42 ok pong" });
    const [hit] = await hooks.waitFor(1, (h) => h.url === "/inbound");
    const p = form(hit?.body ?? "");
    expect(p).toMatchObject({ MessageSid: r.json.sid, From: "+15551230001", To: "+15557650000", Body: "42 ok pong", SmsStatus: "received", AccountSid: cloud.accountSid, NumMedia: "0" });
    expect(validateSignature(cloud.authToken, hit?.headers["x-twilio-signature"] as string, hooks.url + "/inbound", p)).toBe(true);
    expect((await client.messages(r.json.sid as string).fetch()).direction).toBe("inbound");
    expect((await admin(cloud, "/_mock/messaging/inbound", { from: "+15551230001", to: "+19999999999", body: "x" })).status).toBe(404);
    expect((await admin(cloud, "/_mock/messaging/inbound", { from: 5, to: "+15557650000" })).status).toBe(400);
    expect((await admin(cloud, "/_mock/messaging/account", { trial: "yes" })).status).toBe(400);
  });
});
