/**
 * 2010 Messages storage: the `api_messages` table, the per-account messaging settings of the mock (trial
 * flag, verified and unreachable numbers), incoming numbers, and the `api.v2010.account.message` JSON.
 */
import type { CloudContext } from "../../context.js";
import { rfc2822Date } from "../../dates.js";
import { encodeSubmit } from "../../../pdu/index.js";
import { API_VERSION, accountUri } from "./common.js";

export const MESSAGES_SCHEMA = `
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

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;

/** Every create parameter of the spec (unknown ones are 400/20001); most are accepted and ignored. */
export const CREATE_SPEC = {
  To: { type: "string" },
  From: { type: "string" },
  MessagingServiceSid: { type: "string" },
  Body: { type: "string", empty: true },
  MediaUrl: { type: "list" },
  ContentSid: { type: "string" },
  StatusCallback: { type: "uri" },
  ApplicationSid: { type: "string" },
  MaxPrice: { type: "string" },
  ProvideFeedback: { type: "boolean" },
  Attempt: { type: "integer", min: 1 },
  ValidityPeriod: { type: "integer", min: 1, max: 36000 },
  ForceDelivery: { type: "boolean" },
  ContentRetention: { type: "enum", values: ["retain", "discard"] },
  AddressRetention: { type: "enum", values: ["retain", "obfuscate"] },
  SmartEncoded: { type: "boolean" },
  PersistentAction: { type: "list" },
  TrafficType: { type: "enum", values: ["free"] },
  ShortenUrls: { type: "boolean" },
  ScheduleType: { type: "enum", values: ["fixed"] },
  SendAt: { type: "string" },
  SendAsMms: { type: "boolean" },
  ContentVariables: { type: "string" },
  RiskCheck: { type: "enum", values: ["enable", "disable"] },
  FallbackFrom: { type: "string" },
  StatusCallbackMethod: METHOD,
} as const;

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

export function messageJson(r: MessageRow): Record<string, unknown> {
  const uri = `${accountUri(r.account_sid)}/Messages/${r.sid}`;
  return {
    account_sid: r.account_sid,
    api_version: API_VERSION,
    body: r.body,
    date_created: rfc2822Date(r.created_ms),
    date_sent: r.sent_ms === null ? null : rfc2822Date(r.sent_ms),
    date_updated: rfc2822Date(r.updated_ms),
    direction: r.direction,
    error_code: r.error_code,
    error_message: r.error_message,
    from: r.from_addr,
    messaging_service_sid: r.messaging_service_sid,
    num_media: String(r.num_media),
    num_segments: String(r.num_segments),
    price: r.price,
    price_unit: r.price_unit,
    sid: r.sid,
    status: r.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: r.to_addr,
    uri: `${uri}.json`,
  };
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
