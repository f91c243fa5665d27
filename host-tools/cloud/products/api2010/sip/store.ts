/**
 * SIP storage (the only SQL of sip/): SIP Domains and their auth mappings, CredentialLists with their
 * Credentials, IpAccessControlLists with their IpAddresses (specs/twilio_api_v2010.json
 * `api.v2010.account.sip.*`), and the simulated calls to SIP Domains.
 *
 * Passwords are kept as scrypt hashes with a random salt, never as given (the real service keeps digest
 * hashes and never returns a password either).
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { CloudContext } from "../../../context.js";
import { fetchPage, type PageRequest, type PageResult } from "../../../paging.js";

const SIP_SCHEMA = `
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

const SIP_AUTH_SCHEMA = `
CREATE TABLE IF NOT EXISTS sip_credential_lists (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, friendly_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sip_credentials (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, list_sid TEXT NOT NULL,
  username TEXT NOT NULL, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  UNIQUE (list_sid, username));
CREATE TABLE IF NOT EXISTS sip_ip_access_control_lists (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, friendly_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sip_ip_addresses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, list_sid TEXT NOT NULL,
  friendly_name TEXT NOT NULL, ip_address TEXT NOT NULL, cidr_prefix_length INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sip_credentials_list ON sip_credentials (list_sid, seq);
CREATE INDEX IF NOT EXISTS sip_ip_addresses_list ON sip_ip_addresses (list_sid, seq);
CREATE TABLE IF NOT EXISTS sip_calls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL, domain_sid TEXT NOT NULL,
  domain_name TEXT NOT NULL, from_addr TEXT NOT NULL, to_addr TEXT NOT NULL, source_ip TEXT NOT NULL, username TEXT,
  sip_call_id TEXT NOT NULL, status TEXT NOT NULL, sip_response_code INTEGER, error_code INTEGER, error_message TEXT,
  answered_by TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
`;

/** Table caps: lists per account, entries per list, and the simulated calls kept. */
export const LIMITS = { lists: 1000, credentials: 1000, ipAddresses: 100, calls: 10_000 } as const;

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

export interface MappingRow {
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

/** A container: a CredentialList (`CL…`) or an IpAccessControlList (`AL…`). */
export interface ListRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  friendly_name: string;
  created_ms: number;
  updated_ms: number;
}

export interface CredentialRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  list_sid: string;
  username: string;
  password_hash: string;
  created_ms: number;
  updated_ms: number;
}

export interface IpAddressRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  list_sid: string;
  friendly_name: string;
  ip_address: string;
  cidr_prefix_length: number;
  created_ms: number;
  updated_ms: number;
}

/** What a call attempt is created with. */
export interface NewCall {
  sid: string;
  domain_sid: string;
  domain_name: string;
  from_addr: string;
  to_addr: string;
  source_ip: string;
  username: string | null;
  sip_call_id: string;
  status: string;
  sip_response_code: number | null;
  error_code: number | null;
  error_message: string | null;
  /** Which URL gave the TwiML: "voice_url" | "voice_fallback_url" | null. */
  answered_by: string | null;
}

export interface CallRow extends NewCall {
  [k: string]: unknown;
  seq: number;
  account_sid: string;
  created_ms: number;
  updated_ms: number;
}

export type ListKind = "credential_list" | "ip_access_control_list";
export const LIST_TABLE: Record<ListKind, string> = { credential_list: "sip_credential_lists", ip_access_control_list: "sip_ip_access_control_lists" };
export const ENTRY_TABLE: Record<ListKind, string> = { credential_list: "sip_credentials", ip_access_control_list: "sip_ip_addresses" };

// ---- passwords ----

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString("hex")}:${scryptSync(password, salt, 32).toString("hex")}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split(":");
  if (kind !== "scrypt" || salt === undefined || hash === undefined) return false;
  const want = Buffer.from(hash, "hex");
  return timingSafeEqual(scryptSync(password, Buffer.from(salt, "hex"), want.length), want);
}

// ---- lists and their entries ----

export function listBySid(ctx: CloudContext, kind: ListKind, sid: string): ListRow | undefined {
  return ctx.db.prepare(`SELECT * FROM ${LIST_TABLE[kind]} WHERE sid = ? AND account_sid = ?`).get(sid, ctx.accountSid) as ListRow | undefined;
}

export function listByName(ctx: CloudContext, kind: ListKind, friendlyName: string): ListRow | undefined {
  return ctx.db.prepare(`SELECT * FROM ${LIST_TABLE[kind]} WHERE friendly_name = ? AND account_sid = ?`).get(friendlyName, ctx.accountSid) as ListRow | undefined;
}

