/**
 * Programmable Wireless v1 storage, the only SQL of wireless/: the `wireless_sims` and `wireless_commands`
 * tables, their rows, lookups, list pages and changes, and the Command count that makes a `ready` SIM
 * `active` at its 5th. Commands older than 30 days disappear (ctx.retain, in index.ts).
 */
import type { CloudContext } from "../../context.js";
import { fetchPage, ListFilter, type PageRequest, type PageResult } from "../../paging.js";
import { isSid } from "../../sids.js";

const WIRELESS_SCHEMA = `
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
CREATE INDEX IF NOT EXISTS wireless_commands_status ON wireless_commands(status, seq);
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

/** A SIM of this account by SID or unique name, or undefined. */
export function findSim(ctx: CloudContext, ref: string): SimRow | undefined {
  if (isSid(ref, "DE")) {
    const r = ctx.db.prepare("SELECT * FROM wireless_sims WHERE sid = ? AND account_sid = ?").get(ref, ctx.accountSid) as SimRow | undefined;
    if (r) return r;
  }
  return ctx.db.prepare("SELECT * FROM wireless_sims WHERE unique_name = ? AND account_sid = ?").get(ref, ctx.accountSid) as SimRow | undefined;
}

export function simBySid(ctx: CloudContext, sid: string): SimRow | undefined {
  return ctx.db.prepare("SELECT * FROM wireless_sims WHERE sid = ?").get(sid) as SimRow | undefined;
}

/** A Command of this account by SID. */
export function commandBySid(ctx: CloudContext, sid: string): CommandRow | undefined {
  return ctx.db.prepare("SELECT * FROM wireless_commands WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as CommandRow | undefined;
}

export type NewCommandFields = Pick<
  CommandRow,
  "command" | "command_mode" | "delivery_receipt_requested" | "status" | "direction" | "callback_url" | "callback_method"
>;

/**
 * Stores a Command of `sim` (either direction) and counts it for the SIM — a SIM in `ready` becomes `active`
 * with its 5th Command — in one transaction. Returns the row and the SIM's status after.
 */
export function createCommandRow(ctx: CloudContext, sim: SimRow, fields: NewCommandFields): { row: CommandRow; simStatus: SimStatus } {
  const sid = ctx.sid("DC");
  const now = ctx.now().getTime();
  const tx = ctx.db.transaction((): SimStatus => {
    ctx.db
      .prepare(`INSERT INTO wireless_commands (sid, account_sid, sim_sid, command, command_mode, transport, delivery_receipt_requested,
        status, direction, callback_url, callback_method, created_ms, updated_ms)
        VALUES (@sid, @account_sid, @sim_sid, @command, @command_mode, 'sms', @delivery_receipt_requested, @status, @direction, @callback_url, @callback_method, @now, @now)`)
      .run({ sid, account_sid: sim.account_sid, sim_sid: sim.sid, now, ...fields });
    ctx.db
      .prepare(`UPDATE wireless_sims SET command_count = command_count + 1,
        status = CASE WHEN status = 'ready' AND command_count + 1 >= 5 THEN 'active' ELSE status END, updated_ms = ? WHERE sid = ?`)
      .run(now, sim.sid);
    return (ctx.db.prepare("SELECT status FROM wireless_sims WHERE sid = ?").get(sim.sid) as { status: SimStatus }).status;
  });
  const simStatus = tx();
  return { row: ctx.db.prepare("SELECT * FROM wireless_commands WHERE sid = ?").get(sid) as CommandRow, simStatus };
}

/** Sets a Command's status (and error), returns the updated row. */
export function setCommandStatus(ctx: CloudContext, sid: string, status: CommandStatus, error: { code: number; message: string } | null = null): CommandRow | undefined {
  ctx.db
    .prepare("UPDATE wireless_commands SET status = ?, error_code = ?, error_message = ?, updated_ms = ? WHERE sid = ?")
    .run(status, error?.code ?? null, error?.message ?? null, ctx.now().getTime(), sid);
  return ctx.db.prepare("SELECT * FROM wireless_commands WHERE sid = ?").get(sid) as CommandRow | undefined;
}

/** A Command's status and whether a delivery receipt was asked for. */
export function commandProgress(ctx: CloudContext, sid: string): { status: CommandStatus; delivery_receipt_requested: number } | undefined {
  return ctx.db.prepare("SELECT status, delivery_receipt_requested FROM wireless_commands WHERE sid = ?").get(sid) as
    | { status: CommandStatus; delivery_receipt_requested: number }
    | undefined;
}

export function deleteCommand(ctx: CloudContext, sid: string): void {
  ctx.db.prepare("DELETE FROM wireless_commands WHERE sid = ?").run(sid);
}

/** A list page and the query filters its paging links repeat. */
export interface Listed<Row> {
  page: PageResult<Row>;
  filters: [string, string][];
}

export function commandPage(ctx: CloudContext, q: { Sim?: string; Status?: string; Direction?: string; Transport?: string }, pr: PageRequest): Listed<CommandRow> {
  const f = new ListFilter("account_sid = ?", ctx.accountSid)
    .eq("Sim", q.Sim, "sim_sid", (v) => findSim(ctx, v)?.sid ?? v)
    .eq("Status", q.Status, "status")
    .eq("Direction", q.Direction, "direction")
    .eq("Transport", q.Transport, "transport");
  return { page: fetchPage<CommandRow>(ctx.db, { table: "wireless_commands", where: f.where, args: f.args }, pr), filters: f.params };
}

export function simPage(ctx: CloudContext, q: { Status?: string; Iccid?: string; RatePlan?: string; EId?: string; SimRegistrationCode?: string }, pr: PageRequest): Listed<SimRow> {
  const f = new ListFilter("account_sid = ?", ctx.accountSid)
    .eq("Status", q.Status, "status")
    .eq("Iccid", q.Iccid, "iccid")
    .eq("RatePlan", q.RatePlan, "rate_plan_sid")
    .eq("EId", q.EId, "e_id")
    // No registration codes are kept for Wireless SIMs: that filter matches nothing.
    .when("SimRegistrationCode", q.SimRegistrationCode, "0", () => []);
  return { page: fetchPage<SimRow>(ctx.db, { table: "wireless_sims", where: f.where, args: f.args }, pr), filters: f.params };
}

/** Every SIM (for the network's registry at start). */
export function allSims(ctx: CloudContext): Pick<SimRow, "sid" | "unique_name" | "status">[] {
  return ctx.db.prepare("SELECT sid, unique_name, status FROM wireless_sims").all() as Pick<SimRow, "sid" | "unique_name" | "status">[];
}

/** The SID of this account's SIM with unique name `name`, if any. */
export function simNameOwner(ctx: CloudContext, name: string): string | null {
  return (ctx.db.prepare("SELECT sid FROM wireless_sims WHERE account_sid = ? AND unique_name = ?").get(ctx.accountSid, name) as { sid: string } | undefined)?.sid ?? null;
}

export function iccidTaken(ctx: CloudContext, iccid: string): boolean {
  return ctx.db.prepare("SELECT 1 FROM wireless_sims WHERE iccid = ?").get(iccid) !== undefined;
}

export type NewSimFields = Pick<SimRow, "sid" | "unique_name" | "friendly_name" | "iccid" | "status" | "commands_callback_url" | "commands_callback_method">;

export function insertSim(ctx: CloudContext, s: NewSimFields, now: number): void {
  ctx.db
    .prepare(`INSERT INTO wireless_sims (sid, account_sid, unique_name, friendly_name, iccid, status, commands_callback_url, commands_callback_method, created_ms, updated_ms)
      VALUES (?,?,?,?,?,?,?,?,?,?)`)
    .run(s.sid, ctx.accountSid, s.unique_name, s.friendly_name, s.iccid, s.status, s.commands_callback_url, s.commands_callback_method, now, now);
}

/** Columns an update may set (the names are this module's, never a caller's input). */
export type SimUpdate = Partial<Omit<SimRow, "seq" | "sid" | "account_sid" | "created_ms" | "command_count">>;

export function updateSim(ctx: CloudContext, sid: string, fields: SimUpdate): void {
  const cols = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (cols.length === 0) return;
  ctx.db.prepare(`UPDATE wireless_sims SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map(([, v]) => v), sid);
}

export function deleteSim(ctx: CloudContext, sid: string): void {
  ctx.db.prepare("DELETE FROM wireless_sims WHERE sid = ?").run(sid);
}

/** Creates the tables (if they do not exist yet). */
export function createTables(ctx: CloudContext): void {
  ctx.db.exec(WIRELESS_SCHEMA);
}
