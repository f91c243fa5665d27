/**
 * Webhook parameters → normalised events (pure). Each platform's statuses map onto the bridge's
 * (downlink-status.ts): queued, sent, delivered, succeeded, failed, expired. The dedupe key is platform +
 * resource SID + status.
 */
import type { PlatformStatus } from "./downlink-status.js";
import { deviceLevel, TopicError } from "./topics.js";

export type Platform = "twilio-supersim" | "twilio-wireless" | "twilio-messaging" | "huawei";
export type Params = Record<string, string | undefined>;

export interface UpEvent {
  kind: "up";
  key: string;
  device: string;
  sim_sid: string | null;
  platform: Platform;
  transport: "ip" | "sms";
  platform_ref: string;
  payload_type: "text" | "binary";
  payload: string;
  /** Messaging: the sender's number and which of the account's numbers received it. */
  from?: string;
  to?: string | null;
}

export interface StatusEvent {
  kind: "status";
  key: string;
  device: string | null;
  platform: Platform;
  platform_ref: string;
  status: PlatformStatus;
  raw_status: string;
  /** The bridge's downlink row (from the callback URL's `dl` parameter). */
  dl: number | null;
  /** The request id (from the callback URL's `id` parameter), so any instance can correlate. */
  id: string | null;
  error?: { code: number | string | null; message: string | null };
  result?: unknown;
}

export type BridgeEvent = UpEvent | StatusEvent;

export class WebhookError extends Error {}

const need = (p: Params, k: string): string => {
  const v = p[k];
  if (v === undefined || v === "") throw new WebhookError(`missing parameter ${k}`);
  return v;
};

function error(p: Params): StatusEvent["error"] {
  const code = p.ErrorCode;
  if ((code === undefined || code === "") && !p.ErrorMessage) return undefined;
  const n = Number(code);
  return { code: code === undefined || code === "" ? null : Number.isFinite(n) ? n : code, message: p.ErrorMessage ?? null };
}

/** Platform status → the bridge's (a Map: a status such as "constructor" must not find Object.prototype's). */
const TWILIO_STATUS = new Map<string, StatusEvent["status"] | null>(Object.entries({
  queued: "queued", accepted: "queued", scheduled: "queued", sending: "sent", sent: "sent", delivered: "delivered",
  failed: "failed", undelivered: "failed", canceled: "expired", read: null, receiving: null, received: null,
} as const));

/** A device name from platform data, checked as a topic level (topics.ts): a webhook with an unusable one is a 400. */
function checkDevice(name: string): string {
  try {
    deviceLevel(name);
  } catch (e) {
    if (e instanceof TopicError) throw new WebhookError(`bad device name: ${e.message}`);
    throw e;
  }
  return name;
}

function status(platform: Platform, q: Params, dev: string | null, ref: string, raw: string, p: Params): StatusEvent | null {
  const device = dev === null ? null : checkDevice(dev);
  const s = TWILIO_STATUS.get(raw);
  if (s === undefined) throw new WebhookError(`unknown status ${raw}`);
  if (s === null) return null;
  const e: StatusEvent = { kind: "status", key: `${platform}:${ref}:${raw}`, device, platform, platform_ref: ref, status: s, raw_status: raw, dl: null, id: null };
  e.dl = dlOf(q);
  e.id = idOf(q);
  const err = error(p);
  if (err) e.error = err;
  return e;
}