export function countLists(ctx: CloudContext, kind: ListKind): number {
  return (ctx.db.prepare(`SELECT COUNT(*) AS n FROM ${LIST_TABLE[kind]} WHERE account_sid = ?`).get(ctx.accountSid) as { n: number }).n;
}

export function insertList(ctx: CloudContext, kind: ListKind, sid: string, friendlyName: string): void {
  const now = ctx.now().getTime();
  ctx.db.prepare(`INSERT INTO ${LIST_TABLE[kind]} (sid, account_sid, friendly_name, created_ms, updated_ms) VALUES (?,?,?,?,?)`)
    .run(sid, ctx.accountSid, friendlyName, now, now);
}

export function renameList(ctx: CloudContext, kind: ListKind, sid: string, friendlyName: string): void {
  ctx.db.prepare(`UPDATE ${LIST_TABLE[kind]} SET friendly_name = ?, updated_ms = ? WHERE sid = ?`).run(friendlyName, ctx.now().getTime(), sid);
}

/** Deletes a list, its entries and every domain mapping of it, in one transaction. */
export function deleteList(ctx: CloudContext, kind: ListKind, sid: string): void {
  ctx.db.transaction(() => {
    ctx.db.prepare(`DELETE FROM ${ENTRY_TABLE[kind]} WHERE list_sid = ?`).run(sid);
    ctx.db.prepare("DELETE FROM sip_domain_mappings WHERE kind = ? AND sid = ?").run(kind, sid);
    ctx.db.prepare(`DELETE FROM ${LIST_TABLE[kind]} WHERE sid = ?`).run(sid);
  })();
}

/** One page of the account's lists of `kind`, newest first. */
export function pageOfLists(ctx: CloudContext, kind: ListKind, pr: PageRequest): PageResult<ListRow> {
  return fetchPage<ListRow>(ctx.db, { table: LIST_TABLE[kind], where: "account_sid = ?", args: [ctx.accountSid] }, pr);
}

/** One page of a list's entries, newest first. */
export function pageOfEntries<T extends Record<string, unknown>>(ctx: CloudContext, kind: ListKind, listSid: string, pr: PageRequest): PageResult<T> {
  return fetchPage<T>(ctx.db, { table: ENTRY_TABLE[kind], where: "list_sid = ?", args: [listSid] }, pr);
}

export function countEntries(ctx: CloudContext, kind: ListKind, listSid: string): number {
  return (ctx.db.prepare(`SELECT COUNT(*) AS n FROM ${ENTRY_TABLE[kind]} WHERE list_sid = ?`).get(listSid) as { n: number }).n;
}

export function entryBySid<T>(ctx: CloudContext, kind: ListKind, listSid: string, sid: string): T | undefined {
  return ctx.db.prepare(`SELECT * FROM ${ENTRY_TABLE[kind]} WHERE list_sid = ? AND sid = ?`).get(listSid, sid) as T | undefined;
}

export function deleteEntry(ctx: CloudContext, kind: ListKind, sid: string): void {
  ctx.db.prepare(`DELETE FROM ${ENTRY_TABLE[kind]} WHERE sid = ?`).run(sid);
}

export function credentialByUsername(ctx: CloudContext, listSid: string, username: string): CredentialRow | undefined {
  return ctx.db.prepare("SELECT * FROM sip_credentials WHERE list_sid = ? AND username = ?").get(listSid, username) as CredentialRow | undefined;
}

export function insertCredential(ctx: CloudContext, sid: string, listSid: string, username: string, password: string): void {
  const now = ctx.now().getTime();
  ctx.db.prepare("INSERT INTO sip_credentials (sid, account_sid, list_sid, username, password_hash, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)")
    .run(sid, ctx.accountSid, listSid, username, hashPassword(password), now, now);
}

export function setCredentialPassword(ctx: CloudContext, sid: string, password: string): void {
  ctx.db.prepare("UPDATE sip_credentials SET password_hash = ?, updated_ms = ? WHERE sid = ?").run(hashPassword(password), ctx.now().getTime(), sid);
}

export function insertIpAddress(ctx: CloudContext, sid: string, listSid: string, friendlyName: string, ip: string, prefix: number): void {
  const now = ctx.now().getTime();
  ctx.db.prepare(`INSERT INTO sip_ip_addresses (sid, account_sid, list_sid, friendly_name, ip_address, cidr_prefix_length, created_ms, updated_ms)
    VALUES (?,?,?,?,?,?,?,?)`).run(sid, ctx.accountSid, listSid, friendlyName, ip, prefix, now, now);
}

