/**
 * The dashboard's side of the mock cloud (docs/dashboard.md "The mock cloud"): the cloud's URL and
 * credentials stay here, on the server — the page only ever talks to the dashboard. Two things:
 * - the cloud's event feed (`GET /_mock/events?replay=1`, Server-Sent Events, parsed with eventsource-parser),
 *   kept open and opened again after a loss; the replay that comes with each reconnect is deduplicated;
 * - JSON calls (the `/_mock/` admin routes, the platform's list routes), each bounded in time and size.
 * Every byte from the cloud is treated as untrusted: events are size-capped and must be JSON objects with a
 * `type` and an `at`; answers are read up to MAX_ANSWER_BYTES.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { Clock } from "../../firmware/hal/clock.js";
import { NodeClock } from "../clock/node-clock.js";
import type { MockEvent } from "../cloud/events.js";
import { HttpError } from "./down.js";

export interface CloudOptions {
  /** The mock cloud's base URL, e.g. `http://127.0.0.1:4010`. */
  url: string;
  accountSid: string;
  authToken: string;
}

/** One event of the feed at most (the cloud's events are a few hundred bytes; a TPDU or datagram ≤ 3 KiB of hex). */
const MAX_EVENT_BYTES = 64 * 1024;
/** A JSON answer at most. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** A JSON call's bound: real time (it bounds a wait for a real HTTP answer), whatever the dashboard's clock. */
const CALL_TIMEOUT_MS = 5000;
/** The feed is opened again this long (on the dashboard's clock) after it was lost. */
const RECONNECT_MS = 1000;

export interface CloudAnswer {
  status: number;
  json: Record<string, unknown>;
}

export class CloudLink {
  private readonly auth: string;
  private abort: AbortController | null = null;
  private closed = false;
  private timer: number | null = null;
  /** Dedupe of the replay after a reconnect: the newest event time applied, and the events applied at it. */
  private lastT = -Infinity;
  private readonly atLast = new Set<string>();
  private replayUpTo = -Infinity;
  /** Whether the feed is open. */
  connected = false;

  constructor(
    readonly o: CloudOptions,
    private readonly onEvent: (e: MockEvent) => void,
    private readonly onLink: (up: boolean) => void = () => undefined,
    private readonly clock: Clock = new NodeClock({ unref: true }),
  ) {
    this.auth = "Basic " + Buffer.from(`${o.accountSid}:${o.authToken}`).toString("base64");
  }

  /** Opens the feed (and keeps it open until close). */
  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const abort = new AbortController();
    this.abort = abort;
    this.replayUpTo = this.lastT;
    try {
      const res = await fetch(`${this.o.url}/_mock/events?replay=1`, { headers: { authorization: this.auth, accept: "text/event-stream" }, signal: abort.signal });
      if (res.status !== 200 || res.body === null) throw new Error(`HTTP ${res.status}`);
      this.setLink(true);
      const parser = createParser({ maxBufferSize: MAX_EVENT_BYTES, onEvent: (m) => this.take(m), onError: () => abort.abort() });
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        if (abort.signal.aborted) break;
      }
    } catch {
      /* lost, refused or aborted: opened again below unless closed */
    }
    this.setLink(false);
    if (!this.closed) this.timer = this.clock.setTimeout(() => void this.connect(), RECONNECT_MS);
  }

  private setLink(up: boolean): void {
    if (this.connected === up) return;
    this.connected = up;
    this.onLink(up);
  }

  private take(m: EventSourceMessage): void {
    let e: unknown;
    try {
      e = JSON.parse(m.data);
    } catch {
      return;
    }
    if (typeof e !== "object" || e === null || Array.isArray(e)) return;
    const ev = e as MockEvent;
    const t = Date.parse(ev.at);
    if (typeof ev.type !== "string" || !Number.isFinite(t)) return;
    // After a reconnect the cloud replays its recent events: skip those applied before.
    if (t < this.replayUpTo || (t === this.replayUpTo && this.atLast.has(m.data))) return;
    if (t > this.lastT) {
      this.lastT = t;
      this.atLast.clear();
    }
    if (t === this.lastT && this.atLast.size < 1000) this.atLast.add(m.data);
    try {
      this.onEvent(ev);
    } catch {
      /* the consumer's failure is its own */
    }
  }

  /** A JSON call to the cloud; throws HttpError 502 `cloud_unavailable` when it cannot be made or read. */
  async call(method: "GET" | "POST", path: string, body?: unknown): Promise<CloudAnswer> {
    let res: Response;
    try {
      res = await fetch(this.o.url + path, {
        method,
        headers: { authorization: this.auth, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new HttpError(502, "cloud_unavailable", `cannot reach the mock cloud at ${this.o.url}: ${cause}`);
    }
    const text = await readCapped(res);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(502, "cloud_unavailable", `the mock cloud answered ${method} ${path.split("?")[0]} with ${res.status} and no JSON`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new HttpError(502, "cloud_unavailable", "the mock cloud's answer is not a JSON object");
    return { status: res.status, json: json as Record<string, unknown> };
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.abort?.abort();
  }
}

async function readCapped(res: Response): Promise<string> {
  if (res.body === null) return "";
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body) {
      n += (chunk as Uint8Array).byteLength;
      if (n > MAX_ANSWER_BYTES) throw new HttpError(502, "cloud_unavailable", `the mock cloud's answer is over ${MAX_ANSWER_BYTES} bytes`);
      chunks.push(chunk as Uint8Array);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(502, "cloud_unavailable", `reading the mock cloud's answer failed: ${(e as Error).message}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}
