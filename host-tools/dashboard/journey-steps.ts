/**
 * The steps of one command's journey, from what journey.ts kept: each MQTT event and each mock cloud event
 * becomes a step with its source, a title, the platform resource, the error, the bytes on the wire (decoded,
 * with the hex) and a few facts; the steps are put in time order (ties: in the order a command goes,
 * request → platform → network → device reply → uplink → final status) with the time since the first step
 * and since the previous one.
 */
import type { BridgeRecord, CommandRecord, Kept } from "./journey.js";
import { datagramView, tpduView, type WireView } from "./wire-view.js";

export type Source = "dashboard" | "bridge" | "platform" | "network";

export interface Step {
  at: string;
  /** Since the first step, ms. */
  offset_ms: number;
  /** Since the previous step, ms. */
  delta_ms: number;
  source: Source;
  /** `published`, `down/<status>`, `up`, or the mock cloud's event type. */
  kind: string;
  title: string;
  /** The platform resource the step is about. */
  sid: string | null;
  status: string | null;
  error: { code: unknown; message: unknown } | null;
  /** Short facts, in order: [label, text]. */
  facts: [string, string][];
  /** The bytes on the simulated network. */
  wire: { as: "datagram" | "tpdu"; direction: "mt" | "mo"; hex: string; truncated: boolean; view: WireView } | null;
  /** The MQTT payload of a bridge step. */
  payload: unknown;
}

type Draft = Omit<Step, "at" | "offset_ms" | "delta_ms"> & { t: number; rank: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));

