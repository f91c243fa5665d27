/**
 * Every default the official specs state for a create/update parameter of a resource the mock implements,
 * read from the spec files themselves (Super SIM, Programmable Wireless — Twilio's and KORE's — and the 2010
 * API), checked against what the mock does when the parameter is left out. A parameter whose description
 * states a default and that has no row below fails the test, so a new spec or a newly implemented resource
 * cannot slip through; so does a spec path with a form body that is neither implemented nor listed as not.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { decodePdu } from "../../host-tools/pdu/index.js";
import { formParameters, type FormParameter } from "../helpers/openapi.js";
import { activeSim, attachSmsSocket, cloudAndClient, Hooks, iccid, wirelessSim, type Client, type Hit, type Udp } from "./harness.js";

const V1 = ["twilio_supersim_v1.json", "kore_supersim_v1.json", "twilio_wireless_v1.json", "kore_programmable_wireless_v1.json"];
const SPECS = [...V1, "twilio_api_v2010.json"];
const AC = "/2010-04-01/Accounts/{AccountSid}";

/** Spec paths with a form body that the mock implements, per spec file (KORE's share Twilio's paths). */
const SUPERSIM = ["/v1/Fleets", "/v1/Fleets/{Sid}", "/v1/Sims", "/v1/Sims/{Sid}", "/v1/IpCommands", "/v1/SmsCommands"];
const WIRELESS = ["/v1/Commands", "/v1/Sims/{Sid}"];
const API2010 = [
  "Messages.json", "Messages/{Sid}.json", "SIP/Domains.json", "SIP/Domains/{Sid}.json",
  "SIP/Domains/{DomainSid}/CredentialListMappings.json", "SIP/Domains/{DomainSid}/IpAccessControlListMappings.json",
  "SIP/Domains/{DomainSid}/Auth/Calls/CredentialListMappings.json", "SIP/Domains/{DomainSid}/Auth/Calls/IpAccessControlListMappings.json",
  "SIP/Domains/{DomainSid}/Auth/Registrations/CredentialListMappings.json",
  "SIP/CredentialLists.json", "SIP/CredentialLists/{Sid}.json", "SIP/CredentialLists/{CredentialListSid}/Credentials.json",
  "SIP/CredentialLists/{CredentialListSid}/Credentials/{Sid}.json", "SIP/IpAccessControlLists.json", "SIP/IpAccessControlLists/{Sid}.json",
  "SIP/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses.json", "SIP/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses/{Sid}.json",
].map((p) => `${AC}/${p}`);
const IMPLEMENTED: Record<string, string[]> = {
  "twilio_supersim_v1.json": SUPERSIM,
  "kore_supersim_v1.json": SUPERSIM,
  "twilio_wireless_v1.json": WIRELESS,
  "kore_programmable_wireless_v1.json": WIRELESS,
  "twilio_api_v2010.json": API2010,
};
/** Resources with a form body the mock does not implement (their defaults are not the mock's concern). */
const NOT_IMPLEMENTED = [/^\/v1\/ESimProfiles/, /^\/v1\/NetworkAccessProfiles/, /^\/v1\/RatePlans/, /^\/v1\/Sims\/\{SimSid\}/, /\/Messages\/\{MessageSid\}\//];
const isImplemented = (file: string, path: string): boolean => (IMPLEMENTED[file] ?? []).includes(path);
const outOfScope = (file: string, path: string): boolean =>
  file === "twilio_api_v2010.json" ? !/^\/2010-04-01\/Accounts\/\{AccountSid\}\/(Messages|SIP)\b/.test(path) || NOT_IMPLEMENTED.some((r) => r.test(path)) : NOT_IMPLEMENTED.some((r) => r.test(path));

/** A description that states a default ("Defaults to `true`", "the default is POST", "By default …"). */
const STATES_DEFAULT = /\b[Dd]efaults? (?:to|is|value is|behavior is|SMS mode is)\b|\bBy default\b/;
const LITERALS = [
  /Defaults to `([^`]+)`/,
  /Defaults to [^(.]*\(([\d,]+)\)/,
  /[Dd]efault (?:value |behavior |SMS mode )?is `([^`]+)`/,
  /[Dd]efault (?:value |behavior )?is ([A-Za-z0-9]+)\b/,
];

/** The default value a description states, normalized ("1,000" → "1000"), or null when it states none literally. */
function documentedDefault(description: string): string | null {
  for (const re of LITERALS) {
    const m = re.exec(description);
    if (m) return (m[1] as string).replace(/,/g, "");
  }
  return null;
}

type Row =
  /** The mock's value when the parameter is left out. `reading` gives the value of a default stated in words (`phrase`). */
  | { observe: () => Promise<string>; reading?: { phrase: string; value: string } }
  /** Accepted and without effect in the mock; the documented default must be an accepted value. */
  | { ignored: string; accepts: (value: string) => Promise<number> };

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const sockets: Udp[] = [];
beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await hooks.close();
  await cloud.close();
});