export function updateIpAddress(ctx: CloudContext, sid: string, friendlyName: string, ip: string, prefix: number): void {
  ctx.db.prepare("UPDATE sip_ip_addresses SET friendly_name = ?, ip_address = ?, cidr_prefix_length = ?, updated_ms = ? WHERE sid = ?")
    .run(friendlyName, ip, prefix, ctx.now().getTime(), sid);
}

export function ipAddressesOf(ctx: CloudContext, listSid: string): IpAddressRow[] {
  return ctx.db.prepare("SELECT * FROM sip_ip_addresses WHERE list_sid = ? ORDER BY seq").all(listSid) as IpAddressRow[];
}

// ---- domains ----

/** The SID of the domain named `name` (of any account: names are global, compared without case). */
export function domainNameOwner(ctx: CloudContext, name: string): string | null {
  return (ctx.db.prepare("SELECT sid FROM sip_domains WHERE domain_name = ?").get(name) as { sid: string } | undefined)?.sid ?? null;
}

/** True when this account owns the domain named `name`. */
export function ownsDomain(ctx: CloudContext, name: string): boolean {
  return ctx.db.prepare("SELECT 1 FROM sip_domains WHERE domain_name = ? AND account_sid = ?").get(name, ctx.accountSid) !== undefined;
}

export function countDomains(ctx: CloudContext): number {
  return (ctx.db.prepare("SELECT COUNT(*) AS n FROM sip_domains WHERE account_sid = ?").get(ctx.accountSid) as { n: number }).n;
}

