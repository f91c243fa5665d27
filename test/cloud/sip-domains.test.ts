/** 2010 SIP Domains and their mappings through the official client, validated against twilio_api_v2010.json. */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { expectValid, responseValidator, schemaValidator } from "../helpers/openapi.js";
import { cloudAndClient, type Client } from "./harness.js";

const SPEC = "twilio_api_v2010.json";
const A = "/2010-04-01/Accounts/{AccountSid}/SIP/Domains";
const domainSchema = schemaValidator(SPEC, "api.v2010.account.sip.sip_domain");
const clSchema = schemaValidator(SPEC, "api.v2010.account.sip.sip_domain.sip_credential_list_mapping");
const alSchema = schemaValidator(SPEC, "api.v2010.account.sip.sip_domain.sip_ip_access_control_list_mapping");
const RFC2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

let cloud: CloudHandle;
let client: Client;
beforeAll(async () => ({ cloud, client } = await cloudAndClient()));
afterAll(() => cloud.close());

function last(): Record<string, unknown> {
  const r = (client.httpClient as unknown as { lastResponse?: { body: unknown } }).lastResponse;
  return (typeof r?.body === "string" ? JSON.parse(r.body) : r?.body) as Record<string, unknown>;
}

/**
 * 2010 list envelopes carry `*_uri` links relative to https://api.twilio.com (the spec's own examples and
 * twilio-node, which prefixes next_page_uri with its base URL, both need that), while the schema marks them
 * `format: uri`; they are checked as resolved against that origin.
 */
function envelope(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const k of ["first_page_uri", "next_page_uri", "previous_page_uri", "uri"])
    if (typeof out[k] === "string") out[k] = "https://api.twilio.com" + (out[k] as string);
  return out;
}

