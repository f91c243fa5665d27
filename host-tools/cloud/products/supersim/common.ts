/** Shared pieces of the Super SIM product: tables, row types, lookups, JSON shapes. */
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { isoDate } from "../../dates.js";
import { notFound, TwilioError } from "../../errors.js";
import { isSid } from "../../sids.js";

export const SCHEMA = `
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

/** The v1 base of the Super SIM product as the caller reached it, e.g. `http://127.0.0.1:P/supersim/v1`. */
export function v1(ctx: CloudContext, req: FastifyRequest): string {
  return `${ctx.publicUrl(req, "supersim")}/v1`;
}

/** Finds a row by SID (with `prefix`) or unique name; null when absent. */
export function bySidOrName<T>(ctx: CloudContext, table: string, prefix: string, id: string): T | null {
  const col = isSid(id, prefix) ? "sid" : "unique_name";
  return (ctx.db.prepare(`SELECT * FROM ${table} WHERE ${col} = ?`).get(id) as T | undefined) ?? null;
}

export function simOr404(ctx: CloudContext, id: string, path: string): SimRow {
  const s = bySidOrName<SimRow>(ctx, "ss_sims", "HS", id);
  if (!s) throw notFound(path);
  return s;
}

/** For a `Sim` parameter: unknown → 404/20404 naming the SIM (no documented code exists, reference §5b). */
export function simParam(ctx: CloudContext, id: string): SimRow {
  const s = bySidOrName<SimRow>(ctx, "ss_sims", "HS", id);
  if (!s) throw new TwilioError(404, 20404, `The requested resource /Sims/${id} was not found`);
  return s;
}

export function fleetOf(ctx: CloudContext, sim: SimRow): FleetRow | null {
  if (sim.fleet_sid === null) return null;
  return (ctx.db.prepare("SELECT * FROM ss_fleets WHERE sid = ?").get(sim.fleet_sid) as FleetRow | undefined) ?? null;
}

/** A unique name may not look like a SID of its own resource (it would be ambiguous in URLs). */
export function checkUniqueName(name: string, prefix: string): void {
  if (isSid(name, prefix)) throw new TwilioError(400, 20001, `UniqueName may not be formatted as a SID (${prefix}…)`);
}

/** A stable HA… SID for a NetworkAccessProfile given by unique name (the mock does not model NAPs). */
export function napSid(id: string): string {
  if (isSid(id, "HA")) return id;
  return "HA" + createHash("md5").update(id).digest("hex");
}

/**
 * Counts a Command for the SIM; a SIM in `ready` becomes `active` at its 5th (DESIGN.md §4). Returns the
 * status after. `sim.status` is the status the caller just read: the count only matters while a SIM is
 * `new` or `ready` (active and inactive never go back to ready), so for active/inactive SIMs nothing is
 * written — the create path of a Command then costs one INSERT.
 */
export function countCommand(ctx: CloudContext, sim: { sid: string; status: string }): string {
  if (sim.status === "active" || sim.status === "inactive") return sim.status;
  const now = ctx.now().getTime();
  const r = ctx.db.prepare(`UPDATE ss_sims SET commands = commands + 1,
      updated_ms = CASE WHEN status = 'ready' AND commands + 1 >= 5 THEN ? ELSE updated_ms END,
      status = CASE WHEN status = 'ready' AND commands + 1 >= 5 THEN 'active' ELSE status END
    WHERE sid = ? RETURNING status`).get(now, sim.sid) as { status: string } | undefined;
  if (r && r.status === "active" && sim.status === "ready") ctx.events.emit("sim.status", { sim_sid: sim.sid, status: "active", reason: "5th command" });
  return r?.status ?? "new";
}

export const iso = isoDate;
export const bool = (n: number): boolean => n !== 0;
