/**
 * Each command's journey (docs/dashboard.md "Journey"): what the dashboard saw on MQTT (the downlink request,
 * the bridge's `down/<status>` events, the uplink with the agent's reply) joined with the mock cloud's events
 * about the same command — the platform resource's statuses and callbacks (by its SID, which the bridge's
 * events name as `platform_ref` / `reply_ref`), the bytes on the simulated network (MT traffic by `ref`; the
 * device's reply by the command id it carries) — as one list of steps in time order.
 *
 * Everything is kept in bounded maps (the oldest entry goes first); the journey is built when asked for.
 */
import type { Clock } from "../../firmware/hal/clock.js";
import { isFinal } from "../bridge/downlink-status.js";
import { NodeClock } from "../clock/node-clock.js";
import type { MockEvent } from "../cloud/events.js";
import { BoundedMap } from "./bounded-map.js";
import type { DashEvent } from "./feed.js";
import { buildSteps, type Step } from "./journey-steps.js";
import { datagramView, tpduView } from "./wire-view.js";

export type { Step } from "./journey-steps.js";

/** A mock event as kept: the event and its time (epoch ms). */
export interface Kept {
  e: MockEvent;
  t: number;
}

export interface BridgeRecord {
  kind: string;
  t: number;
  payload: Record<string, unknown>;
}

export interface CommandRecord {
  id: string;
  device: string;
  published: { t: number; request: Record<string, unknown> } | null;
  /** `down/<status>` events, in arrival order. */
  bridge: BridgeRecord[];
  /** Uplinks that carry the agent's reply to this id. */
  ups: BridgeRecord[];
  /** Platform resources of the command (the MT SID) and of its reply (the MO SID). */
  refs: Set<string>;
  mtRef: string | null;
  /** The first final status and its time. */
  final: { status: string; t: number } | null;
}

export interface Journey {
  id: string;
  device: string;
  transport: string | null;
  request: Record<string, unknown> | null;
  sim_sid: string | null;
  /** The bridge's latest status; `final` when it is succeeded, failed, expired or rejected. */
  status: string | null;
  final: boolean;
  /** From the request to the final status, ms. */
  latency_ms: number | null;
  /** The platform resource of the command: its SID, what it is, its latest status and error. */
  resource: { sid: string; type: string; status: string | null; error_code: unknown; error_message: unknown } | null;
  steps: Step[];
}

export interface StatsPoint {
  id: string;
  status: string;
  latency_ms: number;
  at: string;
}

export interface DeviceStats {
  device: string;
  /** The last `n` finished commands, oldest first. */
  points: StatsPoint[];
  /** Commands by final status (and `pending`: not finished yet), of the commands kept. */
  counts: Record<string, number>;
}

const MAX_COMMANDS = 500;
const MAX_REFS = 4000;
const MAX_PER_KEY = 64;
/** Finished commands a device's chart shows. */
export const CHART_POINTS = 20;

/** Mock event fields that name the platform resource an event is about. */
const REF_FIELDS = ["ref", "command_sid", "message_sid", "command_id", "resource_sid"] as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const timeOf = (v: unknown, fallback: number): number => {
  const t = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : fallback;
};

/** What kind of platform resource a SID is, by its prefix. */
export function resourceType(sid: string): string {
  if (sid.startsWith("HG")) return "Super SIM IpCommand";
  if (sid.startsWith("HC")) return "Super SIM SmsCommand";
  if (sid.startsWith("DC")) return "Wireless Command";
  if (sid.startsWith("SM") || sid.startsWith("MM")) return "Message";
  return "Huawei device command";
}

export class JourneyStore {
  private readonly commands = new BoundedMap<string, CommandRecord>(MAX_COMMANDS);
  /** Platform resource → the mock's events about it. */
  private readonly byRef = new BoundedMap<string, Kept[]>(MAX_REFS);
  /** Platform resource → the command id it belongs to (learned from the bridge's events). */
  private readonly refToId = new BoundedMap<string, string>(MAX_REFS);
  /** Command id → the device's replies seen on the network (and lost there). */
  private readonly moById = new BoundedMap<string, Kept[]>(MAX_COMMANDS * 2);

