/**
 * 2010 SIP CredentialLists and IpAccessControlLists — enough of their API for a SIP Domain's auth mappings to
 * mean something (specs/twilio_api_v2010.json), each with create 201 / list 200 / fetch 200 / update 200 /
 * delete 204 (`.json` optional, RFC 2822 dates, `uri`s relative to https://api.twilio.com):
 *   …/SIP/CredentialLists[/{CL}]                          FriendlyName (required, ≤ 64, unique)      key `credential_lists`
 *   …/SIP/CredentialLists/{CL}/Credentials[/{CR}]         Username (≤ 32), Password (update: Password) key `credentials`
 *   …/SIP/IpAccessControlLists[/{AL}]                     FriendlyName (required, ≤ 255)             key `ip_access_control_lists`
 *   …/SIP/IpAccessControlLists/{AL}/IpAddresses[/{IP}]    FriendlyName, IpAddress (IPv4), CidrPrefixLength (0–32, default 32:
 *                                                         "by default the entire IP address is used") key `ip_addresses`
 * Credential List validation (a taken FriendlyName, a missing or too long Username, a Password under 12
 * characters or without a digit or without both cases, a Username already in the list) is 400/21240
 * "Credential List Validation Error"; other bad input 400/20001. A password is never returned. Deleting a
 * list deletes its entries and its domain mappings. Caps (store.ts LIMITS): 1,000 lists of each kind, 1,000
 * credentials and 100 IP addresses per list.
 *
 * Mock-only (JSON, the account's credentials), a simulated call to a SIP Domain (network.ts runs it):
 *   POST /_mock/sip/calls {domain, from, to, username?, password?, source_ip?} → 201 the call attempt: `blocked`
 *        or `refused` (with sip_response_code 403 and the error) at once, else `ringing`, then `completed` or
 *        `failed` once the voice webhooks are done (events sip_call.*). `from`/`to` are SIP URIs, or a user
 *        part (`to` then gets the domain as host, `from` the source IP); source_ip defaults to the caller's
 *        address. 404/20404 for an unknown domain, 400/20001 for bad fields.
 *   GET  /_mock/sip/calls[?domain=] → {calls: […]} the latest 200, newest first; GET /_mock/sip/calls/{CA…}.
 * A call attempt is kept 30 days, and at most the latest 10,000.
 */
