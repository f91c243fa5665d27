/**
 * SIP Domains and their auth mappings over HTTP; their rows are store.ts's.
 *
 * 2010 SIP Domains (specs/twilio_api_v2010.json `api.v2010.account.sip.sip_domain`):
 *   POST   /api/2010-04-01/Accounts/{AC}/SIP/Domains.json        create 201 (DomainName required)
 *   GET    /api/2010-04-01/Accounts/{AC}/SIP/Domains.json        list 200, flat envelope, key `domains`
 *   GET    /api/2010-04-01/Accounts/{AC}/SIP/Domains/{SD}.json   fetch 200
 *   POST   /api/2010-04-01/Accounts/{AC}/SIP/Domains/{SD}.json   update 200 (every create param optional)
 *   DELETE /api/2010-04-01/Accounts/{AC}/SIP/Domains/{SD}.json   204 (its mappings go with it)
 * (`.json` optional.) Dates RFC 2822; `uri`/`subresource_uris` relative to https://api.twilio.com.
 *
 * Validation: DomainName = labels of letters, digits and '-' ending in `.sip.twilio.com`; a name already
 * taken (any case), malformed, or a subdomain whose parent domain this account does not own → 400/21232
 * "Invalid Domain" (Twilio's one code for all three); FriendlyName over 64 characters → 400/20002 "Invalid
 * FriendlyName"; more than 100 domains → 400/21230; ByocTrunkSid `BY…`, EmergencyCallerSid `PN…`.
 * `auth_type` is computed from the mappings (below): "IP_ACL", "CREDENTIAL_LIST",
 * "IP_ACL,CREDENTIAL_LIST", or null — null means the domain blocks every request (the spec: "If auth_type is
 * not defined, the domain will not be able to receive any traffic").
 *
 * SIP Domain mappings (specs/twilio_api_v2010.json), each with create 201 / list 200 / fetch 200 / delete 204:
 *   …/SIP/Domains/{SD}/CredentialListMappings[/{CL}].json             key `credential_list_mappings`
 *   …/SIP/Domains/{SD}/IpAccessControlListMappings[/{AL}].json        key `ip_access_control_list_mappings`
 *   …/SIP/Domains/{SD}/Auth/Calls/CredentialListMappings[/{CL}].json  key `contents`
 *   …/SIP/Domains/{SD}/Auth/Calls/IpAccessControlListMappings[/{AL}].json  key `contents`
 *   …/SIP/Domains/{SD}/Auth/Registrations/CredentialListMappings[/{CL}].json  key `contents`
 * The legacy domain-level mappings and the Auth/Calls ones are the same records (both authenticate calls;
 * Twilio introduced Auth/Calls as their successor), so either view shows what the other created; they set the
 * domain's `auth_type`. Registration mappings do not.
 *
 * The mapped list must be a CredentialList / IpAccessControlList of the account (routes.ts): an unknown
 * one is 404/20404 naming it; a malformed SID is 400/20001; mapping the same list twice is 409/20409 (mock
 * choices). A mapping shows its list's `friendly_name`; deleting the list deletes its mappings.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../../context.js";
import { rfc2822Date } from "../../../dates.js";
import { TwilioError, badParam, notFound } from "../../../errors.js";
import { readParams } from "../../../form.js";
import { legacyEnvelope, readPaging } from "../../../paging.js";
import { isSid } from "../../../sids.js";
import { API_PREFIX, API_VERSION, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "../common.js";
import {
  callMappingKinds, countDomains, deleteDomain, deleteMapping, domainBySid, domainNameOwner, insertDomain, insertMapping, listBySid, mappingOf,
  ownsDomain, pageOfDomains, pageOfMappings, updateDomain, type DomainFields, type DomainRow, type MappingRow,
} from "./store.js";

export const MAX_DOMAINS = 100;

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;
const SPEC = {
  DomainName: { type: "string" },
  FriendlyName: { type: "string", empty: true },
  VoiceUrl: { type: "uri" },
  VoiceMethod: METHOD,
  VoiceFallbackUrl: { type: "uri" },
  VoiceFallbackMethod: METHOD,
  VoiceStatusCallbackUrl: { type: "uri" },
  VoiceStatusCallbackMethod: METHOD,
  SipRegistration: { type: "boolean" },
  EmergencyCallingEnabled: { type: "boolean" },
  Secure: { type: "boolean" },
  ByocTrunkSid: { type: "string" },
  EmergencyCallerSid: { type: "string" },
} as const;

const COLUMNS: Record<string, string> = {
  DomainName: "domain_name",
  FriendlyName: "friendly_name",
  VoiceUrl: "voice_url",
  VoiceMethod: "voice_method",
  VoiceFallbackUrl: "voice_fallback_url",
  VoiceFallbackMethod: "voice_fallback_method",
  VoiceStatusCallbackUrl: "voice_status_callback_url",
  VoiceStatusCallbackMethod: "voice_status_callback_method",
  SipRegistration: "sip_registration",
  EmergencyCallingEnabled: "emergency_calling_enabled",
  Secure: "secure",
  ByocTrunkSid: "byoc_trunk_sid",
  EmergencyCallerSid: "emergency_caller_sid",
};

const SUFFIX = ".sip.twilio.com";

function invalidDomain(name: string, why: string): TwilioError {
  return new TwilioError(400, 21232, `Invalid Domain: ${name} ${why}`);
}

/** Checks a DomainName for this account (throws 21232); `exceptSid` is the domain being renamed. */
function checkDomainName(ctx: CloudContext, name: string, exceptSid: string | null): void {
  if (!name.toLowerCase().endsWith(SUFFIX)) throw invalidDomain(name, `must end with ${SUFFIX.slice(1)}`);
  const labels = name.slice(0, -SUFFIX.length).split(".");
  for (const l of labels)
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))
      throw invalidDomain(name, "may contain only letters, digits and '-' (not at either end of a label)");
  const taken = domainNameOwner(ctx, name);
  if (taken !== null && taken !== exceptSid) throw invalidDomain(name, "is already in use");
  if (labels.length > 1) {
    const parent = name.slice(name.indexOf(".") + 1);
    if (!ownsDomain(ctx, parent)) throw invalidDomain(name, `is a subdomain of ${parent}, which this account does not own`);
  }
}