let hookSeq = 0;
/** A fresh callback URL, and the method of the first request that reaches it. */
function callback(): { url: string; method: () => Promise<string> } {
  const path = `/default-${++hookSeq}`;
  return { url: hooks.url + path, method: async () => ((await hooks.waitFor(1, (h: Hit) => h.url.split("?")[0] === path))[0] as Hit).method };
}

const nap = { networkAccessProfile: "HA00000000000000000000000000000000" };
const fleet = () => client.supersim.v1.fleets.create(nap);
const wsim = async (status = "active") => (await wirelessSim(cloud, status)).sid;
async function smsSocket(sim: string) {
  const a = await attachSmsSocket(cloud, sim);
  sockets.push(a.modem);
  return a;
}
const message = async (extra: Record<string, string>): Promise<number> =>
  (
    await fetch(`${cloud.url}/api/2010-04-01/Accounts/${cloud.accountSid}/Messages.json`, {
      method: "POST",
      headers: { authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: "+15005550006", From: "+15005550001", Body: "hi", ...extra }).toString(),
    })
  ).status;
async function acl() {
  const al = await client.sip.ipAccessControlLists.create({ friendlyName: `defaults-${++hookSeq}` });
  return client.sip.ipAccessControlLists(al.sid).ipAddresses.create({ friendlyName: "a", ipAddress: "192.0.2.1" });
}

const ROWS: Record<string, Row> = {
  "/v1/Fleets DataEnabled": { observe: async () => String((await fleet()).dataEnabled) },
  "/v1/Fleets DataLimit": { observe: async () => String((await fleet()).dataLimit) },
  "/v1/Fleets IpCommandsMethod": { observe: async () => (await fleet()).ipCommandsMethod },
  "/v1/Fleets SmsCommandsEnabled": { observe: async () => String((await fleet()).smsCommandsEnabled) },
  "/v1/Fleets SmsCommandsMethod": { observe: async () => (await fleet()).smsCommandsMethod },
  "/v1/Fleets/{Sid} IpCommandsMethod": { observe: async () => (await client.supersim.v1.fleets((await fleet()).sid).update({ ipCommandsUrl: hooks.url + "/ip" })).ipCommandsMethod },
  "/v1/Fleets/{Sid} SmsCommandsMethod": { observe: async () => (await client.supersim.v1.fleets((await fleet()).sid).update({ smsCommandsUrl: hooks.url + "/sms" })).smsCommandsMethod },
  "/v1/Fleets/{Sid} DataLimit": { observe: async () => String((await client.supersim.v1.fleets((await fleet()).sid).update({ uniqueName: `f-${++hookSeq}` })).dataLimit) },
  "/v1/IpCommands CallbackMethod": {
    observe: async () => {
      const cb = callback();
      const { sim } = await activeSim(client);
      await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "x", devicePort: 1, callbackUrl: cb.url }); // not attached: failed, called back
      return cb.method();
    },
  },
  "/v1/SmsCommands CallbackMethod": {
    observe: async () => {
      const cb = callback();
      const { sim } = await activeSim(client);
      await smsSocket(sim.sid);
      await client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "x", callbackUrl: cb.url }); // called back at sent
      return cb.method();
    },
  },
  "/v1/Commands CallbackMethod": {
    observe: async () => {
      const cb = callback();
      const sim = await wsim();
      await smsSocket(sim);
      await client.wireless.v1.commands.create({ sim, command: "x", deliveryReceiptRequested: false, callbackUrl: cb.url }); // sent is final
      return cb.method();
    },
  },
  "/v1/Commands IncludeSid": {
    observe: async () => {
      const sim = await wsim();
      const { modem } = await smsSocket(sim);
      const c = await client.wireless.v1.commands.create({ sim, command: "where is the sid" });
      const text = decodePdu((await modem.next()).msg.toString("hex"), { smsc: false }).text ?? "";
      return text === c.command ? "none" : text.startsWith(c.sid) ? "start" : text.endsWith(c.sid) ? "end" : `unexpected text '${text}'`;
    },
  },
  "/v1/Commands DeliveryReceiptRequested": { observe: async () => String((await client.wireless.v1.commands.create({ sim: await wsim(), command: "x" })).deliveryReceiptRequested) },
  "/v1/Commands CommandMode": { observe: async () => (await client.wireless.v1.commands.create({ sim: await wsim(), command: "x" })).commandMode },
  "/v1/Sims/{Sid} CommandsCallbackMethod": { observe: async () => (await client.wireless.v1.sims(await wsim()).update({ commandsCallbackUrl: hooks.url + "/c" })).commandsCallbackMethod },
  "/v1/Sims/{Sid} SmsMethod": { observe: async () => (await client.wireless.v1.sims(await wsim()).update({ smsUrl: hooks.url + "/s" })).smsMethod },
  "/v1/Sims/{Sid} SmsFallbackMethod": { observe: async () => (await client.wireless.v1.sims(await wsim()).update({ smsFallbackUrl: hooks.url + "/f" })).smsFallbackMethod },
  [`${AC}/Messages.json ProvideFeedback`]: { ignored: "no Feedback resource in the mock", accepts: (v) => message({ ProvideFeedback: v }) },
  [`${AC}/Messages.json ValidityPeriod`]: { ignored: "the mock has no queue in front of the carrier for it to bound", accepts: (v) => message({ ValidityPeriod: v }) },
  [`${AC}/Messages.json ShortenUrls`]: { ignored: "no link shortening in the mock", accepts: (v) => message({ ShortenUrls: v }) },
  [`${AC}/SIP/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses.json CidrPrefixLength`]: {
    reading: { phrase: "the entire IP address is used", value: "32" },
    observe: async () => String((await acl()).cidrPrefixLength),
  },
  [`${AC}/SIP/IpAccessControlLists/{IpAccessControlListSid}/IpAddresses/{Sid}.json CidrPrefixLength`]: {
    reading: { phrase: "the entire IP address is used", value: "32" },
    observe: async () => {
      const ip = await acl();
      return String((await client.sip.ipAccessControlLists(ip.ipAccessControlListSid).ipAddresses(ip.sid).update({ friendlyName: "renamed" })).cidrPrefixLength);
    },
  },
  // Wireless: reached through a status change (the Super SIM one is SUPERSIM_SIM_CALLBACK below).
  "/v1/Sims/{Sid} CallbackMethod": {
    observe: async () => {
      const cb = callback();
      await client.wireless.v1.sims(await wsim("ready")).update({ status: "active", callbackUrl: cb.url });
      return cb.method();
    },
  },
};