import { randomUUID } from "node:crypto";
import { isIPv4 } from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../../context.js";
import { rfc2822Date } from "../../../dates.js";
import { TwilioError, badParam, notFound } from "../../../errors.js";
import { jsonObject, readParams } from "../../../form.js";
import { legacyEnvelope, readPaging } from "../../../paging.js";
import { isSid } from "../../../sids.js";
import { API_PREFIX, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "../common.js";
import {
  LIMITS, callBySid, countEntries, countLists, credentialByUsername, deleteEntry, deleteList, domainByName, entryBySid, insertCall,
  insertCredential, insertIpAddress, insertList, listByName, listBySid, pageOfEntries, pageOfLists, recentCalls, renameList,
  setCredentialPassword, updateIpAddress, type CallRow, type CredentialRow, type IpAddressRow, type ListKind, type ListRow,
} from "./store.js";
import { authenticate, SipCalls } from "./network.js";

interface ListKindSpec {
  kind: ListKind;
  /** Path segment after /SIP/. */
  path: string;
  prefix: "CL" | "AL";
  key: string;
  /** Entries: path segment, SID prefix, list key. */
  entries: { path: string; prefix: "CR" | "IP"; key: string; max: number };
  maxName: number;
  uniqueName: boolean;
}

const KINDS: ListKindSpec[] = [
  {
    kind: "credential_list", path: "CredentialLists", prefix: "CL", key: "credential_lists",
    entries: { path: "Credentials", prefix: "CR", key: "credentials", max: LIMITS.credentials }, maxName: 64, uniqueName: true,
  },
  {
    kind: "ip_access_control_list", path: "IpAccessControlLists", prefix: "AL", key: "ip_access_control_lists",
    entries: { path: "IpAddresses", prefix: "IP", key: "ip_addresses", max: LIMITS.ipAddresses }, maxName: 255, uniqueName: false,
  },
];

const PAGING = { PageSize: { type: "string" }, Page: { type: "string" }, PageToken: { type: "string" } } as const;

function invalidCredentials(why: string): TwilioError {
  return new TwilioError(400, 21240, `Credential List Validation Error: ${why}`);
}

/** The Credential rules: a Username of 1–32 characters usable in a SIP URI; a Password of 12+ with a digit and mixed case. */
function checkUsername(u: string): void {
  if ([...u].length > 32) throw invalidCredentials("Username must have 32 characters or less");
  if (!/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/.test(u)) throw invalidCredentials("Username may contain only characters allowed in the user part of a SIP URI");
}

function checkPassword(p: string): void {
  if ([...p].length < 12 || [...p].length > 255 || !/\d/.test(p) || !/[a-z]/.test(p) || !/[A-Z]/.test(p))
    throw invalidCredentials("Password must be at least 12 characters long and contain at least one digit, one lowercase and one uppercase letter");
}

function checkIp(ip: string, prefix: number): void {
  if (!isIPv4(ip)) throw badParam(`IpAddress must be an IPv4 address in dotted decimal notation, got '${ip}'`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw badParam(`CidrPrefixLength must be between 0 and 32, got ${prefix}`);
}

function listUri(accountSid: string, k: ListKindSpec, sid: string): string {
  return `${accountUri(accountSid)}/SIP/${k.path}/${sid}`;
}

function listJson(k: ListKindSpec, r: ListRow): Record<string, unknown> {
  const uri = listUri(r.account_sid, k, r.sid);
  return {
    account_sid: r.account_sid,
    date_created: rfc2822Date(r.created_ms),
    date_updated: rfc2822Date(r.updated_ms),
    friendly_name: r.friendly_name,
    sid: r.sid,
    subresource_uris: { [k.entries.key]: `${uri}/${k.entries.path}.json` },
    uri: `${uri}.json`,
  };
}

function entryJson(k: ListKindSpec, r: CredentialRow | IpAddressRow): Record<string, unknown> {
  const common = {
    sid: r.sid,
    account_sid: r.account_sid,
    date_created: rfc2822Date(r.created_ms),
    date_updated: rfc2822Date(r.updated_ms),
    uri: `${listUri(r.account_sid, k, r.list_sid)}/${k.entries.path}/${r.sid}.json`,
  };
  if (k.kind === "credential_list") return { ...common, credential_list_sid: r.list_sid, username: (r as CredentialRow).username };
  const ip = r as IpAddressRow;
  return { ...common, friendly_name: ip.friendly_name, ip_address: ip.ip_address, cidr_prefix_length: ip.cidr_prefix_length, ip_access_control_list_sid: ip.list_sid };
}

type P = { Params: { accountSid: string; sid: string; listSid: string } };

function registerKind(app: FastifyInstance, ctx: CloudContext, k: ListKindSpec): void {
  const base = `${API_PREFIX}/Accounts/:accountSid/SIP/${k.path}`;
  const listOr404 = (req: FastifyRequest, sid: string): ListRow => {
    const r = isSid(sid, k.prefix) ? listBySid(ctx, k.kind, sid) : undefined;
    if (!r) throw notFoundHere(req);
    return r;
  };
  const nameOf = (req: FastifyRequest, self: string | null): string => {
    const p = readParams(req.body, { FriendlyName: { type: "string", required: true } });
    if ([...p.FriendlyName].length > k.maxName) {
      if (k.kind === "credential_list") throw invalidCredentials(`FriendlyName must be ${k.maxName} characters or less`);
      throw badParam(`FriendlyName must be ${k.maxName} characters or less`);
    }
    const other = k.uniqueName ? listByName(ctx, k.kind, p.FriendlyName) : undefined;
    if (other && other.sid !== self) throw invalidCredentials(`a Credential List named '${p.FriendlyName}' already exists`);
    return p.FriendlyName;
  };

  for (const path of withJson(base)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const name = nameOf(req, null);
      if (countLists(ctx, k.kind) >= LIMITS.lists) throw badParam(`An account can have at most ${LIMITS.lists} ${k.path}`);
      const sid = ctx.sid(k.prefix);
      insertList(ctx, k.kind, sid, name);
      ctx.events.emit(`sip.${k.kind}.created`, { sid, friendly_name: name });
      return reply.code(201).send(listJson(k, listOr404(req, sid)));
    });
    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      readParams(req.query, PAGING, { where: "query" });
      const pr = readPaging(req.query);
      const page = pageOfLists(ctx, k.kind, pr);
      const url = `${accountUri(ctx.accountSid)}/SIP/${k.path}.json`;
      return legacyEnvelope({ key: k.key, url, filters: [], pr, page, items: page.rows.map((r) => listJson(k, r)) });
    });
  }

  app.get<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    return listJson(k, listOr404(req, stripJson(req.params.sid)));
  });
  app.post<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const l = listOr404(req, stripJson(req.params.sid));
    renameList(ctx, k.kind, l.sid, nameOf(req, l.sid));
    return listJson(k, listOr404(req, l.sid));
  });
  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const l = listOr404(req, stripJson(req.params.sid));
    deleteList(ctx, k.kind, l.sid);
    ctx.events.emit(`sip.${k.kind}.deleted`, { sid: l.sid });
    return reply.code(204).send();
  });

  const entries = `${base}/:listSid/${k.entries.path}`;
  const entryOr404 = (req: FastifyRequest, l: ListRow, sid: string): CredentialRow | IpAddressRow => {
    const r = isSid(sid, k.entries.prefix) ? entryBySid<CredentialRow | IpAddressRow>(ctx, k.kind, l.sid, sid) : undefined;
    if (!r) throw notFoundHere(req);
    return r;
  };
  for (const path of withJson(entries)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const l = listOr404(req, req.params.listSid);
      const sid = ctx.sid(k.entries.prefix);
      if (k.kind === "credential_list") {
        const raw = (req.body ?? {}) as Record<string, unknown>;
        if (raw.Username === undefined || raw.Username === "") throw invalidCredentials("a Username is required");
        if (raw.Password === undefined || raw.Password === "") throw invalidCredentials("a Password is required");
        const p = readParams(req.body, { Username: { type: "string", required: true }, Password: { type: "string", required: true } });
        checkUsername(p.Username);
        checkPassword(p.Password);
        if (credentialByUsername(ctx, l.sid, p.Username)) throw invalidCredentials(`Username '${p.Username}' is already in this Credential List`);
        if (countEntries(ctx, k.kind, l.sid) >= k.entries.max) throw badParam(`A Credential List holds at most ${k.entries.max} Credentials`);
        insertCredential(ctx, sid, l.sid, p.Username, p.Password);
      } else {
        const p = readParams(req.body, {
          FriendlyName: { type: "string", required: true, maxLength: 255 },
          IpAddress: { type: "string", required: true },
          CidrPrefixLength: { type: "integer", min: 0, max: 32 },
        });
        const prefix = p.CidrPrefixLength ?? 32;
        checkIp(p.IpAddress, prefix);
        if (countEntries(ctx, k.kind, l.sid) >= k.entries.max) throw badParam(`An IP Access Control List holds at most ${k.entries.max} IpAddresses`);
        insertIpAddress(ctx, sid, l.sid, p.FriendlyName, p.IpAddress, prefix);
      }
      ctx.events.emit(`sip.${k.kind}.entry_created`, { sid, list_sid: l.sid });
      return reply.code(201).send(entryJson(k, entryOr404(req, l, sid)));
    });
    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      const l = listOr404(req, req.params.listSid);
      readParams(req.query, PAGING, { where: "query" });
      const pr = readPaging(req.query);
      const page = pageOfEntries<CredentialRow | IpAddressRow>(ctx, k.kind, l.sid, pr);
      const url = `${listUri(ctx.accountSid, k, l.sid)}/${k.entries.path}.json`;
      return legacyEnvelope({ key: k.entries.key, url, filters: [], pr, page, items: page.rows.map((r) => entryJson(k, r)) });
    });
  }

  app.get<P>(`${entries}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    return entryJson(k, entryOr404(req, listOr404(req, req.params.listSid), stripJson(req.params.sid)));
  });
  app.post<P>(`${entries}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const l = listOr404(req, req.params.listSid);
    const e = entryOr404(req, l, stripJson(req.params.sid));
    if (k.kind === "credential_list") {
      const p = readParams(req.body, { Password: { type: "string" } });
      if (p.Password !== undefined) {
        checkPassword(p.Password);
        setCredentialPassword(ctx, e.sid, p.Password);
      }
    } else {
      const ip = e as IpAddressRow;
      const p = readParams(req.body, {
        FriendlyName: { type: "string", maxLength: 255 },
        IpAddress: { type: "string" },
        CidrPrefixLength: { type: "integer", min: 0, max: 32 },
      });
      const next = { name: p.FriendlyName ?? ip.friendly_name, ip: p.IpAddress ?? ip.ip_address, prefix: p.CidrPrefixLength ?? ip.cidr_prefix_length };
      checkIp(next.ip, next.prefix);
      updateIpAddress(ctx, e.sid, next.name, next.ip, next.prefix);
    }
    return entryJson(k, entryOr404(req, l, e.sid));
  });
  app.delete<P>(`${entries}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const l = listOr404(req, req.params.listSid);
    const e = entryOr404(req, l, stripJson(req.params.sid));
    deleteEntry(ctx, k.kind, e.sid);
    ctx.events.emit(`sip.${k.kind}.entry_deleted`, { sid: e.sid, list_sid: l.sid });
    return reply.code(204).send();
  });
}

export function registerSipLists(app: FastifyInstance, ctx: CloudContext): void {
  for (const k of KINDS) registerKind(app, ctx, k);
}

function callJson(r: CallRow): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: r.account_sid,
    domain_sid: r.domain_sid,
    domain_name: r.domain_name,
    from: r.from_addr,
    to: r.to_addr,
    source_ip: r.source_ip,
    username: r.username,
    sip_call_id: r.sip_call_id,
    status: r.status,
    sip_response_code: r.sip_response_code,
    error_code: r.error_code,
    error_message: r.error_message,
    answered_by: r.answered_by,
    date_created: rfc2822Date(r.created_ms),
    date_updated: rfc2822Date(r.updated_ms),
  };
}

const CALL_FIELDS = ["domain", "from", "to", "username", "password", "source_ip"];

/** The address a request came from, as an IPv4 address when it is one (IPv4-mapped IPv6 unwrapped). */
function requestIp(req: FastifyRequest): string {
  const ip = req.socket.remoteAddress ?? "";
  return ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function registerSipCalls(app: FastifyInstance, ctx: CloudContext): void {
  ctx.retain("sip_calls");
  const calls = new SipCalls(ctx);
  app.addHook("onClose", async () => calls.close());

  app.post("/_mock/sip/calls", async (req, reply) => {
    const body = jsonObject(req.body, CALL_FIELDS);
    const str = (k: string, required: boolean, max: number): string | null => {
      const v = body[k];
      if (v === undefined || v === null) {
        if (required) throw badParam(`Missing required parameter ${k}`);
        return null;
      }
      if (typeof v !== "string" || v.length === 0 || [...v].length > max || !/^[^\s\p{Cc}]+$/u.test(v)) throw badParam(`${k} must be a string of 1 to ${max} characters without spaces`);
      return v;
    };
    const domainName = str("domain", true, 253) as string;
    const from = str("from", true, 256) as string;
    const to = str("to", true, 256) as string;
    const username = str("username", false, 32);
    const password = str("password", false, 255);
    const sourceIp = str("source_ip", false, 15) ?? requestIp(req);
    if ((username === null) !== (password === null)) throw badParam("username and password go together");
    if (body.source_ip !== undefined && !isIPv4(sourceIp)) throw badParam(`source_ip must be an IPv4 address, got '${sourceIp}'`);
    const domain = domainByName(ctx, domainName);
    if (!domain) throw notFound(`/SIP/Domains/${domainName}`);
    const auth = authenticate(ctx, domain.sid, { sourceIp, username, password });
    const call = insertCall(ctx, {
      sid: ctx.sid("CA"),
      domain_sid: domain.sid,
      domain_name: domain.domain_name,
      from_addr: from.startsWith("sip:") ? from : `sip:${from}@${sourceIp}`,
      to_addr: to.startsWith("sip:") ? to : `sip:${to}@${domain.domain_name}`,
      source_ip: sourceIp,
      username,
      sip_call_id: `${randomUUID()}@${sourceIp}`,
      status: auth.ok ? "ringing" : auth.status,
      sip_response_code: auth.ok ? null : auth.sipCode,
      error_code: auth.ok ? null : auth.errorCode,
      error_message: auth.ok ? null : auth.message,
      answered_by: null,
    });
    ctx.events.emit(`sip_call.${call.status}`, { call_sid: call.sid, domain_sid: domain.sid, auth: auth.ok ? auth.methods : [], error_code: call.error_code });
    if (auth.ok) void calls.run(call, domain);
    return reply.code(201).send(callJson(call));
  });

  app.get("/_mock/sip/calls", async (req) => {
    const q = readParams(req.query, { domain: { type: "string" } }, { where: "query" });
    let domainSid: string | null = null;
    if (q.domain !== undefined) {
      const d = domainByName(ctx, q.domain);
      if (!d) return { calls: [] };
      domainSid = d.sid;
    }
    return { calls: recentCalls(ctx, domainSid, 200).map(callJson) };
  });

  app.get<{ Params: { sid: string } }>("/_mock/sip/calls/:sid", async (req) => {
    const r = isSid(req.params.sid, "CA") ? callBySid(ctx, req.params.sid) : undefined;
    if (!r) throw notFound(`/_mock/sip/calls/${req.params.sid}`);
    return callJson(r);
  });
}