function authType(ctx: CloudContext, domainSid: string): string | null {
  const kinds = callMappingKinds(ctx, domainSid);
  const out: string[] = [];
  if (kinds.has("ip_access_control_list")) out.push("IP_ACL");
  if (kinds.has("credential_list")) out.push("CREDENTIAL_LIST");
  return out.length === 0 ? null : out.join(",");
}

function domainJson(ctx: CloudContext, r: DomainRow): Record<string, unknown> {
  const uri = `${accountUri(r.account_sid)}/SIP/Domains/${r.sid}`;
  return {
    account_sid: r.account_sid,
    api_version: API_VERSION,
    auth_type: authType(ctx, r.sid),
    date_created: rfc2822Date(r.created_ms),
    date_updated: rfc2822Date(r.updated_ms),
    domain_name: r.domain_name,
    friendly_name: r.friendly_name,
    sid: r.sid,
    uri: `${uri}.json`,
    voice_fallback_method: r.voice_fallback_method,
    voice_fallback_url: r.voice_fallback_url,
    voice_method: r.voice_method,
    voice_status_callback_method: r.voice_status_callback_method,
    voice_status_callback_url: r.voice_status_callback_url,
    voice_url: r.voice_url,
    subresource_uris: {
      credential_list_mappings: `${uri}/CredentialListMappings.json`,
      ip_access_control_list_mappings: `${uri}/IpAccessControlListMappings.json`,
    },
    sip_registration: r.sip_registration === 1,
    emergency_calling_enabled: r.emergency_calling_enabled === 1,
    secure: r.secure === 1,
    byoc_trunk_sid: r.byoc_trunk_sid,
    emergency_caller_sid: r.emergency_caller_sid,
  };
}

/** The domain `sid` of this account, or a 404 for the request's path. */
function domainOr404(ctx: CloudContext, req: Parameters<typeof notFoundHere>[0], sid: string): DomainRow {
  const r = isSid(sid, "SD") ? domainBySid(ctx, sid) : undefined;
  if (!r) throw notFoundHere(req);
  return r;
}

type Params = ReturnType<typeof readParams<typeof SPEC>>;

