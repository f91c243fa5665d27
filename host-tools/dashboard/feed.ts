/**
 * What the dashboard keeps of the MQTT traffic: each message becomes a DashEvent (topic, device, kind,
 * parsed payload), kept in a bounded history and streamed to Server-Sent Events clients; the device table
 * holds the configured devices, the ones seen on MQTT, and each one's last retained `state`.
 */
import type { ServerResponse } from "node:http";
import { jsonDepthProblem } from "../http/json-depth.js";
import { SSE_MAX_BUFFERED, SseStreams } from "../http/sse.js";

export interface DashEvent {
  topic: string;
  /** The `{device}` topic level; for `{prefix}/bridge/{instance}/state`, the instance; else null. */
  device: string | null;
  /** `up`, `down`, `down/<status>`, `state`, `state/set`, `bridge`, or the topic below the prefix. */
  kind: string;
  /** Parsed JSON, else the UTF-8 text; a payload over `MAX_PAYLOAD_BYTES` is replaced by a note. */
  payload: unknown;
  retained: boolean;
  /** When the dashboard received it (ISO 8601). */
  at: string;
}

export interface DeviceInfo {
  name: string;
  sim_sid: string | null;
  transport: string | null;
}

/** Payloads kept in full up to this size (the bridge's own default request limit). */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

/** `{device, kind}` of a topic under `prefix` (the bridge's topics, docs/bridge.md), or null for a topic outside it. */
export function classify(topic: string, prefix: string): { device: string | null; kind: string } | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const rest = topic.slice(prefix.length + 1).split("/");
  if (rest[0] === "devices" && rest.length >= 3 && rest[1] !== "") return { device: rest[1] ?? null, kind: rest.slice(2).join("/") };
  if (rest[0] === "bridge" && rest.length === 3 && rest[2] === "state") return { device: rest[1] ?? null, kind: "bridge" };
  return { device: null, kind: rest.join("/") };
}

export function parsePayload(payload: Buffer): unknown {
  if (payload.length > MAX_PAYLOAD_BYTES) return `(${payload.length} bytes, not shown)`;
  const text = payload.toString("utf8");
  // kept as text when nested too deep to stream (JSON.stringify of it would overflow the stack)
  if (jsonDepthProblem(text) !== null) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The bounded history and the SSE clients. Event ids are `<boot>.<seq>`: a client that reconnects with
 * `Last-Event-ID` gets only what it missed; one from before a restart (other boot) gets the whole history.
 */
export class EventFeed {
  private readonly history: { seq: number; ev: DashEvent }[] = [];
  private readonly streams: SseStreams;
  private seq = 0;
  private readonly boot = Date.now().toString(36);

  constructor(
    private readonly size: number,
    maxClients: number,
    /** A client that falls this far behind (bytes buffered) is dropped rather than buffered without bound. */
    maxBuffered = SSE_MAX_BUFFERED,
  ) {
    this.streams = new SseStreams(maxClients, maxBuffered);
  }

  get clientCount(): number {
    return this.streams.count;
  }

  push(ev: DashEvent): void {
    const seq = ++this.seq;
    this.history.push({ seq, ev });
    if (this.history.length > this.size) this.history.shift();
    this.streams.broadcast(this.frame(seq, ev));
  }

  /** Takes over `res` as an event stream; false when the client limit is reached (nothing written). */
  attach(res: ServerResponse, lastEventId: string | undefined): boolean {
    const client = this.streams.open(res);
    if (client === null) return false;
    const [boot, seqText] = (lastEventId ?? "").split(".");
    const after = boot === this.boot ? Number(seqText) || 0 : 0;
    let out = "retry: 2000\n\n";
    for (const h of this.history) if (h.seq > after) out += this.frame(h.seq, h.ev);
    this.streams.write(client, out);
    return true;
  }

  /** A named event (`event: <name>`) to every client, not kept in the history (the page fetches what it needs). */
  signal(name: string, data: unknown): void {
    const frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    this.streams.broadcast(frame);
  }

  /** A comment line to every client, so proxies and browsers keep idle streams open. */
  heartbeat(): void {
    this.streams.broadcast(": keep-alive\n\n");
  }

  closeAll(): void {
    this.streams.closeAll();
  }

  private frame(seq: number, ev: DashEvent): string {
    // JSON.stringify escapes line breaks, so one `data:` line carries the event.
    return `id: ${this.boot}.${seq}\ndata: ${JSON.stringify(ev)}\n\n`;
  }
}

/** Configured devices first, then the ones seen on MQTT (at most `maxSeen`, least recently seen dropped). */
export class DeviceTable {
  private readonly devices = new Map<string, DeviceInfo & { state: unknown }>();
  private readonly configured = new Set<string>();

  constructor(
    configured: DeviceInfo[],
    private readonly maxSeen = 1000,
  ) {
    for (const d of configured) {
      this.devices.set(d.name, { ...d, state: null });
      this.configured.add(d.name);
    }
  }

  /** Takes what a message says about its device: the SIM SID of an uplink, the retained state. */
  observe(ev: DashEvent): void {
    if (ev.device === null || ev.kind === "bridge") return;
    let d = this.devices.get(ev.device);
    if (d === undefined) {
      d = { name: ev.device, sim_sid: null, transport: null, state: null };
      this.devices.set(ev.device, d);
      this.evict();
    } else if (!this.configured.has(ev.device)) {
      this.devices.delete(ev.device); // most recently seen last
      this.devices.set(ev.device, d);
    }
    const p = ev.payload;
    const simSid = typeof p === "object" && p !== null ? (p as { sim_sid?: unknown }).sim_sid : undefined;
    if (ev.kind === "up" && typeof simSid === "string" && d.sim_sid === null) d.sim_sid = simSid;
    // An empty retained message clears the retained state.
    if (ev.kind === "state") d.state = p === "" ? null : p;
  }

  list(): (DeviceInfo & { state: unknown })[] {
    return [...this.devices.values()].map((d) => ({ ...d }));
  }

  private evict(): void {
    let seen = this.devices.size - this.configured.size;
    for (const name of this.devices.keys()) {
      if (seen <= this.maxSeen) return;
      if (this.configured.has(name)) continue;
      this.devices.delete(name);
      seen--;
    }
  }
}
