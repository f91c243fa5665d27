/**
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
 * The mapped list must be a CredentialList / IpAccessControlList of the account (sip/routes.ts): an unknown
 * one is 404/20404 naming it; a malformed SID is 400/20001; mapping the same list twice is 409/20409 (mock
 * choices). A mapping shows its list's `friendly_name`; deleting the list deletes its mappings.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam, notFound } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, legacyEnvelope, readPaging } from "../../paging.js";
import { isSid } from "../../sids.js";
import { rfc2822Date } from "../../dates.js";
import { API_PREFIX, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "./common.js";
import { domainOr404 } from "./sip-domains.js";
import { listBySid } from "./sip/store.js";

interface MappingRow {
  [k: string]: unknown;
  seq: number;
  account_sid: string;
  domain_sid: string;
  kind: "credential_list" | "ip_access_control_list";
  scope: "calls" | "registrations";
  sid: string;
  created_ms: number;
  updated_ms: number;
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
  const r = ctx.db
    .prepare("SELECT * FROM sip_domain_mappings WHERE domain_sid = ? AND kind = ? AND scope = ? AND sid = ?")
    .get(domainSid, v.kind, v.scope, sid) as MappingRow | undefined;
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
      const exists = ctx.db
        .prepare("SELECT 1 FROM sip_domain_mappings WHERE domain_sid = ? AND kind = ? AND scope = ? AND sid = ?")
        .get(d.sid, v.kind, v.scope, listSid);
      if (exists) throw new TwilioError(409, 20409, `${listSid} is already mapped to domain ${d.sid}`);
      const now = ctx.now().getTime();
      ctx.db.transaction(() => {
        ctx.db
          .prepare("INSERT INTO sip_domain_mappings (account_sid, domain_sid, kind, scope, sid, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)")
          .run(ctx.accountSid, d.sid, v.kind, v.scope, listSid, now, now);
        ctx.db.prepare("UPDATE sip_domains SET updated_ms = ? WHERE sid = ?").run(now, d.sid);
      })();
      ctx.events.emit("sip_domain.mapped", { sid: d.sid, kind: v.kind, scope: v.scope, list_sid: listSid });
      return reply.code(201).send(mappingJson(ctx, mappingOr404(ctx, req, v, d.sid, listSid), v));
    });

    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      const d = domainOr404(ctx, req, req.params.domainSid);
      readParams(req.query, { PageSize: { type: "string" }, Page: { type: "string" }, PageToken: { type: "string" } }, { where: "query" });
      const pr = readPaging(req.query);
      const page = fetchPage<MappingRow>(
        ctx.db,
        { table: "sip_domain_mappings", where: "domain_sid = ? AND kind = ? AND scope = ?", args: [d.sid, v.kind, v.scope] },
        pr,
      );
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
    const now = ctx.now().getTime();
    ctx.db.transaction(() => {
      ctx.db.prepare("DELETE FROM sip_domain_mappings WHERE seq = ?").run(m.seq);
      ctx.db.prepare("UPDATE sip_domains SET updated_ms = ? WHERE sid = ?").run(now, d.sid);
    })();
    ctx.events.emit("sip_domain.unmapped", { sid: d.sid, kind: v.kind, scope: v.scope, list_sid: m.sid });
    return reply.code(204).send();
  });
}

export function registerSipDomainMappings(app: FastifyInstance, ctx: CloudContext): void {
  for (const v of VARIANTS) registerVariant(app, ctx, v);
}
