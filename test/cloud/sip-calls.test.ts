/**
 * SIP Domains that behave like domains: CredentialLists and IpAccessControlLists through the official
 * client (shapes checked against twilio_api_v2010.json), mapped to a domain, then simulated calls
 * (`POST /_mock/sip/calls`) that the mappings block, refuse or let through to the domain's voice_url — a
 * real local HTTP server answering TwiML — with Twilio's signed voice-webhook parameters, the fallback URL,
 * and the status callback.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { validateSignature } from "../../host-tools/platform/signature.js";
import { expectValid, responseValidator, schemaValidator } from "../helpers/openapi.js";
import { admin, cloudAndClient, Hooks, type Client, type Hit } from "./harness.js";

const SPEC = "twilio_api_v2010.json";
const A = "/2010-04-01/Accounts/{AccountSid}/SIP";
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>hello</Say></Response>';
const PASSWORD = "IWasAtSignal2018";

let cloud: CloudHandle;
let client: Client;
let voice: Hooks;
beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  voice = await Hooks.open();
  voice.answers.set("/voice", { status: 200, body: TWIML, type: "text/xml" });
  voice.answers.set("/fallback", { status: 200, body: TWIML, type: "text/xml" });
  voice.answers.set("/broken", { status: 500, body: "oops" });
  voice.answers.set("/not-twiml", { status: 200, body: "<html>hi</html>", type: "text/html" });
});
afterAll(async () => {
  await voice.close();
  await cloud.close();
});

function last(): Record<string, unknown> {
  const r = (client.httpClient as unknown as { lastResponse?: { body: unknown } }).lastResponse;
  return (typeof r?.body === "string" ? JSON.parse(r.body) : r?.body) as Record<string, unknown>;
}

/** 2010 envelope links are relative to https://api.twilio.com; the schema wants absolute URIs. */
function envelope(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const k of ["first_page_uri", "next_page_uri", "previous_page_uri", "uri"])
    if (typeof out[k] === "string") out[k] = "https://api.twilio.com" + (out[k] as string);
  return out;
}

const form = (h: Hit): Record<string, string> =>
  h.method === "GET" ? Object.fromEntries(new URL(h.url, voice.url).searchParams) : Object.fromEntries(new URLSearchParams(h.body));
const signed = (h: Hit): boolean =>
  validateSignature(cloud.authToken, h.headers["x-twilio-signature"] as string, voice.url + h.url, h.method === "POST" ? form(h) : {});

let n = 0;
async function domain(opts: Record<string, unknown> = {}) {
  return client.sip.domains.create({ domainName: `call-${++n}.sip.twilio.com`, voiceUrl: `${voice.url}/voice`, ...opts });
}

async function call(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  return admin(cloud, "/_mock/sip/calls", body);
}

/** A call accepted by the mappings, awaited until its voice webhooks are done. */
async function completedCall(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await call(body);
  expect(r).toMatchObject({ status: 201, json: { status: "ringing", sip_response_code: null } });
  const sid = r.json.sid as string;
  await cloud.events.waitFor((e) => (e.type === "sip_call.completed" || e.type === "sip_call.failed") && e.call_sid === sid, 10_000, true);
  return (await admin(cloud, `/_mock/sip/calls/${sid}`)).json;
}