/** Checks everything but the name (done by the caller); throws before anything is written. */
function checkFields(p: Params): void {
  if (p.FriendlyName !== undefined && [...p.FriendlyName].length > 64)
    throw new TwilioError(400, 20002, "Invalid FriendlyName: it must be between 1 and 64 characters long");
  if (p.ByocTrunkSid !== undefined && !isSid(p.ByocTrunkSid, "BY")) throw badParam(`ByocTrunkSid must be a BY… SID, got '${p.ByocTrunkSid}'`);
  if (p.EmergencyCallerSid !== undefined && !isSid(p.EmergencyCallerSid, "PN"))
    throw badParam(`EmergencyCallerSid must be a PN… SID, got '${p.EmergencyCallerSid}'`);
}

function columnValues(p: Params): DomainFields {
  const out: Record<string, unknown> = {};
  for (const [param, col] of Object.entries(COLUMNS)) {
    const v = (p as Record<string, unknown>)[param];
    if (v === undefined) continue;
    out[col] = typeof v === "boolean" ? (v ? 1 : 0) : v === "" ? null : v;
  }
  return out as DomainFields;
}

function registerDomains(app: FastifyInstance, ctx: CloudContext): void {
  const base = `${API_PREFIX}/Accounts/:accountSid/SIP/Domains`;
  type P = { Params: { accountSid: string; sid: string } };

  for (const path of withJson(base)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const p = readParams(req.body, SPEC);
      if (p.DomainName === undefined) throw badParam("Missing required parameter DomainName in the post body");
      checkFields(p);
      checkDomainName(ctx, p.DomainName, null);
      if (countDomains(ctx) >= MAX_DOMAINS) throw new TwilioError(400, 21230, `Maximum Domains Reached: an account cannot have more than ${MAX_DOMAINS} domains`);
      const sid = ctx.sid("SD");
      insertDomain(ctx, sid, columnValues(p), ctx.now().getTime());
      ctx.events.emit("sip_domain.created", { sid, domain_name: p.DomainName });
      return reply.code(201).send(domainJson(ctx, domainOr404(ctx, req, sid)));
    });

    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      readParams(req.query, { PageSize: { type: "string" }, Page: { type: "string" }, PageToken: { type: "string" } }, { where: "query" });
      const pr = readPaging(req.query);
      const page = pageOfDomains(ctx, pr);
      return legacyEnvelope({
        key: "domains",
        url: `${accountUri(ctx.accountSid)}/SIP/Domains.json`,
        filters: [],
        pr,
        page,
        items: page.rows.map((r) => domainJson(ctx, r)),
      });
    });
  }

  app.get<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    return domainJson(ctx, domainOr404(ctx, req, stripJson(req.params.sid)));
  });

  app.post<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const d = domainOr404(ctx, req, stripJson(req.params.sid));
    const p = readParams(req.body, SPEC);
    checkFields(p);
    if (p.DomainName !== undefined) checkDomainName(ctx, p.DomainName, d.sid);
    updateDomain(ctx, d.sid, columnValues(p), ctx.now().getTime());
    ctx.events.emit("sip_domain.updated", { sid: d.sid });
    return domainJson(ctx, domainOr404(ctx, req, d.sid));
  });

  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const d = domainOr404(ctx, req, stripJson(req.params.sid));
    deleteDomain(ctx, d.sid);
    ctx.events.emit("sip_domain.deleted", { sid: d.sid });
    return reply.code(204).send();
  });
}

interface Variant {
  /** Path after /SIP/Domains/{SD}. */
  path: string;
  kind: MappingRow["kind"];
  scope: MappingRow["scope"];
  /** List key. */
  key: string;
  /** Form parameter naming the mapped list. */
  param: "CredentialListSid" | "IpAccessControlListSid";
  prefix: "CL" | "AL";
  /** The legacy shape adds domain_sid and uri. */
  legacy: boolean;
}

const VARIANTS: Variant[] = [
  { path: "/CredentialListMappings", kind: "credential_list", scope: "calls", key: "credential_list_mappings", param: "CredentialListSid", prefix: "CL", legacy: true },
  { path: "/IpAccessControlListMappings", kind: "ip_access_control_list", scope: "calls", key: "ip_access_control_list_mappings", param: "IpAccessControlListSid", prefix: "AL", legacy: true },
  { path: "/Auth/Calls/CredentialListMappings", kind: "credential_list", scope: "calls", key: "contents", param: "CredentialListSid", prefix: "CL", legacy: false },
  { path: "/Auth/Calls/IpAccessControlListMappings", kind: "ip_access_control_list", scope: "calls", key: "contents", param: "IpAccessControlListSid", prefix: "AL", legacy: false },
  { path: "/Auth/Registrations/CredentialListMappings", kind: "credential_list", scope: "registrations", key: "contents", param: "CredentialListSid", prefix: "CL", legacy: false },
];