/**
 * The same parameter name at the same path means two things in the Super SIM and Wireless specs only for
 * `/v1/Sims/{Sid} CallbackMethod` (both default POST, both observed through a SIM-update callback); the row
 * above observes the Wireless one, this one the Super SIM one.
 */
const SUPERSIM_SIM_CALLBACK: Row = {
  observe: async () => {
    const cb = callback();
    const s = await client.supersim.v1.sims.create({ iccid: iccid(), registrationCode: "1" });
    await client.supersim.v1.sims(s.sid).update({ fleet: (await fleet()).sid, status: "ready", callbackUrl: cb.url });
    return cb.method();
  },
};

function rowFor(file: string, p: FormParameter): Row | undefined {
  if (file.includes("supersim") && p.path === "/v1/Sims/{Sid}" && p.name === "CallbackMethod") return SUPERSIM_SIM_CALLBACK;
  return ROWS[`${p.path} ${p.name}`];
}

/** Every (spec, parameter) whose description states a default, on an implemented path. */
function stated(): { file: string; p: FormParameter }[] {
  return SPECS.flatMap((file) => formParameters(file).filter((p) => isImplemented(file, p.path) && STATES_DEFAULT.test(p.description)).map((p) => ({ file, p })));
}

describe("the official defaults, read from the specs", () => {
  test("every spec path with a form body is either implemented or listed as not", () => {
    for (const file of SPECS) {
      const paths = new Set(formParameters(file).filter((p) => p.method === "post").map((p) => p.path));
      const unknown = [...paths].filter((path) => !isImplemented(file, path) && !outOfScope(file, path));
      expect({ file, unknown }).toEqual({ file, unknown: [] });
      for (const path of IMPLEMENTED[file] ?? []) expect({ file, path, inSpec: paths.has(path) }).toEqual({ file, path, inSpec: true });
    }
  });

  test("every stated default has a row, and every row a stated default", () => {
    const all = stated();
    expect(all.length).toBeGreaterThanOrEqual(40);
    const missing = all.filter(({ file, p }) => rowFor(file, p) === undefined).map(({ file, p }) => `${file} ${p.path} ${p.name}`);
    expect(missing).toEqual([]);
    const keys = new Set(all.map(({ p }) => `${p.path} ${p.name}`));
    expect(Object.keys(ROWS).filter((k) => !keys.has(k))).toEqual([]);
    for (const { p } of all) {
      const row = rowFor("", p);
      if (row && "reading" in row && row.reading) expect(p.description).toContain(row.reading.phrase);
      else expect({ param: `${p.path} ${p.name}`, value: documentedDefault(p.description) }).toEqual({ param: `${p.path} ${p.name}`, value: expect.any(String) });
    }
  });

  const cases = stated();
  const observed = new Map<Row, Promise<string>>();
  test.each(cases.map(({ file, p }) => [file, p.path, p.name, p] as const))("%s %s %s", async (file, _path, _name, p) => {
    const row = rowFor(file, p) as Row;
    const value = ("reading" in row && row.reading ? row.reading.value : documentedDefault(p.description)) as string;
    if ("ignored" in row) {
      expect(await row.accepts(value)).toBe(201);
      return;
    }
    if (!observed.has(row)) observed.set(row, row.observe());
    expect(await observed.get(row)).toBe(value);
  });
});

describe("defaults the resource pages state where the specs do not", () => {
  test("IpCommand PayloadType defaults to text", async () => {
    const { sim } = await activeSim(client);
    expect((await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "x", devicePort: 1 })).payloadType).toBe("text");
  });
});
