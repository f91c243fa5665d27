/**
 * Programmable Wireless v1 storage: the `wireless_sims` and `wireless_commands` tables, their rows and the
 * JSON shapes of `wireless.v1.sim` / `wireless.v1.command` (specs/twilio_wireless_v1.json; every field
 * present, explicit nulls, ISO 8601 dates without millis).
 * Commands older than 30 days disappear (ctx.retain; reference/twilio-api.md §3a).
 */
import type { Database } from "better-sqlite3";
import type { CloudContext } from "../../context.js";
import { isoDate } from "../../dates.js";
import { isSid } from "../../sids.js";

export const WIRELESS_SCHEMA = `
CREATE TABLE IF NOT EXISTS wireless_sims (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  unique_name TEXT,
  friendly_name TEXT,
  iccid TEXT,
  e_id TEXT,
  status TEXT NOT NULL,
  reset_status TEXT,
  rate_plan_sid TEXT,
  commands_callback_url TEXT,
  commands_callback_method TEXT NOT NULL DEFAULT 'POST',
  callback_url TEXT,
  callback_method TEXT,
  sms_url TEXT, sms_method TEXT NOT NULL DEFAULT 'POST',
  sms_fallback_url TEXT, sms_fallback_method TEXT NOT NULL DEFAULT 'POST',
  voice_url TEXT, voice_method TEXT NOT NULL DEFAULT 'POST',
  voice_fallback_url TEXT, voice_fallback_method TEXT NOT NULL DEFAULT 'POST',
  command_count INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS wireless_sims_unique_name ON wireless_sims(account_sid, unique_name) WHERE unique_name IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS wireless_sims_iccid ON wireless_sims(iccid) WHERE iccid IS NOT NULL;
CREATE TABLE IF NOT EXISTS wireless_commands (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT NOT NULL UNIQUE,
  account_sid TEXT NOT NULL,
  sim_sid TEXT NOT NULL,
  command TEXT,
  command_mode TEXT NOT NULL,
  transport TEXT NOT NULL,
  delivery_receipt_requested INTEGER NOT NULL,
  status TEXT NOT NULL,
  direction TEXT NOT NULL,
  callback_url TEXT,
  callback_method TEXT NOT NULL DEFAULT 'POST',
  error_code INTEGER,
  error_message TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wireless_commands_sim ON wireless_commands(sim_sid, seq);
`;

export const SIM_STATUSES = ["new", "ready", "active", "suspended", "deactivated", "canceled", "scheduled", "updating"] as const;
export type SimStatus = (typeof SIM_STATUSES)[number];
export const COMMAND_STATUSES = ["queued", "sent", "delivered", "received", "failed"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface SimRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  unique_name: string | null;
  friendly_name: string | null;
  iccid: string | null;
  e_id: string | null;
  status: SimStatus;
  reset_status: string | null;
  rate_plan_sid: string | null;
  commands_callback_url: string | null;
  commands_callback_method: string;
  callback_url: string | null;
  callback_method: string | null;
  sms_url: string | null;
  sms_method: string;
  sms_fallback_url: string | null;
  sms_fallback_method: string;
  voice_url: string | null;
  voice_method: string;
  voice_fallback_url: string | null;
  voice_fallback_method: string;
  command_count: number;
  created_ms: number;
  updated_ms: number;
}

export interface CommandRow {
  [k: string]: unknown;
  seq: number;
  sid: string;
  account_sid: string;
  sim_sid: string;
  command: string | null;
  command_mode: "text" | "binary";
  transport: "sms" | "ip";
  delivery_receipt_requested: number;
  status: CommandStatus;
  direction: "to_sim" | "from_sim";
  callback_url: string | null;
  callback_method: string;
  error_code: number | null;
  error_message: string | null;
  created_ms: number;
  updated_ms: number;
}

/** `wireless.v1.sim`; `base` is the product base URL (`http://127.0.0.1:P/wireless`). */
export function simJson(r: SimRow, base: string): Record<string, unknown> {
  const url = `${base}/v1/Sims/${r.sid}`;
  return {
    sid: r.sid,
    unique_name: r.unique_name,
    account_sid: r.account_sid,
    rate_plan_sid: r.rate_plan_sid,
    friendly_name: r.friendly_name,
    iccid: r.iccid,
    e_id: r.e_id,
    status: r.status,
    reset_status: r.reset_status,
    commands_callback_url: r.commands_callback_url,
    commands_callback_method: r.commands_callback_method,
    sms_fallback_method: r.sms_fallback_method,
    sms_fallback_url: r.sms_fallback_url,
    sms_method: r.sms_method,
    sms_url: r.sms_url,
    voice_fallback_method: r.voice_fallback_method,
    voice_fallback_url: r.voice_fallback_url,
    voice_method: r.voice_method,
    voice_url: r.voice_url,
    date_created: isoDate(r.created_ms),
    date_updated: isoDate(r.updated_ms),
    url,
    links: {
      data_sessions: `${url}/DataSessions`,
      rate_plan: r.rate_plan_sid === null ? null : `${base}/v1/RatePlans/${r.rate_plan_sid}`,
      usage_records: `${url}/UsageRecords`,
    },
    ip_address: null,
  };
}