  /** Called with the ids whose journey changed (and whether it just finished). */
  constructor(
    private readonly changed: (id: string, device: string, final: boolean) => void = () => undefined,
    /** The time of an event without a usable `at` (the dashboard's clock). */
    private readonly clock: Pick<Clock, "now"> = new NodeClock(),
  ) {}

  private command(id: string, device: string): CommandRecord {
    let c = this.commands.get(id);
    if (c === undefined) {
      c = { id, device, published: null, bridge: [], ups: [], refs: new Set(), mtRef: null, final: null };
      this.commands.set(id, c);
    }
    return c;
  }

  private link(c: CommandRecord, ref: unknown): void {
    if (typeof ref !== "string" || ref === "" || c.refs.has(ref)) return;
    if (c.refs.size >= MAX_PER_KEY) return;
    c.refs.add(ref);
    this.refToId.set(ref, c.id);
  }

  /** The dashboard published a request itself: `t` is when it started publishing (before the broker had it). */
  published(device: string, id: string, request: Record<string, unknown>, t: number): void {
    const c = this.command(id, device);
    if (c.published === null || t < c.published.t) c.published = { t, request };
    this.changed(id, device, false);
  }

  /** A message from MQTT (feed.ts's DashEvent). */
  onMqtt(ev: DashEvent): void {
    if (ev.device === null || !isObj(ev.payload)) return;
    const p = ev.payload;
    const seen = timeOf(ev.at, this.clock.now());
    if (ev.kind === "down") {
      if (typeof p.id !== "string" || ev.retained) return;
      const c = this.command(p.id, ev.device);
      if (c.published === null) c.published = { t: seen, request: p };
      this.changed(c.id, c.device, false);
      return;
    }
    if (ev.kind.startsWith("down/")) {
      if (typeof p.id !== "string" || p.repeat === true) return;
      const c = this.command(p.id, ev.device);
      const t = timeOf(p.at, seen);
      c.bridge.push({ kind: ev.kind, t, payload: p });
      if (c.bridge.length > MAX_PER_KEY) c.bridge.shift();
      if (typeof p.platform_ref === "string" && c.mtRef === null) c.mtRef = p.platform_ref;
      this.link(c, p.platform_ref);
      this.link(c, p.reply_ref);
      const status = ev.kind.slice(5);
      const nowFinal = isFinal(status) && c.final === null;
      if (nowFinal) c.final = { status, t };
      this.changed(c.id, c.device, nowFinal);
      return;
    }
    if (ev.kind === "up" && isObj(p.reply) && typeof p.reply.id === "string") {
      const c = this.command(p.reply.id, ev.device);
      c.ups.push({ kind: "up", t: timeOf(p.received_at, seen), payload: p });
      if (c.ups.length > MAX_PER_KEY) c.ups.shift();
      this.link(c, p.platform_ref);
      this.changed(c.id, c.device, false);
    }
  }

  /** An event from the mock cloud's feed. */
  onMock(e: MockEvent): void {
    const t = timeOf(e.at, this.clock.now());
    const kept: Kept = { e, t };
    for (const f of REF_FIELDS) {
      const ref = e[f];
      if (typeof ref !== "string" || ref === "") continue;
      let list = this.byRef.get(ref);
      if (list === undefined) {
        list = [];
        this.byRef.set(ref, list);
      }
      if (list.length < MAX_PER_KEY) list.push(kept);
      const id = this.refToId.get(ref);
      const c = id === undefined ? undefined : this.commands.get(id);
      if (c !== undefined) this.changed(c.id, c.device, false);
      return;
    }
    const replyId = moReplyId(e);
    if (replyId === null) return;
    let list = this.moById.get(replyId);
    if (list === undefined) {
      list = [];
      this.moById.set(replyId, list);
    }
    if (list.length < MAX_PER_KEY) list.push(kept);
    const c = this.commands.get(replyId);
    if (c !== undefined) this.changed(c.id, c.device, false);
  }

