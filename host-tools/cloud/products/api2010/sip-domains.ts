/**
 * 2010 SIP Domains (specs/twilio_api_v2010.json `api.v2010.account.sip.sip_domain`; reference §4):
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
 * `auth_type` is computed from the mappings (sip-domain-mappings.ts): "IP_ACL", "CREDENTIAL_LIST",
 * "IP_ACL,CREDENTIAL_LIST", or null — null means the domain blocks every request (the spec: "If auth_type is
 * not defined, the domain will not be able to receive any traffic").
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, legacyEnvelope, readPaging } from "../../paging.js";
import { isSid } from "../../sids.js";
import { rfc2822Date } from "../../dates.js";
import { API_PREFIX, API_VERSION, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "./common.js";

export const SIP_SCHEMA = `
CREATE TABLE IF NOT EXISTS sip_domains (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  domain_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  friendly_name TEXT,
  voice_url TEXT, voice_method TEXT NOT NULL DEFAULT 'POST',
  voice_fallback_url TEXT, voice_fallback_method TEXT NOT NULL DEFAULT 'POST',
  voice_status_callback_url TEXT, voice_status_callback_method TEXT NOT NULL DEFAULT 'POST',
  sip_registration INTEGER NOT NULL DEFAULT 0,
  emergency_calling_enabled INTEGER NOT NULL DEFAULT 0,
  secure INTEGER NOT NULL DEFAULT 0,
  byoc_trunk_sid TEXT,
  emergency_caller_sid TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sip_domain_mappings (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account_sid TEXT NOT NULL,
  domain_sid TEXT NOT NULL,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  sid TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (domain_sid, kind, scope, sid)
);
`;

export const MAX_DOMAINS = 100;

export interface DomainRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  domain_name: string;
  friendly_name: string | null;
  voice_url: string | null;
  voice_method: string;
  voice_fallback_url: string | null;
  voice_fallback_method: string;
  voice_status_callback_url: string | null;
  voice_status_callback_method: string;
  sip_registration: number;
  emergency_calling_enabled: number;
  secure: number;
  byoc_trunk_sid: string | null;
  emergency_caller_sid: string | null;
  created_ms: number;
  updated_ms: number;
}

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
export function checkDomainName(ctx: CloudContext, name: string, exceptSid: string | null): void {
  if (!name.toLowerCase().endsWith(SUFFIX)) throw invalidDomain(name, `must end with ${SUFFIX.slice(1)}`);
  const labels = name.slice(0, -SUFFIX.length).split(".");
  for (const l of labels)
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))
      throw invalidDomain(name, "may contain only letters, digits and '-' (not at either end of a label)");
  const taken = ctx.db.prepare("SELECT sid FROM sip_domains WHERE domain_name = ?").get(name) as { sid: string } | undefined;
  if (taken && taken.sid !== exceptSid) throw invalidDomain(name, "is already in use");
  if (labels.length > 1) {
    const parent = name.slice(name.indexOf(".") + 1);
    const own = ctx.db.prepare("SELECT 1 FROM sip_domains WHERE domain_name = ? AND account_sid = ?").get(parent, ctx.accountSid);
    if (!own) throw invalidDomain(name, `is a subdomain of ${parent}, which this account does not own`);
  }
}

export function authType(ctx: CloudContext, domainSid: string): string | null {
  const kinds = new Set(
    (ctx.db.prepare("SELECT DISTINCT kind FROM sip_domain_mappings WHERE domain_sid = ? AND scope = 'calls'").all(domainSid) as { kind: string }[]).map(
      (r) => r.kind,
    ),
  );
  const out: string[] = [];
  if (kinds.has("ip_access_control_list")) out.push("IP_ACL");
  if (kinds.has("credential_list")) out.push("CREDENTIAL_LIST");
  return out.length === 0 ? null : out.join(",");
}

export function domainJson(ctx: CloudContext, r: DomainRow): Record<string, unknown> {
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
export function domainOr404(ctx: CloudContext, req: Parameters<typeof notFoundHere>[0], sid: string): DomainRow {
  const r = isSid(sid, "SD")
    ? (ctx.db.prepare("SELECT * FROM sip_domains WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as DomainRow | undefined)
    : undefined;
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

function columnValues(p: Params): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [param, col] of Object.entries(COLUMNS)) {
    const v = (p as Record<string, unknown>)[param];
    if (v === undefined) continue;
    out.push([col, typeof v === "boolean" ? (v ? 1 : 0) : v === "" ? null : v]);
  }
  return out;
}

export function registerSipDomains(app: FastifyInstance, ctx: CloudContext): void {
  const base = `${API_PREFIX}/Accounts/:accountSid/SIP/Domains`;
  type P = { Params: { accountSid: string; sid: string } };

  for (const path of withJson(base)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const p = readParams(req.body, SPEC);
      if (p.DomainName === undefined) throw badParam("Missing required parameter DomainName in the post body");
      checkFields(p);
      checkDomainName(ctx, p.DomainName, null);
      const count = (ctx.db.prepare("SELECT COUNT(*) AS n FROM sip_domains WHERE account_sid = ?").get(ctx.accountSid) as { n: number }).n;
      if (count >= MAX_DOMAINS) throw new TwilioError(400, 21230, `Maximum Domains Reached: an account cannot have more than ${MAX_DOMAINS} domains`);
      const sid = ctx.sid("SD");
      const now = ctx.now().getTime();
      const cols: [string, unknown][] = [["sid", sid], ["account_sid", ctx.accountSid], ...columnValues(p), ["created_ms", now], ["updated_ms", now]];
      ctx.db
        .prepare(`INSERT INTO sip_domains (${cols.map((c) => c[0]).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`)
        .run(...cols.map((c) => c[1]));
      ctx.events.emit("sip_domain.created", { sid, domain_name: p.DomainName });
      return reply.code(201).send(domainJson(ctx, domainOr404(ctx, req, sid)));
    });

    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      readParams(req.query, { PageSize: { type: "string" }, Page: { type: "string" }, PageToken: { type: "string" } }, { where: "query" });
      const pr = readPaging(req.query);
      const page = fetchPage<DomainRow>(ctx.db, { table: "sip_domains", where: "account_sid = ?", args: [ctx.accountSid] }, pr);
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
    const cols = columnValues(p);
    cols.push(["updated_ms", ctx.now().getTime()]);
    ctx.db.prepare(`UPDATE sip_domains SET ${cols.map((c) => `${c[0]} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map((c) => c[1]), d.sid);
    ctx.events.emit("sip_domain.updated", { sid: d.sid });
    return domainJson(ctx, domainOr404(ctx, req, d.sid));
  });

  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const d = domainOr404(ctx, req, stripJson(req.params.sid));
    ctx.db.transaction(() => {
      ctx.db.prepare("DELETE FROM sip_domain_mappings WHERE domain_sid = ?").run(d.sid);
      ctx.db.prepare("DELETE FROM sip_domains WHERE sid = ?").run(d.sid);
    })();
    ctx.events.emit("sip_domain.deleted", { sid: d.sid });
    return reply.code(204).send();
  });
}
