/**
 * Huawei-style NB-IoT storage: devices and device commands (modelled on OceanConnect v1.4.0
 * `PostDeviceCommandOutDTO`; reference/bridge-anchors.md §4), their JSON and the platform's time format
 * `yyyyMMddTHHmmssZ` (UTC).
 */
import type { CloudContext } from "../../context.js";

export const HUAWEI_SCHEMA = `
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

export const DEFAULT_EXPIRE_S = 172800;
export const FINAL = new Set(["SUCCESSFUL", "FAILED", "TIMEOUT", "EXPIRED", "CANCELED"]);

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

/** OceanConnect's time format: `20151212T121212Z`. */
export function huaweiTime(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

export function commandOut(r: HuaweiCommandRow): Record<string, unknown> {
  return {
    commandId: r.command_id,
    appId: r.app_id,
    deviceId: r.device_id,
    command: { serviceId: r.service_id, method: r.method, paras: JSON.parse(r.paras) as unknown },
    callbackUrl: r.callback_url,
    expireTime: r.expire_time,
    status: r.status,
    result: r.result_code === null ? null : { resultCode: r.result_code, resultDetail: r.result_detail === null ? null : (JSON.parse(r.result_detail) as unknown) },
    creationTime: huaweiTime(r.created_ms),
    executeTime: huaweiTime(r.execute_ms),
    platformIssuedTime: huaweiTime(r.platform_issued_ms),
    deliveredTime: huaweiTime(r.delivered_ms),
    issuedTimes: r.issued_times,
    maxRetransmit: r.max_retransmit,
  };
}

export function commandRow(ctx: CloudContext, commandId: string): HuaweiCommandRow | undefined {
  return ctx.db.prepare("SELECT * FROM huawei_commands WHERE command_id = ?").get(commandId) as HuaweiCommandRow | undefined;
}

export function deviceRow(ctx: CloudContext, deviceId: string): DeviceRow | undefined {
  return ctx.db.prepare("SELECT * FROM huawei_devices WHERE device_id = ?").get(deviceId) as DeviceRow | undefined;
}

/** Huawei-shaped error: `{error_code, error_desc}` with an HTTP status. */
export class HuaweiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    desc: string,
  ) {
    super(desc);
    this.name = "HuaweiError";
  }
  toJSON(): Record<string, unknown> {
    return { error_code: this.errorCode, error_desc: this.message };
  }
}

export const invalid = (desc: string): HuaweiError => new HuaweiError(400, "100022", `The input is invalid: ${desc}`);