/** `wireless.v1.command`. */
export function commandJson(r: CommandRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: r.account_sid,
    sim_sid: r.sim_sid,
    command: r.command,
    command_mode: r.command_mode,
    transport: r.transport,
    delivery_receipt_requested: r.delivery_receipt_requested === 1,
    status: r.status,
    direction: r.direction,
    date_created: isoDate(r.created_ms),
    date_updated: isoDate(r.updated_ms),
    url: `${base}/v1/Commands/${r.sid}`,
  };
}

/** A SIM of this account by SID or unique name, or undefined. */
export function findSim(db: Database, accountSid: string, ref: string): SimRow | undefined {
  if (isSid(ref, "DE")) {
    const r = db.prepare("SELECT * FROM wireless_sims WHERE sid = ? AND account_sid = ?").get(ref, accountSid) as SimRow | undefined;
    if (r) return r;
  }
  return db.prepare("SELECT * FROM wireless_sims WHERE unique_name = ? AND account_sid = ?").get(ref, accountSid) as SimRow | undefined;
}

export function simBySid(db: Database, sid: string): SimRow | undefined {
  return db.prepare("SELECT * FROM wireless_sims WHERE sid = ?").get(sid) as SimRow | undefined;
}

export function commandBySid(db: Database, accountSid: string, sid: string): CommandRow | undefined {
  return db.prepare("SELECT * FROM wireless_commands WHERE sid = ? AND account_sid = ?").get(sid, accountSid) as CommandRow | undefined;
}

export type NewCommandFields = Pick<
  CommandRow,
  "command" | "command_mode" | "delivery_receipt_requested" | "status" | "direction" | "callback_url" | "callback_method"
>;

/**
 * Stores a Command of `sim` (either direction) and counts it for the SIM — a SIM in `ready` becomes `active`
 * with its 5th Command — in one transaction. Emits `wireless_sim.status` when that happens.
 */
export function createCommandRow(ctx: CloudContext, sim: SimRow, fields: NewCommandFields): CommandRow {
  const sid = ctx.sid("DC");
  const now = ctx.now().getTime();
  const tx = ctx.db.transaction((): string => {
    ctx.db
      .prepare(`INSERT INTO wireless_commands (sid, account_sid, sim_sid, command, command_mode, transport, delivery_receipt_requested,
        status, direction, callback_url, callback_method, created_ms, updated_ms)
        VALUES (@sid, @account_sid, @sim_sid, @command, @command_mode, 'sms', @delivery_receipt_requested, @status, @direction, @callback_url, @callback_method, @now, @now)`)
      .run({ sid, account_sid: sim.account_sid, sim_sid: sim.sid, now, ...fields });
    ctx.db
      .prepare(`UPDATE wireless_sims SET command_count = command_count + 1,
        status = CASE WHEN status = 'ready' AND command_count + 1 >= 5 THEN 'active' ELSE status END, updated_ms = ? WHERE sid = ?`)
      .run(now, sim.sid);
    return (ctx.db.prepare("SELECT status FROM wireless_sims WHERE sid = ?").get(sim.sid) as { status: string }).status;
  });
  const status = tx();
  if (status !== sim.status) ctx.events.emit("wireless_sim.status", { sim_sid: sim.sid, from: sim.status, status, reason: "fifth command" });
  return commandBySid(ctx.db, sim.account_sid, sid) as CommandRow;
}

/** Sets a Command's status (and error), returns the updated row. */
export function setCommandStatus(ctx: CloudContext, sid: string, status: CommandStatus, error: { code: number; message: string } | null = null): CommandRow | undefined {
  ctx.db
    .prepare("UPDATE wireless_commands SET status = ?, error_code = ?, error_message = ?, updated_ms = ? WHERE sid = ?")
    .run(status, error?.code ?? null, error?.message ?? null, ctx.now().getTime(), sid);
  return ctx.db.prepare("SELECT * FROM wireless_commands WHERE sid = ?").get(sid) as CommandRow | undefined;
}