describe("CredentialLists and IpAccessControlLists", () => {
  test("credential lists and credentials: CRUD, spec shapes, password rules 21240, never a password in an answer", async () => {
    const cl = await client.sip.credentialLists.create({ friendlyName: "office phones" });
    expectValid(schemaValidator(SPEC, "api.v2010.account.sip.sip_credential_list"), last());
    expect(cl.sid).toMatch(/^CL[0-9a-f]{32}$/);
    expect(cl.subresourceUris).toEqual({ credentials: `/2010-04-01/Accounts/${cloud.accountSid}/SIP/CredentialLists/${cl.sid}/Credentials.json` });
    await expect(client.sip.credentialLists.create({ friendlyName: "office phones" })).rejects.toMatchObject({ status: 400, code: 21240 });
    const cr = await client.sip.credentialLists(cl.sid).credentials.create({ username: "alice", password: PASSWORD });
    const raw = last();
    expectValid(schemaValidator(SPEC, "api.v2010.account.sip.sip_credential_list.sip_credential"), raw);
    expect(raw).toMatchObject({ username: "alice", credential_list_sid: cl.sid });
    expect(JSON.stringify(raw)).not.toContain(PASSWORD);
    for (const [username, password] of [["bob", "short1A"], ["bob", "alllowercase123"], ["bob", "ALLUPPERCASE123"], ["bob", "NoDigitsAtAllHere"], ["b".repeat(33), PASSWORD], ["alice", PASSWORD]] as const)
      await expect(client.sip.credentialLists(cl.sid).credentials.create({ username, password })).rejects.toMatchObject({ status: 400, code: 21240 });
    await client.sip.credentialLists(cl.sid).credentials.list();
    expectValid(responseValidator(SPEC, `${A}/CredentialLists/{CredentialListSid}/Credentials.json`, "get"), envelope(last()));
    expect((await client.sip.credentialLists(cl.sid).credentials.list()).map((c) => c.username)).toEqual(["alice"]);
    await client.sip.credentialLists(cl.sid).credentials(cr.sid).update({ password: "AnotherGood1Pass" });
    await expect(client.sip.credentialLists(cl.sid).credentials(cr.sid).update({ password: "weak" })).rejects.toMatchObject({ status: 400, code: 21240 });
    expect((await client.sip.credentialLists(cl.sid).update({ friendlyName: "desk phones" })).friendlyName).toBe("desk phones");
    await client.sip.credentialLists.list();
    expectValid(responseValidator(SPEC, `${A}/CredentialLists.json`, "get"), envelope(last()));
    await expect(client.sip.credentialLists(cl.sid).credentials(cr.sid).remove()).resolves.toBe(true);
    await expect(client.sip.credentialLists(cl.sid).credentials(cr.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.sip.credentialLists(cl.sid).remove()).resolves.toBe(true);
    await expect(client.sip.credentialLists(cl.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });

  test("IP access control lists and addresses: CRUD, spec shapes, CIDR prefix defaults to 32, IPv4 only", async () => {
    const al = await client.sip.ipAccessControlLists.create({ friendlyName: "office" });
    expectValid(schemaValidator(SPEC, "api.v2010.account.sip.sip_ip_access_control_list"), last());
    const ip = await client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "router", ipAddress: "192.0.2.10" });
    expectValid(schemaValidator(SPEC, "api.v2010.account.sip.sip_ip_access_control_list.sip_ip_address"), last());
    expect(ip).toMatchObject({ ipAddress: "192.0.2.10", cidrPrefixLength: 32, ipAccessControlListSid: al.sid });
    expect(ip.sid).toMatch(/^IP[0-9a-f]{32}$/);
    for (const ipAddress of ["2001:db8::1", "192.0.2", "300.1.1.1", "example.com"])
      await expect(client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "x", ipAddress })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "x", ipAddress: "192.0.2.1", cidrPrefixLength: 33 })).rejects.toMatchObject({ status: 400 });
    const u = await client.sip.ipAccessControlLists(al.sid).ipAddresses(ip.sid).update({ cidrPrefixLength: 24 });
    expect(u).toMatchObject({ ipAddress: "192.0.2.10", cidrPrefixLength: 24, friendlyName: "router" });
    await client.sip.ipAccessControlLists(al.sid).ipAddresses.list();
    expectValid(responseValidator(SPEC, `${A}/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses.json`, "get"), envelope(last()));
    await client.sip.ipAccessControlLists.list();
    expectValid(responseValidator(SPEC, `${A}/IpAccessControlLists.json`, "get"), envelope(last()));
    await expect(client.sip.ipAccessControlLists(al.sid).remove()).resolves.toBe(true);
    await expect(client.sip.ipAccessControlLists(al.sid).ipAddresses(ip.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });

  test("a domain maps only lists that exist; the mapping shows the list's name; deleting the list unmaps it", async () => {
    const d = await domain();
    await expect(client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: "CL" + "1".repeat(32) })).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.sip.domains(d.sid).auth.calls.ipAccessControlListMappings.create({ ipAccessControlListSid: "AL" + "2".repeat(32) })).rejects.toMatchObject({ status: 404 });
    const cl = await client.sip.credentialLists.create({ friendlyName: "mapped list" });
    expect((await client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: cl.sid })).friendlyName).toBe("mapped list");
    expect((await client.sip.domains(d.sid).fetch()).authType).toBe("CREDENTIAL_LIST");
    await client.sip.credentialLists(cl.sid).remove();
    expect((await client.sip.domains(d.sid).fetch()).authType).toBeNull();
    expect(await client.sip.domains(d.sid).credentialListMappings.list()).toHaveLength(0);
  });
});

