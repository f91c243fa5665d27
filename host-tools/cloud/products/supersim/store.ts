/**
 * Super SIM storage, the only SQL of supersim/: Fleets, Sims, IpCommands and SmsCommands — their rows,
 * lookups, list pages, status changes, and the Command count that makes a `ready` SIM `active` at its 5th.
 * Hot-path writes (IP Commands) join the turn's group commit (ctx.groupCommit).
 */
import { createHash } from "node:crypto";
import type { CloudContext } from "../../context.js";
import { fetchPage, ListFilter, type PageRequest, type PageResult } from "../../paging.js";
import { isSid } from "../../sids.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ss_fleets (seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT UNIQUE NOT NULL, unique_name TEXT,
  data_enabled INTEGER NOT NULL, data_limit INTEGER NOT NULL, sms_commands_enabled INTEGER NOT NULL,
  sms_commands_url TEXT, sms_commands_method TEXT NOT NULL, ip_commands_url TEXT, ip_commands_method TEXT NOT NULL,
  network_access_profile_sid TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ss_sims (seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT UNIQUE NOT NULL, unique_name TEXT,
  iccid TEXT UNIQUE NOT NULL, status TEXT NOT NULL, fleet_sid TEXT, commands INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ss_ip_commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT UNIQUE NOT NULL, sim_sid TEXT NOT NULL,
  sim_iccid TEXT, status TEXT NOT NULL, direction TEXT NOT NULL, device_ip TEXT, device_port INTEGER NOT NULL,
  payload_type TEXT NOT NULL, payload TEXT, callback_url TEXT, callback_method TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ss_sims_unique_name ON ss_sims (unique_name);
CREATE INDEX IF NOT EXISTS ss_ip_commands_sim ON ss_ip_commands (sim_sid, seq);
CREATE INDEX IF NOT EXISTS ss_ip_commands_created ON ss_ip_commands (created_ms);
CREATE INDEX IF NOT EXISTS ss_ip_commands_status ON ss_ip_commands (status, seq);
CREATE TABLE IF NOT EXISTS ss_sms_commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT UNIQUE NOT NULL, sim_sid TEXT NOT NULL,
  payload TEXT, status TEXT NOT NULL, direction TEXT NOT NULL, callback_url TEXT, callback_method TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ss_sms_commands_sim ON ss_sms_commands (sim_sid, seq);
CREATE INDEX IF NOT EXISTS ss_sms_commands_created ON ss_sms_commands (created_ms);
`;

export interface FleetRow {
  seq: number;
  sid: string;
  unique_name: string | null;
  data_enabled: number;
  data_limit: number;
  sms_commands_enabled: number;
  sms_commands_url: string | null;
  sms_commands_method: string;
  ip_commands_url: string | null;
  ip_commands_method: string;
  network_access_profile_sid: string;
  created_ms: number;
  updated_ms: number;
}

export interface SimRow {
  seq: number;
  sid: string;
  unique_name: string | null;
  iccid: string;
  status: string;
  fleet_sid: string | null;
  commands: number;
  created_ms: number;
  updated_ms: number;
}

export interface IpRow {
  seq: number;
  sid: string;
  sim_sid: string;
  sim_iccid: string | null;
  status: string;
  direction: string;
  device_ip: string | null;
  device_port: number;
  payload_type: string;
  payload: string | null;
  callback_url: string | null;
  callback_method: string;
  created_ms: number;
  updated_ms: number;
}

export interface SmsRow {
  seq: number;
  sid: string;
  sim_sid: string;
  payload: string | null;
  status: string;
  direction: string;
  callback_url: string | null;
  callback_method: string;
  created_ms: number;
  updated_ms: number;
}

/** What the IP Command create path needs of a SIM and its Fleet's data switch (null without a Fleet), in one statement. */
export type SimWithFleet = Pick<SimRow, "sid" | "iccid" | "status"> & { fleet_data_enabled: number | null };

/** A list page and the query filters its paging links repeat. */
export interface Listed<Row> {
  page: PageResult<Row>;
  filters: [string, string][];
}

/** A row by SID (with `prefix`) or unique name; null when absent. */
function bySidOrName<T>(ctx: CloudContext, table: "ss_fleets" | "ss_sims", prefix: string, id: string): T | null {
  const col = isSid(id, prefix) ? "sid" : "unique_name";
  return (ctx.db.prepare(`SELECT * FROM ${table} WHERE ${col} = ?`).get(id) as T | undefined) ?? null;
}

/** The SID of the row of `table` with unique name `name`, if any. */
function nameOwner(ctx: CloudContext, table: "ss_fleets" | "ss_sims", name: string): string | null {
  return (ctx.db.prepare(`SELECT sid FROM ${table} WHERE unique_name = ?`).get(name) as { sid: string } | undefined)?.sid ?? null;
}

/** A stable HA… SID for a NetworkAccessProfile given by unique name (the mock does not model NAPs). */
export function napSid(id: string): string {
  if (isSid(id, "HA")) return id;
  return "HA" + createHash("md5").update(id).digest("hex");
}

// ---- Fleets ----

export const fleetByRef = (ctx: CloudContext, ref: string): FleetRow | null => bySidOrName<FleetRow>(ctx, "ss_fleets", "HF", ref);
export const fleetNameOwner = (ctx: CloudContext, name: string): string | null => nameOwner(ctx, "ss_fleets", name);

export function fleetOf(ctx: CloudContext, sim: Pick<SimRow, "fleet_sid">): FleetRow | null {
  if (sim.fleet_sid === null) return null;
  return (ctx.db.prepare("SELECT * FROM ss_fleets WHERE sid = ?").get(sim.fleet_sid) as FleetRow | undefined) ?? null;
}

export type FleetFields = Omit<FleetRow, "seq" | "sid" | "created_ms" | "updated_ms">;

export function insertFleet(ctx: CloudContext, sid: string, f: FleetFields, now: number): void {
  ctx.db.prepare(`INSERT INTO ss_fleets (sid, unique_name, data_enabled, data_limit, sms_commands_enabled, sms_commands_url,
    sms_commands_method, ip_commands_url, ip_commands_method, network_access_profile_sid, created_ms, updated_ms)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`).run(sid, f.unique_name, f.data_enabled, f.data_limit, f.sms_commands_enabled, f.sms_commands_url,
    f.sms_commands_method, f.ip_commands_url, f.ip_commands_method, f.network_access_profile_sid, now, now);
}

export type FleetUpdate = Pick<FleetRow, "unique_name" | "network_access_profile_sid" | "ip_commands_url" | "ip_commands_method" | "sms_commands_url" | "sms_commands_method" | "data_limit">;

export function updateFleet(ctx: CloudContext, sid: string, f: FleetUpdate, now: number): void {
  ctx.db.prepare(`UPDATE ss_fleets SET unique_name = ?, network_access_profile_sid = ?, ip_commands_url = ?, ip_commands_method = ?,
    sms_commands_url = ?, sms_commands_method = ?, data_limit = ?, updated_ms = ? WHERE sid = ?`).run(
    f.unique_name, f.network_access_profile_sid, f.ip_commands_url, f.ip_commands_method, f.sms_commands_url, f.sms_commands_method, f.data_limit, now, sid);
}

export function fleetPage(ctx: CloudContext, q: { NetworkAccessProfile?: string }, pr: PageRequest): Listed<FleetRow & Record<string, unknown>> {
  const f = new ListFilter().eq("NetworkAccessProfile", q.NetworkAccessProfile, "network_access_profile_sid", napSid);
  return { page: fetchPage<FleetRow & Record<string, unknown>>(ctx.db, { table: "ss_fleets", where: f.where, args: f.args }, pr), filters: f.params };
}

// ---- Sims ----

export const simByRef = (ctx: CloudContext, ref: string): SimRow | null => bySidOrName<SimRow>(ctx, "ss_sims", "HS", ref);
export const simNameOwner = (ctx: CloudContext, name: string): string | null => nameOwner(ctx, "ss_sims", name);

export function simBySid(ctx: CloudContext, sid: string): SimRow | undefined {
  return ctx.db.prepare("SELECT * FROM ss_sims WHERE sid = ?").get(sid) as SimRow | undefined;
}

export function allSims(ctx: CloudContext): SimRow[] {
  return ctx.db.prepare("SELECT * FROM ss_sims").all() as SimRow[];
}

export function iccidTaken(ctx: CloudContext, iccid: string): boolean {
  return ctx.db.prepare("SELECT 1 FROM ss_sims WHERE iccid = ?").get(iccid) !== undefined;
}

/** Registers a SIM (status `new`, no Fleet). */
export function insertSim(ctx: CloudContext, sid: string, iccid: string, now: number): void {
  ctx.db.prepare("INSERT INTO ss_sims (sid, unique_name, iccid, status, fleet_sid, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)")
    .run(sid, null, iccid, "new", null, now, now);
}

export function updateSim(ctx: CloudContext, sid: string, s: Pick<SimRow, "unique_name" | "status" | "fleet_sid">, now: number): void {
  ctx.db.prepare("UPDATE ss_sims SET unique_name = ?, status = ?, fleet_sid = ?, updated_ms = ? WHERE sid = ?").run(s.unique_name, s.status, s.fleet_sid, now, sid);
}

export function simPage(ctx: CloudContext, q: { Status?: string; Fleet?: string; Iccid?: string }, pr: PageRequest): Listed<SimRow & Record<string, unknown>> {
  const f = new ListFilter()
    .eq("Status", q.Status, "status")
    .eq("Fleet", q.Fleet, "fleet_sid", (v) => fleetByRef(ctx, v)?.sid ?? "")
    .eq("Iccid", q.Iccid, "iccid");
  return { page: fetchPage<SimRow & Record<string, unknown>>(ctx.db, { table: "ss_sims", where: f.where, args: f.args }, pr), filters: f.params };
}

/**
 * Counts a Command for the SIM; a SIM in `ready` becomes `active` at its 5th. Returns the status after.
 * `sim.status` is the status the caller just read: the count only matters while a SIM is `new` or `ready`
 * (active and inactive never go back to ready), so for active/inactive SIMs nothing is written.
 */
function countCommand(ctx: CloudContext, sim: Pick<SimRow, "sid" | "status">): string {
  if (sim.status === "active" || sim.status === "inactive") return sim.status;
  const r = ctx.db.prepare(`UPDATE ss_sims SET commands = commands + 1,
      updated_ms = CASE WHEN status = 'ready' AND commands + 1 >= 5 THEN ? ELSE updated_ms END,
      status = CASE WHEN status = 'ready' AND commands + 1 >= 5 THEN 'active' ELSE status END
    WHERE sid = ? RETURNING status`).get(ctx.now().getTime(), sim.sid) as { status: string } | undefined;
  return r?.status ?? "new";
}

// ---- IpCommands ----

const SIM_WITH_FLEET = "SELECT s.sid, s.iccid, s.status, f.data_enabled AS fleet_data_enabled FROM ss_sims s LEFT JOIN ss_fleets f ON f.sid = s.fleet_sid WHERE s.";

/** The SIM `ref` (SID or unique name) with its Fleet's data switch. */
export function simWithFleet(ctx: CloudContext, ref: string): SimWithFleet | undefined {
  return ctx.db.prepare(`${SIM_WITH_FLEET}${isSid(ref, "HS") ? "sid" : "unique_name"} = ?`).get(ref) as SimWithFleet | undefined;
}

function insertIp(ctx: CloudContext, r: IpRow): void {
  ctx.db.prepare(`INSERT INTO ss_ip_commands (sid, sim_sid, sim_iccid, status, direction, device_ip, device_port,
    payload_type, payload, callback_url, callback_method, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
    .run(r.sid, r.sim_sid, r.sim_iccid, r.status, r.direction, r.device_ip, r.device_port, r.payload_type, r.payload, r.callback_url, r.callback_method, r.created_ms, r.updated_ms);
}

/**
 * Stores an IP Command (either direction) and counts it for the SIM, in the turn's group commit: one INSERT
 * when the SIM's count no longer matters (active/inactive), else INSERT and count in one transaction.
 * Returns the SIM's status after.
 */
export function createIpCommand(ctx: CloudContext, r: IpRow, sim: Pick<SimRow, "sid" | "status">): string {
  ctx.groupCommit();
  if (sim.status === "active" || sim.status === "inactive") {
    insertIp(ctx, r);
    return sim.status;
  }
  return ctx.db.transaction(() => {
    insertIp(ctx, r);
    return countCommand(ctx, sim);
  })();
}

export function ipCommandBySid(ctx: CloudContext, sid: string): IpRow | undefined {
  return ctx.db.prepare("SELECT * FROM ss_ip_commands WHERE sid = ?").get(sid) as IpRow | undefined;
}

/** Sets an IP Command's status and device IP (in the turn's group commit); false when it is gone (purged). */
export function setIpCommandStatus(ctx: CloudContext, sid: string, status: string, deviceIp: string | null, now: number): boolean {
  ctx.groupCommit();
  return ctx.db.prepare("UPDATE ss_ip_commands SET status = ?, device_ip = ?, updated_ms = ? WHERE sid = ?").run(status, deviceIp, now, sid).changes > 0;
}

export function ipCommandPage(ctx: CloudContext, q: { Sim?: string; SimIccid?: string; Status?: string; Direction?: string }, pr: PageRequest): Listed<IpRow & Record<string, unknown>> {
  const f = new ListFilter()
    .eq("Sim", q.Sim, "sim_sid", (v) => simByRef(ctx, v)?.sid ?? "")
    .eq("SimIccid", q.SimIccid, "sim_iccid")
    // With a Sim the (sim_sid, seq) index finds the page (a SIM's rows are few); the unary + keeps SQLite from
    // walking every row of that status through (status, seq) instead.
    .eq("Status", q.Status, q.Sim === undefined ? "status" : "+status")
    .eq("Direction", q.Direction, "direction");
  return { page: fetchPage<IpRow & Record<string, unknown>>(ctx.db, { table: "ss_ip_commands", where: f.where, args: f.args }, pr), filters: f.params };
}

// ---- SmsCommands ----

/** Stores an SMS Command (either direction) and counts it for the SIM, in one transaction; returns the SIM's status after. */
export function createSmsCommand(ctx: CloudContext, r: Omit<SmsRow, "seq">, sim: Pick<SimRow, "sid" | "status">): string {
  return ctx.db.transaction(() => {
    ctx.db.prepare(`INSERT INTO ss_sms_commands (sid, sim_sid, payload, status, direction, callback_url, callback_method,
      created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?)`)
      .run(r.sid, r.sim_sid, r.payload, r.status, r.direction, r.callback_url, r.callback_method, r.created_ms, r.updated_ms);
    return countCommand(ctx, sim);
  })();
}

export function smsCommandBySid(ctx: CloudContext, sid: string): SmsRow | undefined {
  return ctx.db.prepare("SELECT * FROM ss_sms_commands WHERE sid = ?").get(sid) as SmsRow | undefined;
}

/** Moves an SMS Command to `status` unless it is gone or already delivered/failed; returns the row after, or undefined. */
export function setSmsCommandStatus(ctx: CloudContext, sid: string, status: string): SmsRow | undefined {
  const cur = smsCommandBySid(ctx, sid);
  if (!cur || cur.status === "delivered" || cur.status === "failed") return undefined;
  ctx.db.prepare("UPDATE ss_sms_commands SET status = ?, updated_ms = ? WHERE sid = ?").run(status, ctx.now().getTime(), sid);
  return smsCommandBySid(ctx, sid);
}

export function smsCommandPage(ctx: CloudContext, q: { Sim?: string; Status?: string; Direction?: string }, pr: PageRequest): Listed<SmsRow & Record<string, unknown>> {
  const f = new ListFilter()
    .eq("Sim", q.Sim, "sim_sid", (v) => simByRef(ctx, v)?.sid ?? "")
    .eq("Status", q.Status, "status")
    .eq("Direction", q.Direction, "direction");
  return { page: fetchPage<SmsRow & Record<string, unknown>>(ctx.db, { table: "ss_sms_commands", where: f.where, args: f.args }, pr), filters: f.params };
}

/** Creates the tables (if they do not exist yet). */
export function createTables(ctx: CloudContext): void {
  ctx.db.exec(SCHEMA);
}
