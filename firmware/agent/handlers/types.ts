/** What a command handler gets and gives (one file per handler, dispatched from index.ts). */
import type { CborValue } from "../../core/cbor.js";
import type { KeyValueStore } from "../../hal/storage.js";

export interface DeviceInfo {
  /** Firmware version, e.g. "0.1.0". */
  version: string;
  /** "xs", "espruino", "lua", "node"… */
  runtime: string;
  /** Modem family in use ("bg96", "sim7080", "sara-r4") or "none". */
  modem: string;
}

export interface HandlerContext {
  info: DeviceInfo;
  /** Seconds since the agent started. */
  uptimeSeconds: number;
  storage: KeyValueStore;
  envelope: "text" | "cbor";
}

/** A handler's outcome: a result (`ok`) or a reason (`err`). */
export type HandlerResult = { ok: true; value: CborValue } | { ok: false; reason: string };

export type Handler = (args: CborValue, ctx: HandlerContext) => HandlerResult;
