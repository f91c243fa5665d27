/**
 * The in-process event bus and `GET /_mock/events` (server-sent events).
 *
 * Every state change is published as `{type, at, sim_sid?, …}` (docs/mock-network.md "Events"), e.g.
 * `sim.attached`, `ip_command.sent`, `sms.delivered`, `callback.failed`. In process: `bus.on(fn)` /
 * `bus.waitFor(pred, ms)`; over HTTP: `GET /_mock/events` streams `data: <json>\n\n` per event
 * (`?types=a,b` filters by type; `?replay=1` first sends the last 1000 events).
 */
import type { FastifyInstance } from "fastify";
import { SseStreams } from "../http/sse.js";
import { TwilioError } from "./errors.js";

export interface MockEvent {
  type: string;
  /** ISO 8601 with milliseconds. */
  at: string;
  sim_sid?: string | null;
  [k: string]: unknown;
}

type Listener = (e: MockEvent) => void;

const KEEP = 1000;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  /** Ring buffer of the last KEEP events (emit is on every hot path: no shifting of a 1000-element array). */
  private readonly ring: MockEvent[] = [];
  private head = 0;
  private lastMs = Number.NaN;
  private lastAt = "";
  constructor(private readonly now: () => Date) {}

  /** The last 1000 events, oldest first (a copy). */
  get recent(): MockEvent[] {
    return this.ring.length < KEEP ? this.ring.slice() : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  emit(type: string, data: Record<string, unknown> = {}): MockEvent {
    const d = this.now();
    const ms = d.getTime();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastAt = d.toISOString();
    }
    const e: MockEvent = { type, at: this.lastAt, ...data };
    if (this.ring.length < KEEP) this.ring.push(e);
    else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % KEEP;
    }
    if (this.listeners.size === 0) return e;
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        /* a listener's failure is its own */
      }
    }
    return e;
  }

  /** Subscribes; returns the unsubscribe function. */
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Resolves with the first event (from now on; with `past: true` also among `recent`) matching `pred`;
   * rejects after `timeoutMs` (default 5000, real time: it bounds a caller's wait) so no wait is unbounded.
   */
  waitFor(pred: (e: MockEvent) => boolean, timeoutMs = 5000, past = false): Promise<MockEvent> {
    if (past) {
      const hit = this.recent.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const off = this.on((e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }
}

/**
 * `GET /_mock/events`: at most `maxStreams` open at once (more → 503/20503), and a reader that falls 1 MiB
 * behind (host-tools/http/sse.ts) is disconnected.
 */
export function registerEventRoutes(app: FastifyInstance, bus: EventBus, maxStreams: number): void {
  const streams = new SseStreams(maxStreams);
  app.get("/_mock/events", (req, reply) => {
    const q = req.query as { types?: unknown; replay?: unknown };
    const types = typeof q.types === "string" && q.types !== "" ? new Set(q.types.split(",")) : null;
    reply.hijack();
    const res = reply.raw;
    const s = streams.open(res);
    if (s === null) {
      const e = new TwilioError(503, 20503, `Too many event streams are open (at most ${maxStreams})`);
      res.writeHead(503, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(e.toJSON()));
      return;
    }
    streams.write(s, ": simcmd mock cloud events\n\n");
    let off = (): void => undefined;
    const send = (e: MockEvent): void => {
      if ((types === null || types.has(e.type)) && !streams.write(s, `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)) off();
    };
    if (q.replay === "1") for (const e of bus.recent) send(e);
    off = bus.on(send);
    res.on("close", off);
  });
}