/** A domain of this account by SID. */
export function domainBySid(ctx: CloudContext, sid: string): DomainRow | undefined {
  return ctx.db.prepare("SELECT * FROM sip_domains WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as DomainRow | undefined;
}

/** Settable columns of a domain (their names are this module's callers', never input). */
export type DomainFields = Partial<Omit<DomainRow, "seq" | "sid" | "account_sid" | "created_ms" | "updated_ms">>;

export function insertDomain(ctx: CloudContext, sid: string, fields: DomainFields, now: number): void {
  const cols: [string, unknown][] = [["sid", sid], ["account_sid", ctx.accountSid], ...Object.entries(fields), ["created_ms", now], ["updated_ms", now]];
  ctx.db.prepare(`INSERT INTO sip_domains (${cols.map((c) => c[0]).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(...cols.map((c) => c[1]));
}

export function updateDomain(ctx: CloudContext, sid: string, fields: DomainFields, now: number): void {
  const cols: [string, unknown][] = [...Object.entries(fields), ["updated_ms", now]];
  ctx.db.prepare(`UPDATE sip_domains SET ${cols.map((c) => `${c[0]} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map((c) => c[1]), sid);
}

/** Deletes a domain and its mappings, in one transaction. */
export function deleteDomain(ctx: CloudContext, sid: string): void {
  ctx.db.transaction(() => {
    ctx.db.prepare("DELETE FROM sip_domain_mappings WHERE domain_sid = ?").run(sid);
    ctx.db.prepare("DELETE FROM sip_domains WHERE sid = ?").run(sid);
  })();
}

/** One page of the account's domains, newest first. */
export function pageOfDomains(ctx: CloudContext, pr: PageRequest): PageResult<DomainRow> {
  return fetchPage<DomainRow>(ctx.db, { table: "sip_domains", where: "account_sid = ?", args: [ctx.accountSid] }, pr);
}

/** The kinds of list mapped to a domain for calls. */
export function callMappingKinds(ctx: CloudContext, domainSid: string): Set<string> {
  return new Set((ctx.db.prepare("SELECT DISTINCT kind FROM sip_domain_mappings WHERE domain_sid = ? AND scope = 'calls'").all(domainSid) as { kind: string }[]).map((r) => r.kind));
}

// ---- domain mappings ----

export function mappingOf(ctx: CloudContext, domainSid: string, kind: ListKind, scope: MappingRow["scope"], sid: string): MappingRow | undefined {
  return ctx.db.prepare("SELECT * FROM sip_domain_mappings WHERE domain_sid = ? AND kind = ? AND scope = ? AND sid = ?").get(domainSid, kind, scope, sid) as MappingRow | undefined;
}

/** Maps a list to a domain (and marks the domain updated), in one transaction. */
export function insertMapping(ctx: CloudContext, domainSid: string, kind: ListKind, scope: MappingRow["scope"], listSid: string): void {
  const now = ctx.now().getTime();
  ctx.db.transaction(() => {
    ctx.db.prepare("INSERT INTO sip_domain_mappings (account_sid, domain_sid, kind, scope, sid, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)")
      .run(ctx.accountSid, domainSid, kind, scope, listSid, now, now);
    ctx.db.prepare("UPDATE sip_domains SET updated_ms = ? WHERE sid = ?").run(now, domainSid);
  })();
}

/** Removes a mapping (and marks its domain updated), in one transaction. */
export function deleteMapping(ctx: CloudContext, m: MappingRow): void {
  const now = ctx.now().getTime();
  ctx.db.transaction(() => {
    ctx.db.prepare("DELETE FROM sip_domain_mappings WHERE seq = ?").run(m.seq);
    ctx.db.prepare("UPDATE sip_domains SET updated_ms = ? WHERE sid = ?").run(now, m.domain_sid);
  })();
}

/** One page of a domain's mappings of one kind and scope, newest first. */
export function pageOfMappings(ctx: CloudContext, domainSid: string, kind: ListKind, scope: MappingRow["scope"], pr: PageRequest): PageResult<MappingRow> {
  return fetchPage<MappingRow>(ctx.db, { table: "sip_domain_mappings", where: "domain_sid = ? AND kind = ? AND scope = ?", args: [domainSid, kind, scope] }, pr);
}

// ---- domains, for a call ----

/** What a call reads of its domain. */
export type CallDomain = Pick<
  DomainRow,
  "sid" | "domain_name" | "voice_url" | "voice_method" | "voice_fallback_url" | "voice_fallback_method" | "voice_status_callback_url" | "voice_status_callback_method"
>;

export function domainByName(ctx: CloudContext, name: string): CallDomain | undefined {
  return ctx.db
    .prepare(`SELECT sid, domain_name, voice_url, voice_method, voice_fallback_url, voice_fallback_method, voice_status_callback_url,
      voice_status_callback_method FROM sip_domains WHERE domain_name = ? AND account_sid = ?`)
    .get(name, ctx.accountSid) as CallDomain | undefined;
}

/** The lists mapped to a domain for calls (the legacy mappings and Auth/Calls are the same records). */
export function callMappings(ctx: CloudContext, domainSid: string): { kind: ListKind; sid: string }[] {
  return ctx.db.prepare("SELECT kind, sid FROM sip_domain_mappings WHERE domain_sid = ? AND scope = 'calls' ORDER BY seq").all(domainSid) as {
    kind: ListKind;
    sid: string;
  }[];
}

// ---- calls ----

/** Stores a call attempt; the oldest beyond LIMITS.calls go. */
export function insertCall(ctx: CloudContext, c: NewCall): CallRow {
  const now = ctx.now().getTime();
  ctx.db.transaction(() => {
    ctx.db
      .prepare(`INSERT INTO sip_calls (sid, account_sid, domain_sid, domain_name, from_addr, to_addr, source_ip, username, sip_call_id, status,
        sip_response_code, error_code, error_message, answered_by, created_ms, updated_ms)
        VALUES (@sid, @account_sid, @domain_sid, @domain_name, @from_addr, @to_addr, @source_ip, @username, @sip_call_id, @status,
        @sip_response_code, @error_code, @error_message, @answered_by, @now, @now)`)
      .run({ ...c, account_sid: ctx.accountSid, now });
    ctx.db.prepare("DELETE FROM sip_calls WHERE seq <= (SELECT MAX(seq) FROM sip_calls) - ?").run(LIMITS.calls);
  })();
  return callBySid(ctx, c.sid) as CallRow;
}

export function updateCall(ctx: CloudContext, sid: string, fields: Partial<Pick<CallRow, "status" | "error_code" | "error_message" | "answered_by">>): CallRow | undefined {
  const cols = Object.entries(fields);
  ctx.db.prepare(`UPDATE sip_calls SET ${cols.map(([k]) => `${k} = ?`).join(", ")}, updated_ms = ? WHERE sid = ?`)
    .run(...cols.map(([, v]) => v), ctx.now().getTime(), sid);
  return callBySid(ctx, sid);
}

export function callBySid(ctx: CloudContext, sid: string): CallRow | undefined {
  return ctx.db.prepare("SELECT * FROM sip_calls WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as CallRow | undefined;
}

export function recentCalls(ctx: CloudContext, domainSid: string | null, limit: number): CallRow[] {
  return (domainSid === null
    ? ctx.db.prepare("SELECT * FROM sip_calls WHERE account_sid = ? ORDER BY seq DESC LIMIT ?").all(ctx.accountSid, limit)
    : ctx.db.prepare("SELECT * FROM sip_calls WHERE account_sid = ? AND domain_sid = ? ORDER BY seq DESC LIMIT ?").all(ctx.accountSid, domainSid, limit)) as CallRow[];
}

/** Creates the tables (if they do not exist yet). */
export function createTables(ctx: CloudContext): void {
  ctx.db.exec(SIP_SCHEMA);
  ctx.db.exec(SIP_AUTH_SCHEMA);
}
