/**
 * Validation of a downlink request (`{prefix}/devices/{device}/down`): `{id?, command? | payload?,
 * payload_type?, transport?, device_port?, expires_at?, from?}`. Strict: unknown fields and wrong types are
 * rejected with a reason, never ignored. What depends on the device's platform (transport, payload type,
 * size, From) is checked once the device is resolved (routing.ts planSend).
 */
import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import { jsonDepthProblem } from "../http/json-depth.js";
import { MESSAGING_FROM } from "./config.js";
import type { Transport } from "./routing.js";

/** A Huawei device command. */
export interface HuaweiCommand {
  serviceId: string;
  method: string;
  paras: Record<string, unknown>;
}

export interface DownRequest {
  id: string;
  command?: string | HuaweiCommand;
  payload?: string;
  payload_type?: "text" | "binary";
  transport?: Transport;
  device_port?: number;
  expires_at?: string | number;
  /** Messaging: the number (or Messaging Service SID) to send from, instead of the configured one. */
  from?: string;
}

export class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FIELDS = ["id", "command", "payload", "payload_type", "transport", "device_port", "expires_at", "from"];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function newId(): string {
  return randomBytes(5).toString("hex");
}

/** The caller's id, when it can be read from a request that is otherwise rejected. */
export function peekId(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const id = (body as Record<string, unknown>).id;
  return typeof id === "string" || typeof id === "number" ? String(id) : null;
}

/** Parses and validates; throws Rejection. Returns the request (id filled in) and its expiry in ms (or null). */
export function parseRequest(raw: Buffer, maxBytes: number): { req: DownRequest; expires: number | null } {
  if (raw.length > maxBytes) throw new Rejection("oversized", `request is ${raw.length} bytes; the limit is ${maxBytes} bytes`);
  // JSON text is UTF-8 (RFC 8259 §8.1): bytes that are not would become U+FFFD and be sent as if meant
  if (!isUtf8(raw)) throw new Rejection("bad_json", "not JSON: the request is not valid UTF-8");
  const text = raw.toString("utf8");
  const deep = jsonDepthProblem(text);
  if (deep !== null) throw new Rejection("bad_json", `not JSON the bridge takes: ${deep}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new Rejection("bad_json", `not JSON: ${(e as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Rejection("bad_request", "the request must be a JSON object");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw new Rejection("bad_request", `unknown field(s) ${unknown.join(", ")}; allowed: ${FIELDS.join(", ")}`);
  const req: DownRequest = { id: "" };
  if (b.id !== undefined) {
    const id = typeof b.id === "number" && Number.isInteger(b.id) ? String(b.id) : b.id;
    if (typeof id !== "string" || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) throw new Rejection("bad_request", "id must be 1 to 64 characters of A-Z a-z 0-9 _ . : -");
    req.id = id;
  }
  if ((b.command === undefined) === (b.payload === undefined)) throw new Rejection("bad_request", "give exactly one of command or payload");
  if (b.command !== undefined) {
    if (typeof b.command === "string") {
      if (b.command.trim() === "") throw new Rejection("bad_request", "command must not be empty");
      req.command = b.command;
    } else if (typeof b.command === "object" && b.command !== null && !Array.isArray(b.command)) {
      const c = b.command as Record<string, unknown>;
      const serviceId = c.serviceId ?? c.service_id;
      if (typeof serviceId !== "string" || typeof c.method !== "string" || (c.paras !== undefined && (typeof c.paras !== "object" || c.paras === null || Array.isArray(c.paras))))
        throw new Rejection("bad_request", "an object command is {serviceId, method, paras} (Huawei)");
      req.command = { serviceId, method: c.method, paras: (c.paras ?? {}) as Record<string, unknown> };
    } else throw new Rejection("bad_request", "command must be a string (or a Huawei {serviceId, method, paras} object)");
  }
  if (b.payload_type !== undefined) {
    if (b.payload_type !== "text" && b.payload_type !== "binary") throw new Rejection("bad_request", "payload_type must be text or binary");
    req.payload_type = b.payload_type;
  }
  if (b.payload !== undefined) {
    if (typeof b.payload !== "string" || b.payload === "") throw new Rejection("bad_request", "payload must be a non-empty string");
    if (req.payload_type === "binary" && !BASE64.test(b.payload)) throw new Rejection("bad_request", "a binary payload must be base64");
    req.payload = b.payload;
  } else if (req.payload_type === "binary") throw new Rejection("bad_request", "payload_type binary needs payload (base64), not command");
  if (b.transport !== undefined) {
    if (b.transport !== "ip" && b.transport !== "sms" && b.transport !== "nbiot") throw new Rejection("wrong_transport", "transport must be ip, sms or nbiot");
    req.transport = b.transport;
  }
  if (b.device_port !== undefined) {
    if (typeof b.device_port !== "number" || !Number.isInteger(b.device_port) || b.device_port < 1 || b.device_port > 65535)
      throw new Rejection("bad_request", "device_port must be an integer from 1 to 65535");
    req.device_port = b.device_port;
  }
  if (b.from !== undefined) {
    if (typeof b.from !== "string" || !MESSAGING_FROM.test(b.from))
      throw new Rejection("bad_request", "from must be an E.164 number (+…), an alphanumeric sender ID or a Messaging Service SID (MG…)");
    req.from = b.from;
  }
  let expires: number | null = null;
  if (b.expires_at !== undefined) {
    const t = typeof b.expires_at === "number" ? b.expires_at : typeof b.expires_at === "string" ? Date.parse(b.expires_at) : NaN;
    if (!Number.isFinite(t)) throw new Rejection("bad_request", "expires_at must be an ISO 8601 date-time or epoch milliseconds");
    req.expires_at = b.expires_at as string | number;
    expires = t;
  }
  if (req.id === "") req.id = newId();
  return { req, expires };
}