describe("SIP Domains", () => {
  test("create 201 / fetch / update / list (flat `domains` envelope, paging) / delete 204, RFC 2822 dates", async () => {
    const d = await client.sip.domains.create({ domainName: "scranton-1.sip.twilio.com", friendlyName: "Scranton", voiceUrl: "https://example.com/voice" });
    const raw = last();
    expectValid(domainSchema, raw);
    expect(raw.date_created).toMatch(RFC2822);
    expect(raw.uri).toBe(`/2010-04-01/Accounts/${cloud.accountSid}/SIP/Domains/${d.sid}.json`);
    expect(d.sid).toMatch(/^SD[0-9a-f]{32}$/);
    expect(d.authType).toBeNull();
    expect(d.voiceMethod).toBe("POST");
    expect(d.sipRegistration).toBe(false);
    const u = await client.sip.domains(d.sid).update({ friendlyName: "Scranton Office", secure: true, sipRegistration: true });
    expectValid(domainSchema, last());
    expect(u).toMatchObject({ friendlyName: "Scranton Office", secure: true, sipRegistration: true, domainName: "scranton-1.sip.twilio.com" });
    expect((await client.sip.domains(d.sid).fetch()).friendlyName).toBe("Scranton Office");
    for (let i = 2; i <= 4; i++) await client.sip.domains.create({ domainName: `scranton-${i}.sip.twilio.com` });
    const page = await client.sip.domains.page({ pageSize: 2 });
    const env = last();
    expectValid(responseValidator(SPEC, `${A}.json`, "get"), envelope(env));
    expect(env).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(env.next_page_uri).toEqual(expect.stringContaining(`/2010-04-01/Accounts/${cloud.accountSid}/SIP/Domains.json?`));
    expect(page.instances).toHaveLength(2);
    const all = await client.sip.domains.list({ pageSize: 2 });
    expect(all.map((x) => x.domainName).sort()).toEqual([1, 2, 3, 4].map((i) => `scranton-${i}.sip.twilio.com`));
    await expect(client.sip.domains(d.sid).remove()).resolves.toBe(true);
    await expect(client.sip.domains(d.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("validation: bad characters / suffix / taken name 21232, friendly name > 64 → 20002, missing DomainName, nothing written", async () => {
    await client.sip.domains.create({ domainName: "taken.sip.twilio.com" });
    const before = (await client.sip.domains.list()).length;
    for (const domainName of ["bad_name.sip.twilio.com", "no-suffix.example.com", "TAKEN.sip.twilio.com", "-lead.sip.twilio.com", "x.unowned.sip.twilio.com"])
      await expect(client.sip.domains.create({ domainName })).rejects.toMatchObject({ status: 400, code: 21232 });
    await expect(client.sip.domains.create({ domainName: "long.sip.twilio.com", friendlyName: "x".repeat(65) })).rejects.toMatchObject({ status: 400, code: 20002 });
    await expect(client.sip.domains.create({ domainName: "ok.sip.twilio.com", voiceMethod: "PUT" as never })).rejects.toMatchObject({ status: 400, code: 20001 });
    expect((await client.sip.domains.list()).length).toBe(before);
    const sub = await client.sip.domains.create({ domainName: "office.taken.sip.twilio.com" });
    expect(sub.domainName).toBe("office.taken.sip.twilio.com");
    await expect(client.sip.domains(sub.sid).update({ domainName: "taken.sip.twilio.com" })).rejects.toMatchObject({ status: 400, code: 21232 });
    await expect(client.sip.domains("SD" + "0".repeat(32)).update({ friendlyName: "x" })).rejects.toMatchObject({ status: 404, code: 20404 });
    const other = client.api.v2010.accounts("AC" + "f".repeat(32)).sip.domains;
    await expect(other.list()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("mappings: credential list + IP ACL set auth_type; Auth/Calls shows the same; neither → null (blocking)", async () => {
    const d = await client.sip.domains.create({ domainName: "mapped.sip.twilio.com" });
    expect(d.authType).toBeNull();
    const CL = (await client.sip.credentialLists.create({ friendlyName: "mapped" })).sid;
    const AL = (await client.sip.ipAccessControlLists.create({ friendlyName: "mapped" })).sid;
    const cl = await client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: CL });
    expectValid(clSchema, last());
    expect(cl).toMatchObject({ sid: CL, domainSid: d.sid, friendlyName: "mapped" });
    expect((await client.sip.domains(d.sid).fetch()).authType).toBe("CREDENTIAL_LIST");
    const al = await client.sip.domains(d.sid).ipAccessControlListMappings.create({ ipAccessControlListSid: AL });
    expectValid(alSchema, last());
    expect(al.sid).toBe(AL);
    expect((await client.sip.domains(d.sid).fetch()).authType).toBe("IP_ACL,CREDENTIAL_LIST");
    const list = await client.sip.domains(d.sid).credentialListMappings.list();
    expectValid(responseValidator(SPEC, `${A}/{DomainSid}/CredentialListMappings.json`, "get"), envelope(last()));
    expect(list.map((x) => x.sid)).toEqual([CL]);
    await client.sip.domains(d.sid).ipAccessControlListMappings.list();
    expectValid(responseValidator(SPEC, `${A}/{DomainSid}/IpAccessControlListMappings.json`, "get"), envelope(last()));
    expect((await client.sip.domains(d.sid).credentialListMappings(CL).fetch()).sid).toBe(CL);
    expectValid(clSchema, last());
    const calls = await client.sip.domains(d.sid).auth.calls.credentialListMappings.list();
    expectValid(responseValidator(SPEC, `${A}/{DomainSid}/Auth/Calls/CredentialListMappings.json`, "get"), envelope(last()));
    expect(calls.map((x) => x.sid)).toEqual([CL]);
    await expect(client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: CL })).rejects.toMatchObject({ status: 409 });
    await expect(client.sip.domains(d.sid).credentialListMappings.create({ credentialListSid: "nope" })).rejects.toMatchObject({ status: 400, code: 20001 });
    await client.sip.domains(d.sid).auth.registrations.credentialListMappings.create({ credentialListSid: CL });
    await expect(client.sip.domains(d.sid).credentialListMappings(CL).remove()).resolves.toBe(true);
    await expect(client.sip.domains(d.sid).ipAccessControlListMappings(AL).remove()).resolves.toBe(true);
    await expect(client.sip.domains(d.sid).ipAccessControlListMappings(AL).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    expect((await client.sip.domains(d.sid).fetch()).authType).toBeNull();
  });
});