/** A URL without its query (callback URLs carry correlation tokens). */
function bare(url: unknown): string {
  return typeof url === "string" ? (url.split(/[?#]/)[0] ?? "") : "";
}

function draft(t: number, rank: number, source: Source, kind: string, title: string, more: Partial<Draft> = {}): Draft {
  return { t, rank, source, kind, title, sid: null, status: null, error: null, facts: [], wire: null, payload: null, ...more };
}

const PLATFORM = /^(ip_command|sms_command|wireless_command|message|huawei_command)\.(.+)$/;
const NAMES: Record<string, string> = {
  ip_command: "IpCommand",
  sms_command: "SmsCommand",
  wireless_command: "Wireless Command",
  message: "Message",
  huawei_command: "Huawei command",
};

/** Platform statuses: rank in a command's way (created, sent, delivered, the reply stored). */
function platformRank(status: string): number {
  if (status === "queued" || status === "pending" || status === "accepted" || status === "sending") return 10;
  if (status === "sent" || status === "failed" || status === "undelivered" || status === "timeout" || status === "expired") return 22;
  if (status === "delivered" || status === "successful") return 32;
  if (status === "received") return 42;
  return 50;
}

function fromMock(k: Kept, replyRefs: Set<string>): Draft | null {
  const e = k.e;
  const p = PLATFORM.exec(e.type);
  const sid = [e.command_sid, e.message_sid, e.command_id, e.ref, e.resource_sid].find((x): x is string => typeof x === "string") ?? null;
  if (p) {
    const status = p[2] as string;
    const name = NAMES[p[1] as string] ?? p[1];
    const created = platformRank(status) === 10;
    const title = status === "received" ? `The reply stored at the platform as a from_sim ${name}` : created ? `Platform API call: ${name} created (${status})` : `Platform: ${name} ${status}`;
    const error = e.error_code !== null && e.error_code !== undefined ? { code: e.error_code, message: e.error_message ?? null } : null;
    return draft(k.t, platformRank(status), "platform", e.type, title, { sid, status, error });
  }
  if (e.type.startsWith("callback.")) {
    const reply = typeof e.resource_sid === "string" && replyRefs.has(e.resource_sid);
    const facts: [string, string][] = [["to", bare(e.url)]];
    if (e.attempt !== undefined) facts.push(["attempt", str(e.attempt)]);
    if (e.attempts !== undefined) facts.push(["attempts", str(e.attempts)]);
    if (e.status_code !== undefined && e.status_code !== null) facts.push(["HTTP", str(e.status_code)]);
    const what = reply ? "Webhook with the reply" : "Status callback";
    const title = e.type === "callback.succeeded" ? `${what} to the bridge answered` : e.type === "callback.failed" ? `${what} to the bridge failed` : `${what}: attempt ${str(e.attempt)} failed (${str(e.error)})`;
    const error = e.type === "callback.failed" ? { code: e.error_code ?? null, message: e.error_message ?? null } : null;
    return draft(k.t, reply ? 44 : 24, "platform", e.type, title, { sid, error, facts });
  }
  return fromNetwork(k, sid);
}

function fromNetwork(k: Kept, sid: string | null): Draft | null {
  const e = k.e;
  // The device's datagrams and reports (a DELIVER-REPORT acknowledges, or rejects, an SMS) go device → network.
  const mo = e.direction === "mo" || e.type === "ip.received" || e.type === "sms.submit.received" || e.type === "sms.delivered" || (e.type === "sms.failed" && typeof e.tpdu === "string");
  const direction: "mt" | "mo" = mo ? "mo" : "mt";
  const truncated = e.truncated === true;
  const datagram = typeof e.hex === "string" ? { as: "datagram" as const, direction, hex: e.hex, truncated, view: datagramView(e.hex) } : null;
  const tpdu = typeof e.tpdu === "string" ? { as: "tpdu" as const, direction, hex: e.tpdu, truncated, view: tpduView(e.tpdu, direction) } : null;
  const wire = datagram ?? tpdu;
  const facts: [string, string][] = [];
  for (const [label, key] of [["bytes", "bytes"], ["device port", "device_port"], ["part", "part"], ["attempt", "attempt"], ["reason", "reason"], ["to", "to"]] as const) {
    if (e[key] !== undefined && e[key] !== null) facts.push([label, key === "part" ? `${str(e.part)}/${str(e.parts)}` : str(e[key])]);
  }
  const reportLost = e.type === "sms.lost" && mo && sid !== null;
  const titles: Record<string, string> = {
    "ip.sent": "Datagram sent to the device",
    "ip.lost": mo ? "Datagram from the device lost" : "Datagram to the device lost",
    "ip.failed": "Not sent: the SIM is not attached",
    "ip.received": "Datagram from the device reached the network",
    "sms.deliver.sent": `SMS-DELIVER sent to the device${Number(e.attempt) > 1 ? ` (attempt ${str(e.attempt)}: resent)` : ""}`,
    "sms.lost": reportLost ? "DELIVER-REPORT from the modem lost" : mo ? "SMS from the device lost" : `SMS-DELIVER lost (attempt ${str(e.attempt)})`,
    "sms.delivered": "DELIVER-REPORT from the modem: delivered",
    "sms.failed": `The SMSC gave up (${str(e.reason)})`,
    "sms.submit.received": "SMS-SUBMIT from the device reached the network",
  };
  const title = titles[e.type];
  if (title === undefined) return null;
  const rank = e.type === "sms.delivered" || reportLost ? 30 : mo ? 40 : 20;
  const error = e.type === "ip.failed" ? { code: e.error_code ?? null, message: e.error_message ?? null } : null;
  return draft(k.t, rank, "network", e.type, title, { sid, wire, facts, error });
}

const BRIDGE_RANK: Record<string, number> = { queued: 12, sent: 26, delivered: 36, succeeded: 48, failed: 48, expired: 48, rejected: 48 };

function fromBridge(b: BridgeRecord): Draft {
  const p = b.payload;
  const status = b.kind.slice(5);
  const err = isObj(p.error) ? { code: p.error.code ?? null, message: p.error.message ?? null } : null;
  const facts: [string, string][] = [];
  if (p.result !== undefined) facts.push(["result", str(p.result)]);
  if (typeof p.platform_status === "string") facts.push(["platform status", p.platform_status]);
  if (p.attempts !== undefined) facts.push(["attempts", str(p.attempts)]);
  const sid = typeof p.platform_ref === "string" ? p.platform_ref : null;
  // A failure before the platform answered (rejected, a 4xx) ranks with the platform's answer.
  const rank = status === "failed" && p.reply_ref === undefined ? (sid === null ? 11 : 26) : (BRIDGE_RANK[status] ?? 50);
  return draft(b.t, rank, "bridge", b.kind, `Bridge published ${b.kind}`, { sid, status, error: err, facts, payload: p });
}

function fromUp(b: BridgeRecord): Draft {
  const p = b.payload;
  const reply = isObj(p.reply) ? p.reply : {};
  const facts: [string, string][] = [["transport", str(p.transport)], ["reply", reply.ok === true ? `ok ${str(reply.result)}` : `err ${str(reply.error)}`]];
  return draft(b.t, 46, "bridge", "up", "Bridge published the uplink with the reply", { sid: typeof p.platform_ref === "string" ? p.platform_ref : null, facts, payload: p });
}

export function buildSteps(x: { command: CommandRecord; mock: Kept[]; mo: Kept[]; replyRefs: Set<string> }): Step[] {
  const c = x.command;
  const drafts: Draft[] = [];
  if (c.published !== null) {
    const r = c.published.request;
    const facts: [string, string][] = [];
    if (r.command !== undefined) facts.push(["command", str(r.command)]);
    if (r.payload !== undefined) facts.push(["payload", str(r.payload)]);
    facts.push(["transport", str(r.transport ?? "default")]);
    drafts.push(draft(c.published.t, 0, "dashboard", "published", `Request published on MQTT …/devices/${c.device}/down`, { facts, payload: r }));
  }
  for (const b of c.bridge) drafts.push(fromBridge(b));
  for (const u of c.ups) drafts.push(fromUp(u));
  const seen = new Set<Kept>();
  for (const k of [...x.mock, ...x.mo]) {
    if (seen.has(k)) continue;
    seen.add(k);
    const d = fromMock(k, x.replyRefs);
    if (d !== null) drafts.push(d);
  }
  drafts.sort((a, b) => a.t - b.t || a.rank - b.rank);
  const t0 = drafts[0]?.t ?? 0;
  let prev = t0;
  return drafts.map(({ t, rank: _rank, ...s }) => {
    const step: Step = { at: new Date(t).toISOString(), offset_ms: t - t0, delta_ms: t - prev, ...s };
    prev = t;
    return step;
  });
}