describe("simulated calls", () => {
  test("no mapping: the call is blocked and the voice URL never hears of it", async () => {
    const d = await domain();
    const r = await call({ domain: d.domainName, from: "sip:alice@198.51.100.7", to: "sip:bob@" + d.domainName, username: "alice", password: PASSWORD });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ status: "blocked", sip_response_code: 403, domain_sid: d.sid });
    expect(voice.hits.filter((h) => h.body.includes(r.json.sid as string) || h.url.includes(r.json.sid as string))).toHaveLength(0);
  });

  test("credential list: wrong password or unknown user refused (32106); the right one reaches voice_url with signed parameters and the status callback", async () => {
    const d = await domain({ voiceStatusCallbackUrl: `${voice.url}/status` });
    const cl = await client.sip.credentialLists.create({ friendlyName: `phones-${d.sid}` });
    await client.sip.credentialLists(cl.sid).credentials.create({ username: "alice", password: PASSWORD });
    await client.sip.domains(d.sid).auth.calls.credentialListMappings.create({ credentialListSid: cl.sid });
    for (const who of [{ username: "alice", password: "WrongPassword1" }, { username: "mallory", password: PASSWORD }, {}])
      expect((await call({ domain: d.domainName, from: "alice", to: "bob", ...who })).json).toMatchObject({ status: "refused", sip_response_code: 403, error_code: 32106 });
    const c = await completedCall({ domain: d.domainName.toUpperCase(), from: "alice", to: "bob", username: "alice", password: PASSWORD, source_ip: "198.51.100.7" });
    expect(c).toMatchObject({ status: "completed", answered_by: "voice_url", from: "sip:alice@198.51.100.7", to: `sip:bob@${d.domainName}` });
    const [hit] = voice.hits.filter((h) => h.url === "/voice" && form(h).CallSid === c.sid);
    expect(hit?.method).toBe("POST");
    expect(signed(hit as Hit)).toBe(true);
    expect(form(hit as Hit)).toEqual({
      AccountSid: cloud.accountSid, ApiVersion: "2010-04-01", CallSid: c.sid, CallStatus: "ringing", Called: `sip:bob@${d.domainName}`,
      Caller: "sip:alice@198.51.100.7", Direction: "inbound", From: "sip:alice@198.51.100.7", To: `sip:bob@${d.domainName}`,
      SipCallId: c.sip_call_id, SipDomain: d.domainName, SipDomainSid: d.sid, SipSourceIp: "198.51.100.7", SipUsername: "alice",
    });
    const [status] = await voice.waitFor(1, (h) => h.url === "/status" && form(h).CallSid === c.sid);
    expect(signed(status as Hit)).toBe(true);
    expect(form(status as Hit)).toMatchObject({ CallStatus: "completed", CallDuration: "0", SipDomainSid: d.sid, Direction: "inbound" });
  });

  test("IP access control list: a source outside it is refused (32201), one inside its CIDR block gets through; GET voice method", async () => {
    const d = await domain({ voiceMethod: "GET" });
    const al = await client.sip.ipAccessControlLists.create({ friendlyName: "lan" });
    await client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "lan", ipAddress: "10.1.2.0", cidrPrefixLength: 24 });
    await client.sip.domains(d.sid).ipAccessControlListMappings.create({ ipAccessControlListSid: al.sid });
    expect((await call({ domain: d.domainName, from: "a", to: "b", source_ip: "10.1.3.1" })).json).toMatchObject({ status: "refused", error_code: 32201 });
    expect((await call({ domain: d.domainName, from: "a", to: "b" })).json).toMatchObject({ status: "refused", source_ip: "127.0.0.1" });
    const c = await completedCall({ domain: d.domainName, from: "a", to: "b", source_ip: "10.1.2.77" });
    const [hit] = voice.hits.filter((h) => h.url.startsWith("/voice?") && form(h).CallSid === c.sid);
    expect(hit?.method).toBe("GET");
    expect(signed(hit as Hit)).toBe(true);
    expect(form(hit as Hit)).toMatchObject({ SipSourceIp: "10.1.2.77", CallStatus: "ringing" });
    expect(form(hit as Hit).SipUsername).toBeUndefined();
    await client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "me", ipAddress: "127.0.0.1" });
    expect((await completedCall({ domain: d.domainName, from: "a", to: "b" })).status).toBe("completed");
  });

  test("both mapped: both must pass", async () => {
    const d = await domain();
    const al = await client.sip.ipAccessControlLists.create({ friendlyName: "both-acl" });
    await client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "host", ipAddress: "203.0.113.5" });
    const cl = await client.sip.credentialLists.create({ friendlyName: "both-cl" });
    await client.sip.credentialLists(cl.sid).credentials.create({ username: "carol", password: PASSWORD });
    await client.sip.domains(d.sid).ipAccessControlListMappings.create({ ipAccessControlListSid: al.sid });
    await client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: cl.sid });
    expect((await call({ domain: d.domainName, from: "c", to: "d", source_ip: "203.0.113.5" })).json).toMatchObject({ status: "refused", error_code: 32106 });
    expect((await call({ domain: d.domainName, from: "c", to: "d", source_ip: "203.0.113.6", username: "carol", password: PASSWORD })).json).toMatchObject({ status: "refused", error_code: 32201 });
    expect((await completedCall({ domain: d.domainName, from: "c", to: "d", source_ip: "203.0.113.5", username: "carol", password: PASSWORD })).status).toBe("completed");
  });

  test("voice_url failing (HTTP 500, not TwiML) → voice_fallback_url with ErrorCode/ErrorUrl; both failing → failed and a failed status callback", async () => {
    const al = await client.sip.ipAccessControlLists.create({ friendlyName: "fallbacks" });
    await client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "any", ipAddress: "0.0.0.0", cidrPrefixLength: 0 });
    const mk = async (voiceUrl: string, fallback: string | null) => {
      const d = await domain({ voiceUrl, ...(fallback ? { voiceFallbackUrl: fallback } : {}), voiceStatusCallbackUrl: `${voice.url}/status` });
      await client.sip.domains(d.sid).ipAccessControlListMappings.create({ ipAccessControlListSid: al.sid });
      return d;
    };
    for (const [path, code] of [["/broken", "11200"], ["/not-twiml", "12100"]] as const) {
      const d = await mk(`${voice.url}${path}`, `${voice.url}/fallback`);
      const c = await completedCall({ domain: d.domainName, from: "x", to: "y", source_ip: "192.0.2.1" });
      expect(c).toMatchObject({ status: "completed", answered_by: "voice_fallback_url" });
      const [fb] = voice.hits.filter((h) => h.url === "/fallback" && form(h).CallSid === c.sid);
      expect(signed(fb as Hit)).toBe(true);
      expect(form(fb as Hit)).toMatchObject({ ErrorCode: code, ErrorUrl: `${voice.url}${path}`, CallStatus: "ringing" });
    }
    const d = await mk(`${voice.url}/broken`, `${voice.url}/not-twiml`);
    const c = await completedCall({ domain: d.domainName, from: "x", to: "y", source_ip: "192.0.2.1" });
    expect(c).toMatchObject({ status: "failed", error_code: 12100, answered_by: null });
    const [st] = await voice.waitFor(1, (h) => h.url === "/status" && form(h).CallSid === c.sid);
    expect(form(st as Hit)).toMatchObject({ CallStatus: "failed", ErrorCode: "12100" });
    const unreachable = await mk("http://127.0.0.1:9/voice", null);
    expect(await completedCall({ domain: unreachable.domainName, from: "x", to: "y", source_ip: "192.0.2.1" })).toMatchObject({ status: "failed", error_code: 11200 });
  });

  test("bad requests: unknown domain 404, bad fields 400; calls are listed newest first", async () => {
    expect(await call({ domain: "nowhere.sip.twilio.com", from: "a", to: "b" })).toMatchObject({ status: 404, json: { code: 20404 } });
    const d = await domain();
    for (const body of [
      { domain: d.domainName, to: "b" },
      { domain: d.domainName, from: "a", to: "b", username: "alice" },
      { domain: d.domainName, from: "a", to: "b", source_ip: "::1" },
      { domain: d.domainName, from: "a b", to: "b" },
      { domain: d.domainName, from: "a", to: "b", extra: 1 },
      { domain: d.domainName, from: 5, to: "b" },
    ])
      expect(await call(body)).toMatchObject({ status: 400, json: { code: 20001 } });
    const one = await call({ domain: d.domainName, from: "a", to: "b" });
    const two = await call({ domain: d.domainName, from: "a", to: "c" });
    const listed = await admin(cloud, `/_mock/sip/calls?domain=${d.domainName}`);
    expect((listed.json.calls as { sid: string }[]).map((x) => x.sid)).toEqual([two.json.sid, one.json.sid]);
    expect((await admin(cloud, "/_mock/sip/calls/CA" + "0".repeat(32))).status).toBe(404);
  });
});