  get(id: string): Journey | null {
    const c = this.commands.get(id);
    if (c === undefined) return null;
    const mock: Kept[] = [];
    for (const ref of c.refs) mock.push(...(this.byRef.get(ref) ?? []));
    const simSid = mock.map((k) => k.e.sim_sid).find((s): s is string => typeof s === "string") ?? null;
    // The device's replies on the network: those from this command's SIM (any SIM while it is not known yet).
    const mo = (this.moById.get(id) ?? []).filter((k) => simSid === null || k.e.sim_sid === simSid);
    const replyRefs = new Set<string>();
    for (const u of c.ups) if (typeof u.payload.platform_ref === "string") replyRefs.add(u.payload.platform_ref);
    for (const b of c.bridge) if (typeof b.payload.reply_ref === "string") replyRefs.add(b.payload.reply_ref);
    const steps = buildSteps({ command: c, mock, mo, replyRefs });
    const last = c.bridge.reduce<BridgeRecord | null>((acc, b) => (acc === null || b.t >= acc.t ? b : acc), null);
    const request = c.published?.request ?? null;
    return {
      id: c.id,
      device: c.device,
      transport: request !== null && typeof request.transport === "string" ? request.transport : null,
      request,
      sim_sid: simSid,
      status: c.final?.status ?? (last === null ? null : last.kind.slice(5)),
      final: c.final !== null,
      latency_ms: c.final !== null && c.published !== null ? Math.max(0, c.final.t - c.published.t) : null,
      resource: c.mtRef === null ? null : this.resource(c, c.mtRef),
      steps,
    };
  }

  /** The platform's view of the command's resource, from the mock's events (the bridge's error when it has one). */
  private resource(c: CommandRecord, sid: string): Journey["resource"] {
    const events = (this.byRef.get(sid) ?? []).filter((k) => /^(ip_command|sms_command|wireless_command|message|huawei_command)\./.test(k.e.type));
    const lastEv = events[events.length - 1]?.e;
    const failed = [...events].reverse().find((k) => k.e.error_code !== null && k.e.error_code !== undefined)?.e;
    const bridgeError = [...c.bridge].reverse().map((b) => b.payload.error).find(isObj);
    return {
      sid,
      type: resourceType(sid),
      status: lastEv === undefined ? null : lastEv.type.slice(lastEv.type.indexOf(".") + 1),
      error_code: failed?.error_code ?? bridgeError?.code ?? null,
      error_message: failed?.error_message ?? bridgeError?.message ?? null,
    };
  }

  /** The device's last CHART_POINTS finished commands and its commands by final status. */
  stats(device: string): DeviceStats {
    const counts: Record<string, number> = { succeeded: 0, failed: 0, expired: 0, rejected: 0, pending: 0 };
    const done: StatsPoint[] = [];
    for (const c of this.commands.values()) {
      if (c.device !== device) continue;
      if (c.final === null) {
        counts.pending = (counts.pending ?? 0) + 1;
        continue;
      }
      counts[c.final.status] = (counts[c.final.status] ?? 0) + 1;
      if (c.published !== null) done.push({ id: c.id, status: c.final.status, latency_ms: Math.max(0, c.final.t - c.published.t), at: new Date(c.final.t).toISOString() });
    }
    done.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return { device, points: done.slice(-CHART_POINTS), counts };
  }

  /** The command id a platform resource belongs to, when the bridge's events have named it. */
  idOf(ref: string): string | null {
    return this.refToId.get(ref) ?? null;
  }
}

/** The id of the agent reply carried by a device → network event (its bytes), or null. */
export function moReplyId(e: MockEvent): string | null {
  const mo = e.type === "ip.received" || e.type === "sms.submit.received" || ((e.type === "ip.lost" || e.type === "sms.lost") && e.direction === "mo");
  if (!mo) return null;
  if (typeof e.hex === "string") return datagramView(e.hex).reply?.id ?? null;
  if (typeof e.tpdu === "string") return tpduView(e.tpdu, "mo").reply?.id ?? null;
  return null;
}