function mappingJson(ctx: CloudContext, r: MappingRow, v: Variant): Record<string, unknown> {
  const out: Record<string, unknown> = {
    account_sid: r.account_sid,
    date_created: rfc2822Date(r.created_ms),
    date_updated: rfc2822Date(r.updated_ms),
    friendly_name: listBySid(ctx, v.kind, r.sid)?.friendly_name ?? null,
    sid: r.sid,
  };
  if (v.legacy) {
    out.domain_sid = r.domain_sid;
    out.uri = `${accountUri(r.account_sid)}/SIP/Domains/${r.domain_sid}${v.path}/${r.sid}.json`;
  }
  return out;
}

type P = { Params: { accountSid: string; domainSid: string; sid: string } };

function mappingOr404(ctx: CloudContext, req: FastifyRequest, v: Variant, domainSid: string, sid: string): MappingRow {
  const r = mappingOf(ctx, domainSid, v.kind, v.scope, sid);
  if (!r) throw notFoundHere(req);
  return r;
}

function registerVariant(app: FastifyInstance, ctx: CloudContext, v: Variant): void {
  const base = `${API_PREFIX}/Accounts/:accountSid/SIP/Domains/:domainSid${v.path}`;
  for (const path of withJson(base)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const d = domainOr404(ctx, req, req.params.domainSid);
      const p = readParams(req.body, { [v.param]: { type: "string", required: true } } as Record<string, { type: "string"; required: true }>);
      const listSid = p[v.param] as string;
      if (!isSid(listSid, v.prefix)) throw badParam(`${v.param} must be a ${v.prefix}… SID, got '${listSid}'`);
      if (!listBySid(ctx, v.kind, listSid))
        throw notFound(`${accountUri(ctx.accountSid)}/SIP/${v.kind === "credential_list" ? "CredentialLists" : "IpAccessControlLists"}/${listSid}.json`);
      if (mappingOf(ctx, d.sid, v.kind, v.scope, listSid)) throw new TwilioError(409, 20409, `${listSid} is already mapped to domain ${d.sid}`);
      insertMapping(ctx, d.sid, v.kind, v.scope, listSid);
      ctx.events.emit("sip_domain.mapped", { sid: d.sid, kind: v.kind, scope: v.scope, list_sid: listSid });
      return reply.code(201).send(mappingJson(ctx, mappingOr404(ctx, req, v, d.sid, listSid), v));
    });

    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      const d = domainOr404(ctx, req, req.params.domainSid);
      readParams(req.query, { PageSize: { type: "string" }, Page: { type: "string" }, PageToken: { type: "string" } }, { where: "query" });
      const pr = readPaging(req.query);
      const page = pageOfMappings(ctx, d.sid, v.kind, v.scope, pr);
      return legacyEnvelope({
        key: v.key,
        url: `${accountUri(ctx.accountSid)}/SIP/Domains/${d.sid}${v.path}.json`,
        filters: [],
        pr,
        page,
        items: page.rows.map((r) => mappingJson(ctx, r, v)),
      });
    });
  }

  app.get<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const d = domainOr404(ctx, req, req.params.domainSid);
    return mappingJson(ctx, mappingOr404(ctx, req, v, d.sid, stripJson(req.params.sid)), v);
  });

  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const d = domainOr404(ctx, req, req.params.domainSid);
    const m = mappingOr404(ctx, req, v, d.sid, stripJson(req.params.sid));
    deleteMapping(ctx, m);
    ctx.events.emit("sip_domain.unmapped", { sid: d.sid, kind: v.kind, scope: v.scope, list_sid: m.sid });
    return reply.code(204).send();
  });
}

/** SIP Domains and the five views of their mappings. */
export function registerSipDomains(app: FastifyInstance, ctx: CloudContext): void {
  registerDomains(app, ctx);
  for (const v of VARIANTS) registerVariant(app, ctx, v);
}