function dlOf(query: Params): number | null {
  const v = query.dl;
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

function idOf(query: Params): string | null {
  const v = query.id;
  return v !== undefined && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : null;
}

const simDevice = (p: Params): string => checkDevice(p.SimUniqueName || need(p, "SimSid"));

/** Super SIM IP Commands: Fleet MO webhook (from_sim) and IP Command status callbacks (to_sim). */
export function ipCommands(p: Params, query: Params): BridgeEvent | null {
  const sid = p.IpCommandSid || need(p, "CommandSid");
  const st = need(p, "Status");
  if (p.Direction === "from_sim" || st === "received") {
    return {
      kind: "up", key: `twilio-supersim:${sid}:received`, device: simDevice(p), sim_sid: p.SimSid ?? null, platform: "twilio-supersim",
      transport: "ip", platform_ref: sid, payload_type: p.PayloadType === "text" ? "text" : "binary", payload: p.Payload ?? "",
    };
  }
  return status("twilio-supersim", query, simDevice(p), sid, st, p);
}

/** Super SIM SMS Commands: Fleet MO webhook and status callbacks. */
export function smsCommands(p: Params, query: Params): BridgeEvent | null {
  const sid = need(p, "CommandSid");
  const st = need(p, "Status");
  if (p.Direction === "from_sim" || st === "received") {
    return {
      kind: "up", key: `twilio-supersim:${sid}:received`, device: simDevice(p), sim_sid: p.SimSid ?? null, platform: "twilio-supersim",
      transport: "sms", platform_ref: sid, payload_type: p.PayloadType === "binary" ? "binary" : "text", payload: p.Payload ?? p.Command ?? "",
    };
  }
  return status("twilio-supersim", query, simDevice(p), sid, st, p);
}

/** Programmable Wireless: SIM commands callback (MO, Status=received) and Command status callbacks (CommandStatus). */
export function wirelessCommands(p: Params, query: Params): BridgeEvent | null {
  const sid = need(p, "CommandSid");
  if (p.CommandStatus === undefined && p.Status === "received") {
    return {
      kind: "up", key: `twilio-wireless:${sid}:received`, device: simDevice(p), sim_sid: p.SimSid ?? null, platform: "twilio-wireless",
      transport: "sms", platform_ref: sid, payload_type: p.CommandMode === "binary" ? "binary" : "text", payload: p.Command ?? "",
    };
  }
  return status("twilio-wireless", query, simDevice(p), sid, p.CommandStatus ?? need(p, "Status"), p);
}

/** A phone number as a topic level: E.164 without '+' (MQTT topic names take no wildcard characters). */
export const phoneDevice = (n: string): string => n.replace(/^\+/, "");

/**
 * Messaging: inbound SMS (status `received`, in SmsStatus and, where sent, MessageStatus) and outbound
 * status callbacks (an outbound Message is never `received`).
 */
export function messages(p: Params, query: Params): BridgeEvent | null {
  const sid = p.MessageSid || need(p, "SmsSid");
  const st = p.MessageStatus ?? need(p, "SmsStatus");
  if (st === "received") {
    return {
      kind: "up", key: `twilio-messaging:${sid}:received`, device: checkDevice(phoneDevice(need(p, "From"))), sim_sid: null, platform: "twilio-messaging",
      transport: "sms", platform_ref: sid, payload_type: "text", payload: p.Body ?? "", from: need(p, "From"), to: p.To || null,
    };
  }
  return status("twilio-messaging", query, p.To ? phoneDevice(p.To) : null, sid, st, p);
}

const HUAWEI = new Map<string, StatusEvent["status"] | null>(Object.entries({
  PENDING: "queued", DEFAULT: "queued", SENT: "sent", DELIVERED: "delivered", SUCCESS: "succeeded", SUCCESSFUL: "succeeded",
  FAIL: "failed", FAILED: "failed", TIMEOUT: "failed", EXPIRED: "expired", CANCELED: "expired",
} as const));

/** Huawei command status notification `{deviceId, commandId, result: {resultCode, resultDetail}}`. */
export function huawei(body: unknown, query: Params): BridgeEvent | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new WebhookError("the body must be a JSON object");
  const b = body as Record<string, unknown>;
  const r = b.result as Record<string, unknown> | undefined;
  if (typeof b.deviceId !== "string" || typeof b.commandId !== "string" || typeof r !== "object" || r === null || typeof r.resultCode !== "string")
    throw new WebhookError("expected {deviceId, commandId, result: {resultCode, resultDetail}}");
  const raw = r.resultCode.toUpperCase();
  const s = HUAWEI.get(raw);
  if (s === undefined) throw new WebhookError(`unknown resultCode ${r.resultCode}`);
  if (s === null) return null;
  const e: StatusEvent = {
    kind: "status", key: `huawei:${b.commandId}:${s}`, device: checkDevice(b.deviceId), platform: "huawei", platform_ref: b.commandId, status: s,
    raw_status: raw, dl: dlOf(query), id: idOf(query),
  };
  if (r.resultDetail !== undefined && r.resultDetail !== null) e.result = r.resultDetail;
  if (s === "failed") e.error = { code: raw, message: raw === "TIMEOUT" ? "the device did not answer" : "the device reported a failure" };
  return e;
}
