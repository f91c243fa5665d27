/**
 * Bad input sweep: every create/update route of Super SIM, Wireless, API 2010 and the
 * Huawei product gets malformed form bodies, wrong types, unknown parameters, unknown SIDs, the wrong
 * account, an oversized body (> 1 MiB), bytes that are not UTF-8 and wrong content types. Every answer must
 * be a 4xx in the product's error shape (Twilio `{code, message, more_info, status}`, Huawei
 * `{error_code, error_desc}`), never a 500, and nothing may be written: the list count (creates) or the
 * fetched record (updates) is the same afterwards. A valid request at the end proves the base body was good.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { activeSim, admin, cloudAndClient, iccid, type Client } from "./harness.js";

let cloud: CloudHandle;
let client: Client;
beforeAll(async () => ({ cloud, client } = await cloudAndClient()));
afterAll(() => cloud.close());

const OTHER_AC = "AC" + "1".repeat(32);
const MIB = 1024 * 1024;
const basic = (u: string, p: string): string => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");
const goodAuth = (): string => basic(cloud.accountSid, cloud.authToken);
const zeros = (prefix: string): string => prefix + "0".repeat(32);

type Value = string | Buffer;
/** A form body; string values are percent-encoded, Buffer values go in raw (for invalid bytes and escapes). */
function form(params: Record<string, Value>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (parts.length > 0) parts.push(Buffer.from("&"));
    parts.push(Buffer.from(encodeURIComponent(k) + "="));
    parts.push(typeof v === "string" ? Buffer.from(encodeURIComponent(v)) : v);
  }
  return Buffer.concat(parts);
}

