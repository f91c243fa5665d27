/**
 * 2010 Messages storage, the only SQL of messages/: the `api_messages` table, the mock's per-account messaging
 * settings (trial flag, verified and unreachable numbers) and the account's incoming numbers.
 */
import type { CloudContext } from "../../../context.js";
import { fetchPage, ListFilter, type PageRequest, type PageResult } from "../../../paging.js";
import { encodeSubmit } from "../../../../pdu/index.js";

const MESSAGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS api_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  messaging_service_sid TEXT,
  from_addr TEXT,
  to_addr TEXT NOT NULL,
  body TEXT NOT NULL,
  num_segments INTEGER NOT NULL,
  num_media INTEGER NOT NULL DEFAULT 0,
  direction TEXT NOT NULL,
  status TEXT NOT NULL,
  error_code INTEGER,
  error_message TEXT,
  price TEXT,
  price_unit TEXT,
  status_callback TEXT,
  sent_ms INTEGER,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_messaging_settings (
  account_sid TEXT PRIMARY KEY,
  trial INTEGER NOT NULL DEFAULT 0,
  verified TEXT NOT NULL DEFAULT '[]',
  unreachable TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS api_incoming_numbers (
  phone_number TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL,
  sms_url TEXT,
  sms_method TEXT NOT NULL DEFAULT 'POST'
);
`;

export interface MessageRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  messaging_service_sid: string | null;
  from_addr: string | null;
  to_addr: string;
  body: string;
  num_segments: number;
  num_media: number;
  direction: "inbound" | "outbound-api";
  status: string;
  error_code: number | null;
  error_message: string | null;
  price: string | null;
  price_unit: string | null;
  status_callback: string | null;
  sent_ms: number | null;
  created_ms: number;
  updated_ms: number;
}

/** SMS segments the body needs (GSM-7 or UCS-2, with the concatenation header from the 2nd segment on). */
export function segments(text: string): number {
  if (text === "") return 1;
  try {
    return encodeSubmit({ to: "000", text, includeSmsc: false }).length;
  } catch {
    return Math.ceil([...text].length / 67);
  }
}

export interface MessagingSettings {
  trial: boolean;
  verified: Set<string>;
  unreachable: Set<string>;
}

export function settingsOf(ctx: CloudContext): MessagingSettings {
  const r = ctx.db.prepare("SELECT * FROM api_messaging_settings WHERE account_sid = ?").get(ctx.accountSid) as
    | { trial: number; verified: string; unreachable: string }
    | undefined;
  if (!r) return { trial: false, verified: new Set(), unreachable: new Set() };
  return { trial: r.trial === 1, verified: new Set(JSON.parse(r.verified) as string[]), unreachable: new Set(JSON.parse(r.unreachable) as string[]) };
}

/** Replaces the account's messaging settings. */
export function saveSettings(ctx: CloudContext, s: { trial: boolean; verified: string[]; unreachable: string[] }): void {
  ctx.db
    .prepare("INSERT OR REPLACE INTO api_messaging_settings (account_sid, trial, verified, unreachable) VALUES (?,?,?,?)")
    .run(ctx.accountSid, s.trial ? 1 : 0, JSON.stringify(s.verified), JSON.stringify(s.unreachable));
}

/** Adds (or replaces) one of the account's incoming numbers and its SMS webhook. */
export function saveIncomingNumber(ctx: CloudContext, number: string, url: string | null, method: string): void {
  ctx.db.prepare("INSERT OR REPLACE INTO api_incoming_numbers (phone_number, account_sid, sms_url, sms_method) VALUES (?,?,?,?)").run(number, ctx.accountSid, url, method);
}

export function incomingNumber(ctx: CloudContext, number: string): { sms_url: string | null; sms_method: string } | undefined {
  return ctx.db.prepare("SELECT * FROM api_incoming_numbers WHERE phone_number = ? AND account_sid = ?").get(number, ctx.accountSid) as
    | { sms_url: string | null; sms_method: string }
    | undefined;
}

/** The account's first incoming number: the sender of a Message sent through a Messaging Service. */
export function firstIncomingNumber(ctx: CloudContext): string | null {
  const r = ctx.db.prepare("SELECT phone_number FROM api_incoming_numbers WHERE account_sid = ? ORDER BY phone_number LIMIT 1").get(ctx.accountSid) as
    | { phone_number: string }
    | undefined;
  return r?.phone_number ?? null;
}

/** A Message of any account by SID. */
export function rowOf(ctx: CloudContext, sid: string): MessageRow | undefined {
  return ctx.db.prepare("SELECT * FROM api_messages WHERE sid = ?").get(sid) as MessageRow | undefined;
}

/** A Message of this account by SID. */
export function messageOfAccount(ctx: CloudContext, sid: string): MessageRow | undefined {
  return ctx.db.prepare("SELECT * FROM api_messages WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as MessageRow | undefined;
}

export type NewOutbound = Pick<MessageRow, "sid" | "messaging_service_sid" | "from_addr" | "to_addr" | "body" | "num_segments" | "num_media" | "status_callback">;

/** Stores an outbound Message, status `queued`. */
export function insertOutbound(ctx: CloudContext, m: NewOutbound, now: number): MessageRow {
  ctx.db
    .prepare(`INSERT INTO api_messages (sid, account_sid, messaging_service_sid, from_addr, to_addr, body, num_segments, num_media, direction,
      status, status_callback, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
    .run(m.sid, ctx.accountSid, m.messaging_service_sid, m.from_addr, m.to_addr, m.body, m.num_segments, m.num_media, "outbound-api", "queued", m.status_callback, now, now);
  return rowOf(ctx, m.sid) as MessageRow;
}

/** Stores an inbound Message, status `received`. */
export function insertInbound(ctx: CloudContext, sid: string, from: string, to: string, text: string, now: number): MessageRow {
  ctx.db
    .prepare(`INSERT INTO api_messages (sid, account_sid, from_addr, to_addr, body, num_segments, direction, status, sent_ms, created_ms, updated_ms)
      VALUES (?,?,?,?,?,?,'inbound','received',?,?,?)`)
    .run(sid, ctx.accountSid, from, to, text, segments(text), now, now, now);
  return rowOf(ctx, sid) as MessageRow;
}

/** Columns a status change sets (their names are this module's callers', never input). */
export type MessageUpdate = Partial<Pick<MessageRow, "status" | "error_code" | "error_message" | "price" | "price_unit" | "sent_ms" | "body">>;

export function updateMessage(ctx: CloudContext, sid: string, fields: MessageUpdate, now: number): MessageRow | undefined {
  const cols = Object.entries({ ...fields, updated_ms: now });
  ctx.db.prepare(`UPDATE api_messages SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map(([, v]) => v), sid);
  return rowOf(ctx, sid);
}

export function deleteMessage(ctx: CloudContext, sid: string): void {
  ctx.db.prepare("DELETE FROM api_messages WHERE sid = ?").run(sid);
}

const DAY_MS = 24 * 3600 * 1000;

/** A DateSent filter as the list route read it: the time, and whether it was a whole UTC day (`YYYY-MM-DD`). */
export interface DateBound {
  at: number;
  dayOnly: boolean;
}

/**
 * One page of the account's Messages, newest first, by To, From and DateSent (that day), DateSent< (before,
 * a day counting whole) and DateSent> (from); with the query filters its paging links repeat.
 */
export function messagePage(
  ctx: CloudContext,
  q: { To?: string; From?: string; DateSent?: string; "DateSent<"?: string; "DateSent>"?: string },
  date: (v: string, name: string) => DateBound,
  pr: PageRequest,
): { page: PageResult<MessageRow>; filters: [string, string][] } {
  const f = new ListFilter("account_sid = ?", ctx.accountSid)
    .eq("To", q.To, "to_addr")
    .eq("From", q.From, "from_addr")
    .when("DateSent", q.DateSent, "sent_ms >= ? AND sent_ms < ?", (v) => {
      const d = date(v, "DateSent");
      const start = d.at - (d.at % DAY_MS);
      return [start, start + DAY_MS];
    })
    .when("DateSent<", q["DateSent<"], "sent_ms < ?", (v) => {
      const d = date(v, "DateSent<");
      return [d.dayOnly ? d.at + DAY_MS : d.at];
    })
    .when("DateSent>", q["DateSent>"], "sent_ms >= ?", (v) => [date(v, "DateSent>").at]);
  return { page: fetchPage<MessageRow>(ctx.db, { table: "api_messages", where: f.where, args: f.args }, pr), filters: f.params };
}

/** Creates the tables (if they do not exist yet). */
export function createTables(ctx: CloudContext): void {
  ctx.db.exec(MESSAGES_SCHEMA);
}
