/**
 * Huawei-style NB-IoT storage, the only SQL of huawei/: devices and device commands (modelled on OceanConnect
 * v1.4.0 `PostDeviceCommandOutDTO`), their lookups, changes and list pages.
 */
import type { CloudContext } from "../../context.js";

const HUAWEI_SCHEMA = `
CREATE TABLE IF NOT EXISTS huawei_devices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL UNIQUE,
  node_id TEXT NOT NULL UNIQUE,
  name TEXT,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS huawei_commands (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  command_id TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  method TEXT NOT NULL,
  paras TEXT NOT NULL,
  callback_url TEXT,
  expire_time INTEGER NOT NULL,
  max_retransmit INTEGER NOT NULL,
  status TEXT NOT NULL,
  issued_times INTEGER NOT NULL DEFAULT 0,
  result_code TEXT,
  result_detail TEXT,
  created_ms INTEGER NOT NULL,
  execute_ms INTEGER,
  platform_issued_ms INTEGER,
  delivered_ms INTEGER,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS huawei_commands_device ON huawei_commands(device_id, seq);
`;

export interface DeviceRow {
  seq: number;
  device_id: string;
  node_id: string;
  name: string | null;
  created_ms: number;
}

export interface HuaweiCommandRow {
  [k: string]: unknown;
  seq: number;
  command_id: string;
  app_id: string;
  device_id: string;
  service_id: string;
  method: string;
  paras: string;
  callback_url: string | null;
  expire_time: number;
  max_retransmit: number;
  status: string;
  issued_times: number;
  result_code: string | null;
  result_detail: string | null;
  created_ms: number;
  execute_ms: number | null;
  platform_issued_ms: number | null;
  delivered_ms: number | null;
  expires_ms: number;
}

export function commandRow(ctx: CloudContext, commandId: string): HuaweiCommandRow | undefined {
  return ctx.db.prepare("SELECT * FROM huawei_commands WHERE command_id = ?").get(commandId) as HuaweiCommandRow | undefined;
}

export function deviceRow(ctx: CloudContext, deviceId: string): DeviceRow | undefined {
  return ctx.db.prepare("SELECT * FROM huawei_devices WHERE device_id = ?").get(deviceId) as DeviceRow | undefined;
}

export function allDevices(ctx: CloudContext): Pick<DeviceRow, "device_id" | "node_id">[] {
  return ctx.db.prepare("SELECT device_id, node_id FROM huawei_devices").all() as Pick<DeviceRow, "device_id" | "node_id">[];
}

export function nodeTaken(ctx: CloudContext, nodeId: string): boolean {
  return ctx.db.prepare("SELECT 1 FROM huawei_devices WHERE node_id = ?").get(nodeId) !== undefined;
}

export function insertDevice(ctx: CloudContext, deviceId: string, nodeId: string, name: string | null): void {
  ctx.db.prepare("INSERT INTO huawei_devices (device_id, node_id, name, created_ms) VALUES (?,?,?,?)").run(deviceId, nodeId, name, ctx.now().getTime());
}

export type NewCommand = Pick<HuaweiCommandRow, "command_id" | "app_id" | "device_id" | "service_id" | "method" | "paras" | "callback_url" | "expire_time" | "max_retransmit" | "created_ms" | "expires_ms">;

/** Stores a command, status PENDING. */
export function insertCommand(ctx: CloudContext, c: NewCommand): void {
  ctx.db
    .prepare(`INSERT INTO huawei_commands (command_id, app_id, device_id, service_id, method, paras, callback_url, expire_time, max_retransmit,
      status, created_ms, expires_ms) VALUES (?,?,?,?,?,?,?,?,?,'PENDING',?,?)`)
    .run(c.command_id, c.app_id, c.device_id, c.service_id, c.method, c.paras, c.callback_url, c.expire_time, c.max_retransmit, c.created_ms, c.expires_ms);
}

/** Columns a status change sets (their names are this module's callers', never input). */
export type CommandUpdate = Partial<Pick<HuaweiCommandRow, "status" | "result_code" | "result_detail" | "execute_ms" | "delivered_ms">>;

/** Updates a command; returns the row after (undefined when it is gone). */
export function updateCommand(ctx: CloudContext, commandId: string, fields: CommandUpdate): HuaweiCommandRow | undefined {
  const cols = Object.entries(fields);
  ctx.db.prepare(`UPDATE huawei_commands SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE command_id = ?`).run(...cols.map(([, v]) => v), commandId);
  return commandRow(ctx, commandId);
}

/** The device's oldest PENDING command. */
export function nextPending(ctx: CloudContext, deviceId: string): HuaweiCommandRow | undefined {
  return ctx.db.prepare("SELECT * FROM huawei_commands WHERE device_id = ? AND status = 'PENDING' ORDER BY seq LIMIT 1").get(deviceId) as HuaweiCommandRow | undefined;
}

/** Counts one transmission of the command (and the time of its first). */
export function countIssue(ctx: CloudContext, commandId: string, now: number): void {
  ctx.db.prepare("UPDATE huawei_commands SET issued_times = issued_times + 1, platform_issued_ms = COALESCE(platform_issued_ms, ?) WHERE command_id = ?").run(now, commandId);
}

/** One page of commands, newest first, by device and creation time (each filter optional). */
export function commandPage(
  ctx: CloudContext,
  f: { deviceId?: string; start: number | null; end: number | null },
  pageNo: number,
  pageSize: number,
): { total: number; rows: HuaweiCommandRow[] } {
  const where = ["1"];
  const args: unknown[] = [];
  if (f.deviceId !== undefined) {
    where.push("device_id = ?");
    args.push(f.deviceId);
  }
  if (f.start !== null) {
    where.push("created_ms >= ?");
    args.push(f.start);
  }
  if (f.end !== null) {
    where.push("created_ms <= ?");
    args.push(f.end);
  }
  const w = where.join(" AND ");
  const total = (ctx.db.prepare(`SELECT COUNT(*) AS n FROM huawei_commands WHERE ${w}`).get(...args) as { n: number }).n;
  const rows = ctx.db.prepare(`SELECT * FROM huawei_commands WHERE ${w} ORDER BY seq DESC LIMIT ? OFFSET ?`).all(...args, pageSize, pageNo * pageSize) as HuaweiCommandRow[];
  return { total, rows };
}

/** Creates the tables (if they do not exist yet). */
export function createTables(ctx: CloudContext): void {
  ctx.db.exec(HUAWEI_SCHEMA);
}