interface Res {
  status: number;
  body: unknown;
  text: string;
}
async function call(method: string, path: string, body: Buffer | string | undefined, headers: Record<string, string>): Promise<Res> {
  const res = await fetch(cloud.url + path, { method, headers, body: Buffer.isBuffer(body) ? new Uint8Array(body) : body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* checked by the shape assertion */
  }
  return { status: res.status, body: parsed, text };
}

function expectTwilioError(r: Res, what: string): void {
  const ctx = `${what} → ${r.status} ${r.text.slice(0, 200)}`;
  expect([ctx, r.status >= 400 && r.status < 500]).toEqual([ctx, true]);
  const b = r.body as Record<string, unknown> | null;
  expect([ctx, b !== null && typeof b === "object"]).toEqual([ctx, true]);
  expect([ctx, b]).toEqual([
    ctx,
    expect.objectContaining({ code: expect.any(Number), message: expect.any(String), status: r.status, more_info: expect.stringMatching(/^https:\/\/www\.twilio\.com\/docs\/errors\/\d+$/) }),
  ]);
}

function expectHuaweiError(r: Res, what: string): void {
  const ctx = `${what} → ${r.status} ${r.text.slice(0, 200)}`;
  expect([ctx, r.status >= 400 && r.status < 500]).toEqual([ctx, true]);
  expect([ctx, r.body]).toEqual([ctx, { error_code: expect.stringMatching(/^\d+$/), error_desc: expect.any(String) }]);
}

interface FormTarget {
  name: string;
  path: () => string;
  /** A body the route accepts. */
  valid: () => Record<string, string>;
  /** A plain string parameter of `valid` (its value is replaced by raw non-UTF-8 bytes). */
  text: string;
  /** Parameters of the wrong type or out of range (each merged into `valid`). */
  wrong: Record<string, string>[];
  /** Unknown SIDs / names: parameter overrides, and paths of records that do not exist. */
  unknownSid: () => { params?: Record<string, string>; path?: string }[];
  /** What must not change: the list count for creates, the record for updates. */
  snapshot: () => Promise<unknown>;
  /** Whether a create (the count grows by one on the final valid request). */
  create: boolean;
  /** Path with another account (2010 resources carry the AC in the path). */
  otherAccountPath?: () => string;
  /** Skip the final valid request (when the record's state makes it legitimately fail later). */
  skipValid?: boolean;
}

async function listCount(path: string, key: string): Promise<number> {
  const r = await call("GET", `${path}${path.includes("?") ? "&" : "?"}PageSize=1000`, undefined, { authorization: goodAuth() });
  expect(r.status).toBe(200);
  return ((r.body as Record<string, unknown[]>)[key] ?? []).length;
}
async function record(path: string): Promise<unknown> {
  const r = await call("GET", path, undefined, { authorization: goodAuth() });
  expect(r.status).toBe(200);
  return r.body;
}

/** Every bad request for a form target: [description, method, path, body, headers]. */
function badRequests(t: FormTarget): [string, string, Buffer | string | undefined, Record<string, string>][] {
  const formCt = { "content-type": "application/x-www-form-urlencoded" };
  const h = (): Record<string, string> => ({ authorization: goodAuth(), ...formCt });
  const v = t.valid();
  const raw = (s: string): Buffer => Buffer.from(s);
  const out: [string, string, Buffer | string | undefined, Record<string, string>][] = [];
  const add = (what: string, body: Buffer | string | undefined, headers = h(), path = t.path()): void => void out.push([what, path, body, headers]);
  // malformed form bodies
  add("bad percent escape in a value", form({ ...v, [t.text]: raw("%zz") }));
  add("truncated percent escape", form({ ...v, [t.text]: raw("abc%E0%A4%A") }));
  add("bad percent escape in a name", Buffer.concat([form(v), raw("&%zz=1")]));
  add("a parameter without a name", Buffer.concat([form(v), raw("&=1")]));
  add("percent-encoded bytes that are not UTF-8", form({ ...v, [t.text]: raw("%FF%FE") }));
  add("percent-encoded lone surrogate", form({ ...v, [t.text]: raw("%ED%A0%80") }));
  // non-UTF-8 bytes on the wire
  add("raw bytes 0xFF 0xFE (not UTF-8)", form({ ...v, [t.text]: Buffer.from([0x61, 0xff, 0xfe]) }));
  add("raw overlong UTF-8", form({ ...v, [t.text]: Buffer.from([0xc0, 0xaf]) }));
  add("raw Latin-1 é", form({ ...v, [t.text]: Buffer.from([0x63, 0x61, 0x66, 0xe9]) }));
  // wrong types
  for (const w of t.wrong) add(`wrong type ${JSON.stringify(w).slice(0, 80)}`, form({ ...v, ...w }));
  add("JSON body with a number where a string goes", JSON.stringify({ ...v, [t.text]: 5 }), { authorization: goodAuth(), "content-type": "application/json" });
  add("JSON body with an object value", JSON.stringify({ ...v, [t.text]: { a: 1 } }), { authorization: goodAuth(), "content-type": "application/json" });
  add("JSON array body", JSON.stringify([v]), { authorization: goodAuth(), "content-type": "application/json" });
  add("malformed JSON body", "{", { authorization: goodAuth(), "content-type": "application/json" });
  // unknown and repeated parameters
  for (const k of ["Bogus", "constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) add(`unknown parameter ${k}`, Buffer.concat([form(v), raw(`&${k}=1`)]));
  add("lower-case parameter name", Buffer.concat([form(v), raw(`&${t.text.toLowerCase()}=x`)]));
  const first = Object.keys(v)[0] as string;
  add(`repeated ${first}`, Buffer.concat([form(v), raw("&"), form({ [first]: v[first] as string })]));
  // unknown SIDs
  for (const u of t.unknownSid()) add(`unknown SID ${JSON.stringify(u)}`, form({ ...v, ...(u.params ?? {}) }), h(), u.path ?? t.path());
  // wrong account and bad credentials
  add("another account's credentials", form(v), { authorization: basic(OTHER_AC, cloud.authToken), ...formCt });
  add("wrong token", form(v), { authorization: basic(cloud.accountSid, "x" + cloud.authToken), ...formCt });
  add("no credentials", form(v), { ...formCt });
  add("malformed Authorization", form(v), { authorization: "Basic !!!", ...formCt });
  if (t.otherAccountPath) add("another account in the path", form(v), h(), t.otherAccountPath());
  // oversized and wrong content types
  add("body over 1 MiB", Buffer.concat([form(v), raw("&Filler="), Buffer.alloc(MIB + 16, 0x61)]));
  add("text/plain body", form(v), { authorization: goodAuth(), "content-type": "text/plain" });
  add("application/xml body", "<x/>", { authorization: goodAuth(), "content-type": "application/xml" });
  add("no content type", form(v), { authorization: goodAuth() });
  if (t.create) add("empty body", "", h());
  return out.map(([what, path, body, headers]) => [what, path, body, headers]);
}

const SS = "/supersim/v1";
const WL = "/wireless/v1";
const API = (ac?: string) => `/api/2010-04-01/Accounts/${ac ?? cloud.accountSid}`;

let ssSim = "";
let ssFleet = "";
let wlSim = "";
let domain = "";
let credentialList = "";
let ipAcl = "";
let ipAddress = "";
let message = "";

beforeAll(async () => {
  const { sim, fleet } = await activeSim(client, {}, "sweep-sim");
  ssSim = sim.sid;
  ssFleet = fleet.sid;
  const w = await admin(cloud, "/_mock/wireless/sims", { unique_name: "sweep-wl", iccid: iccid(), status: "active" });
  expect(w.status).toBe(201);
  wlSim = w.json.sid as string;
  domain = (await client.sip.domains.create({ domainName: "sweep.sip.twilio.com" })).sid;
  credentialList = (await client.sip.credentialLists.create({ friendlyName: "sweep" })).sid;
  ipAcl = (await client.sip.ipAccessControlLists.create({ friendlyName: "sweep" })).sid;
  ipAddress = (await client.sip.ipAccessControlLists(ipAcl).ipAddresses.create({ friendlyName: "sweep", ipAddress: "192.0.2.9" })).sid;
  message = (await client.messages.create({ to: "+15551230001", from: "+15557650000", body: "hello" })).sid;
});

const targets: FormTarget[] = [
  {
    name: "Super SIM: POST /Sims (register)",
    path: () => `${SS}/Sims`,
    valid: () => ({ Iccid: iccid(), RegistrationCode: "123456" }),
    text: "RegistrationCode",
    wrong: [{ Iccid: "not-an-iccid" }, { Iccid: "1234" }],
    unknownSid: () => [],
    snapshot: () => listCount(`${SS}/Sims`, "sims"),
    create: true,
  },
  {
    name: "Super SIM: POST /Sims/{Sid} (update)",
    path: () => `${SS}/Sims/${ssSim}`,
    valid: () => ({ UniqueName: "sweep-sim-renamed" }),
    text: "UniqueName",
    wrong: [{ Status: "bogus" }, { Status: "new" }, { CallbackUrl: "not a url" }, { CallbackMethod: "PUT" }, { UniqueName: "x".repeat(65) }, { AccountSid: OTHER_AC }],
    unknownSid: () => [{ params: { Fleet: zeros("HF") } }, { params: { Fleet: "no-such-fleet" } }, { path: `${SS}/Sims/${zeros("HS")}` }, { path: `${SS}/Sims/no-such-sim` }],
    snapshot: () => record(`${SS}/Sims/${ssSim}`),
    create: false,
  },
  {
    name: "Super SIM: POST /Fleets",
    path: () => `${SS}/Fleets`,
    valid: () => ({ NetworkAccessProfile: "sweep-nap", DataLimit: "100" }),
    text: "NetworkAccessProfile",
    wrong: [{ DataEnabled: "maybe" }, { DataLimit: "lots" }, { DataLimit: "0" }, { DataLimit: "1e3" }, { IpCommandsUrl: "ftp://example.com" }, { IpCommandsMethod: "PUT" }, { SmsCommandsEnabled: "1" }],
    unknownSid: () => [],
    snapshot: () => listCount(`${SS}/Fleets`, "fleets"),
    create: true,
  },
  {
    name: "Super SIM: POST /Fleets/{Sid} (update)",
    path: () => `${SS}/Fleets/${ssFleet}`,
    valid: () => ({ UniqueName: "sweep-fleet", DataLimit: "200" }),
    text: "UniqueName",
    wrong: [{ DataLimit: "-1" }, { DataLimit: "2000001" }, { IpCommandsUrl: "not a url" }, { SmsCommandsMethod: "PATCH" }, { UniqueName: zeros("HF") }],
    unknownSid: () => [{ path: `${SS}/Fleets/${zeros("HF")}` }, { path: `${SS}/Fleets/nope` }],
    snapshot: () => record(`${SS}/Fleets/${ssFleet}`),
    create: false,
  },
  {
    name: "Super SIM: POST /IpCommands",
    path: () => `${SS}/IpCommands`,
    valid: () => ({ Sim: ssSim, Payload: "hello", DevicePort: "6969" }),
    text: "Payload",
    wrong: [
      { DevicePort: "abc" }, { DevicePort: "70000" }, { DevicePort: "1.5" }, { DevicePort: "-1" }, { PayloadType: "hex" },
      { PayloadType: "binary", Payload: "@@@" }, { CallbackUrl: "x" }, { CallbackMethod: "PUT" }, { Payload: "a".repeat(1301) },
    ],
    unknownSid: () => [{ params: { Sim: zeros("HS") } }, { params: { Sim: "no-such-sim" } }],
    snapshot: () => listCount(`${SS}/IpCommands`, "ip_commands"),
    create: true,
  },
  {
    name: "Super SIM: POST /SmsCommands",
    path: () => `${SS}/SmsCommands`,
    valid: () => ({ Sim: ssSim, Payload: "hello" }),
    text: "Payload",
    wrong: [{ Payload: "a".repeat(161) }, { Payload: "ж".repeat(71) }, { CallbackMethod: "DELETE" }, { CallbackUrl: "mailto:x@example.com" }],
    unknownSid: () => [{ params: { Sim: zeros("HS") } }, { params: { Sim: "no-such-sim" } }],
    snapshot: () => listCount(`${SS}/SmsCommands`, "sms_commands"),
    create: true,
  },
  {
    name: "Wireless: POST /Commands",
    path: () => `${WL}/Commands`,
    valid: () => ({ Sim: "sweep-wl", Command: "ping" }),
    text: "Command",
    wrong: [
      { CommandMode: "voice" }, { IncludeSid: "middle" }, { DeliveryReceiptRequested: "yes" }, { CommandMode: "binary", Command: "!!" },
      { CommandMode: "binary", IncludeSid: "start", Command: "aGk=" }, { Command: "a".repeat(161) }, { CallbackUrl: "x" },
    ],
    unknownSid: () => [{ params: { Sim: zeros("DE") } }, { params: { Sim: "no-such-sim" } }],
    snapshot: () => listCount(`${WL}/Commands`, "commands"),
    create: true,
  },
  {
    name: "Wireless: POST /Sims/{Sid} (update)",
    path: () => `${WL}/Sims/${wlSim}`,
    valid: () => ({ FriendlyName: "sweep" }),
    text: "FriendlyName",
    wrong: [{ Status: "bogus" }, { CommandsCallbackUrl: "x" }, { CommandsCallbackMethod: "PUT" }, { FriendlyName: "x".repeat(65) }, { AccountSid: OTHER_AC }],
    unknownSid: () => [{ params: { RatePlan: "nope" } }, { path: `${WL}/Sims/${zeros("DE")}` }, { path: `${WL}/Sims/no-such-sim` }],
    snapshot: () => record(`${WL}/Sims/${wlSim}`),
    create: false,
  },
  {
    name: "2010: POST SIP/Domains.json",
    path: () => `${API()}/SIP/Domains.json`,
    valid: () => ({ DomainName: "sweep-new.sip.twilio.com", FriendlyName: "sweep" }),
    text: "FriendlyName",
    wrong: [
      { SipRegistration: "maybe" }, { VoiceUrl: "x" }, { VoiceMethod: "PUT" }, { DomainName: "bad_name.sip.twilio.com" }, { DomainName: "example.com" },
      { DomainName: "sweep.sip.twilio.com" }, { FriendlyName: "x".repeat(65) }, { ByocTrunkSid: "nope" },
    ],
    unknownSid: () => [],
    snapshot: () => listCount(`${API()}/SIP/Domains.json`, "domains"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/Domains.json`,
  },
  {
    name: "2010: POST SIP/Domains/{Sid}.json (update)",
    path: () => `${API()}/SIP/Domains/${domain}.json`,
    valid: () => ({ FriendlyName: "renamed" }),
    text: "FriendlyName",
    wrong: [{ Secure: "sometimes" }, { VoiceFallbackUrl: "x" }, { DomainName: "-bad-.sip.twilio.com" }],
    unknownSid: () => [{ path: `${API()}/SIP/Domains/${zeros("SD")}.json` }, { path: `${API()}/SIP/Domains/nope.json` }],
    snapshot: () => record(`${API()}/SIP/Domains/${domain}.json`),
    create: false,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/Domains/${domain}.json`,
  },
  {
    name: "2010: POST SIP/Domains/{Sid}/CredentialListMappings.json",
    path: () => `${API()}/SIP/Domains/${domain}/CredentialListMappings.json`,
    valid: () => ({ CredentialListSid: credentialList }),
    text: "CredentialListSid",
    wrong: [{ CredentialListSid: "nope" }, { CredentialListSid: zeros("AL") }],
    unknownSid: () => [{ path: `${API()}/SIP/Domains/${zeros("SD")}/CredentialListMappings.json` }, { params: { CredentialListSid: zeros("CL") } }],
    snapshot: () => listCount(`${API()}/SIP/Domains/${domain}/CredentialListMappings.json`, "credential_list_mappings"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/Domains/${domain}/CredentialListMappings.json`,
  },
  {
    name: "2010: POST SIP/Domains/{Sid}/Auth/Calls/IpAccessControlListMappings.json",
    path: () => `${API()}/SIP/Domains/${domain}/Auth/Calls/IpAccessControlListMappings.json`,
    valid: () => ({ IpAccessControlListSid: ipAcl }),
    text: "IpAccessControlListSid",
    wrong: [{ IpAccessControlListSid: zeros("CL") }],
    unknownSid: () => [{ path: `${API()}/SIP/Domains/${zeros("SD")}/Auth/Calls/IpAccessControlListMappings.json` }, { params: { IpAccessControlListSid: zeros("AL") } }],
    snapshot: () => listCount(`${API()}/SIP/Domains/${domain}/Auth/Calls/IpAccessControlListMappings.json`, "contents"),
    create: true,
  },
  {
    name: "2010: POST SIP/CredentialLists.json",
    path: () => `${API()}/SIP/CredentialLists.json`,
    valid: () => ({ FriendlyName: "sweep-2" }),
    text: "FriendlyName",
    wrong: [{ FriendlyName: "x".repeat(65) }, { FriendlyName: "sweep" }],
    unknownSid: () => [],
    snapshot: () => listCount(`${API()}/SIP/CredentialLists.json`, "credential_lists"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/CredentialLists.json`,
  },
  {
    name: "2010: POST SIP/CredentialLists/{Sid}/Credentials.json",
    path: () => `${API()}/SIP/CredentialLists/${credentialList}/Credentials.json`,
    valid: () => ({ Username: "sweep", Password: "SweepPassword1" }),
    text: "Username",
    wrong: [{ Password: "weak" }, { Password: "nodigitsButMixed" }, { Username: "x".repeat(33) }, { Username: "a b" }],
    unknownSid: () => [{ path: `${API()}/SIP/CredentialLists/${zeros("CL")}/Credentials.json` }],
    snapshot: () => listCount(`${API()}/SIP/CredentialLists/${credentialList}/Credentials.json`, "credentials"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/CredentialLists/${credentialList}/Credentials.json`,
  },
  {
    name: "2010: POST SIP/IpAccessControlLists/{Sid}/IpAddresses.json",
    path: () => `${API()}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses.json`,
    valid: () => ({ FriendlyName: "gateway", IpAddress: "192.0.2.1", CidrPrefixLength: "30" }),
    text: "FriendlyName",
    wrong: [{ IpAddress: "::1" }, { IpAddress: "1.2.3" }, { CidrPrefixLength: "33" }, { CidrPrefixLength: "x" }, { FriendlyName: "y".repeat(256) }],
    unknownSid: () => [{ path: `${API()}/SIP/IpAccessControlLists/${zeros("AL")}/IpAddresses.json` }],
    snapshot: () => listCount(`${API()}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses.json`, "ip_addresses"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses.json`,
  },
  {
    name: "2010: POST SIP/IpAccessControlLists/{Sid}/IpAddresses/{Sid}.json (update)",
    path: () => `${API()}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses/${ipAddress}.json`,
    valid: () => ({ FriendlyName: "renamed" }),
    text: "FriendlyName",
    wrong: [{ IpAddress: "nope" }, { CidrPrefixLength: "-1" }],
    unknownSid: () => [{ path: `${API()}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses/${zeros("IP")}.json` }],
    snapshot: () => record(`${API()}/SIP/IpAccessControlLists/${ipAcl}/IpAddresses/${ipAddress}.json`),
    create: false,
  },
  {
    name: "2010: POST Messages.json",
    path: () => `${API()}/Messages.json`,
    valid: () => ({ To: "+15551230002", From: "+15557650000", Body: "hi" }),
    text: "Body",
    wrong: [{ To: "abc" }, { From: "+15551230002" }, { Body: "x".repeat(1601) }, { MessagingServiceSid: "nope" }, { StatusCallback: "x" }],
    unknownSid: () => [], // the mock does not model Messaging Services: any MG… SID is accepted
    snapshot: () => listCount(`${API()}/Messages.json`, "messages"),
    create: true,
    otherAccountPath: () => `${API(OTHER_AC)}/Messages.json`,
  },
  {
    name: "2010: POST Messages/{Sid}.json (update)",
    path: () => `${API()}/Messages/${message}.json`,
    valid: () => ({ Body: "" }),
    text: "Body",
    wrong: [{ Body: "not empty" }, { Status: "canceled" }, { Status: "sent" }],
    unknownSid: () => [{ path: `${API()}/Messages/${zeros("SM")}.json` }, { path: `${API()}/Messages/nope.json` }],
    snapshot: () => record(`${API()}/Messages/${message}.json`),
    create: false,
    otherAccountPath: () => `${API(OTHER_AC)}/Messages/${message}.json`,
    skipValid: true,
  },
];

describe("Twilio products: bad input is a Twilio-shaped 4xx, never a 500, and writes nothing", () => {
  for (const t of targets) {
    test(t.name, async () => {
      const before = await t.snapshot();
      const cases = badRequests(t);
      for (const [what, path, body, headers] of cases) {
        const r = await call("POST", path, body, headers);
        expectTwilioError(r, `${t.name}: ${what}`);
      }
      expect(await t.snapshot()).toEqual(before);
      if (!t.skipValid) {
        const ok = await call("POST", t.path(), form(t.valid()), { authorization: goodAuth(), "content-type": "application/x-www-form-urlencoded" });
        expect([ok.status, ok.text.slice(0, 200)]).toEqual([t.create ? 201 : 200, expect.any(String)]);
        if (t.create) expect(await t.snapshot()).toBe((before as number) + 1);
      }
    });
  }
});

describe("Huawei: bad input is a Huawei-shaped 4xx, never a 500, and writes nothing", () => {
  const CMDS = "/huawei/iocm/app/cmd/v1.4.0/deviceCommands";
  const LOGIN = "/huawei/iocm/app/sec/v1.1.0/login";
  let deviceId = "";
  const count = async (): Promise<number> => {
    const r = await call("GET", `${CMDS}?pageSize=1`, undefined, { authorization: goodAuth() });
    expect(r.status).toBe(200);
    return (r.body as { pagination: { totalSize: number } }).pagination.totalSize;
  };
  const valid = (): Record<string, unknown> => ({ deviceId, command: { serviceId: "Meter", method: "READ", paras: { n: 1 } }, expireTime: 60, maxRetransmit: 1 });
  const jsonH = (): Record<string, string> => ({ authorization: goodAuth(), "content-type": "application/json" });

  beforeAll(async () => {
    const d = await admin(cloud, "/_mock/huawei/devices", { name: "sweep-meter" });
    expect(d.status).toBe(201);
    deviceId = d.json.deviceId as string;
  });

  test("POST deviceCommands", async () => {
    const before = await count();
    const v = valid();
    const j = (o: unknown): string => JSON.stringify(o);
    const cases: [string, string | Buffer, Record<string, string>][] = [
      ["malformed JSON", "{", jsonH()],
      ["truncated JSON", `{"deviceId":`, jsonH()],
      ["empty JSON body", "", jsonH()],
      ["JSON null", "null", jsonH()],
      ["JSON array", j([v]), jsonH()],
      ["JSON string", j("x"), jsonH()],
      ["__proto__ key", `{"__proto__":{"x":1},"deviceId":"${deviceId}","command":{"serviceId":"S","method":"M","paras":{}}}`, jsonH()],
      ["constructor.prototype key", `{"constructor":{"prototype":{"x":1}},"deviceId":"${deviceId}"}`, jsonH()],
      ["deviceId a number", j({ ...v, deviceId: 5 }), jsonH()],
      ["command a string", j({ ...v, command: "READ" }), jsonH()],
      ["paras an array", j({ ...v, command: { serviceId: "S", method: "M", paras: [] } }), jsonH()],
      ["serviceId empty", j({ ...v, command: { serviceId: "", method: "M", paras: {} } }), jsonH()],
      ["expireTime a string", j({ ...v, expireTime: "60" }), jsonH()],
      ["expireTime negative", j({ ...v, expireTime: -1 }), jsonH()],
      ["maxRetransmit 9", j({ ...v, maxRetransmit: 9 }), jsonH()],
      ["maxRetransmit 1.5", j({ ...v, maxRetransmit: 1.5 }), jsonH()],
      ["callbackUrl a number", j({ ...v, callbackUrl: 5 }), jsonH()],
      ["callbackUrl not a URL", j({ ...v, callbackUrl: "ftp://x" }), jsonH()],
      ["unknown field", j({ ...v, bogus: 1 }), jsonH()],
      ["unknown command field", j({ ...v, command: { serviceId: "S", method: "M", paras: {}, extra: 1 } }), jsonH()],
      ["unknown device", j({ ...v, deviceId: "no-such-device" }), jsonH()],
      ["another account's credentials", j(v), { authorization: basic(OTHER_AC, cloud.authToken), "content-type": "application/json" }],
      ["wrong token", j(v), { authorization: basic(cloud.accountSid, "nope"), "content-type": "application/json" }],
      ["bad bearer token", j(v), { authorization: "Bearer nope", "content-type": "application/json" }],
      ["no credentials", j(v), { "content-type": "application/json" }],
      ["body over 1 MiB", j({ ...v, filler: "a".repeat(MIB + 16) }), jsonH()],
      ["raw bytes that are not UTF-8", Buffer.concat([Buffer.from(`{"deviceId":"${deviceId}","command":{"serviceId":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`","method":"M","paras":{}}}`)]), jsonH()],
      ["raw Latin-1 é", Buffer.concat([Buffer.from(`{"deviceId":"${deviceId}","command":{"serviceId":"caf`), Buffer.from([0xe9]), Buffer.from(`","method":"M","paras":{}}}`)]), jsonH()],
      ["form body", "deviceId=x", { authorization: goodAuth(), "content-type": "application/x-www-form-urlencoded" }],
      ["text/plain body", j(v), { authorization: goodAuth(), "content-type": "text/plain" }],
      ["application/xml body", "<x/>", { authorization: goodAuth(), "content-type": "application/xml" }],
    ];
    for (const [what, body, headers] of cases) expectHuaweiError(await call("POST", CMDS, body, headers), `Huawei create: ${what}`);
    expect(await count()).toBe(before);
    const ok = await call("POST", CMDS, j(v), jsonH());
    expect(ok.status).toBe(201);
    expect(await count()).toBe(before + 1);
  });

  test("POST login (form)", async () => {
    const formH = { "content-type": "application/x-www-form-urlencoded" };
    const cases: [string, string | Buffer, Record<string, string>][] = [
      ["wrong secret", form({ appId: cloud.accountSid, secret: "nope" }), formH],
      ["another account", form({ appId: OTHER_AC, secret: cloud.authToken }), formH],
      ["missing secret", form({ appId: cloud.accountSid }), formH],
      ["malformed form", "appId=%zz", formH],
      ["raw bytes that are not UTF-8", Buffer.concat([Buffer.from(`appId=${cloud.accountSid}&secret=`), Buffer.from([0xff])]), formH],
      ["body over 1 MiB", Buffer.concat([form({ appId: cloud.accountSid, secret: cloud.authToken }), Buffer.from("&x="), Buffer.alloc(MIB + 16, 0x61)]), formH],
    ];
    for (const [what, body, headers] of cases) expectHuaweiError(await call("POST", LOGIN, body, headers), `Huawei login: ${what}`);
  });
});
