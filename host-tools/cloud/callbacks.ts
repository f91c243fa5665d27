/**
 * Outgoing webhooks (status callbacks, Fleet/SIM MO webhooks): `ctx.callbacks.send({...})`.
 *
 * - POST: `application/x-www-form-urlencoded` body; GET: the params appended to the URL's query.
 * - Signed: `X-Twilio-Signature` (host-tools/platform/signature.ts, over the URL as requested — fragment
 *   removed — plus the sorted POST params) and `kore-signature` (secret = the auth token; KORE's variant).
 *   Both headers are always sent, so a receiver may check either. `I-Twilio-Idempotency-Token` is the same on
 *   every retry.
 * - Retry policy: Twilio's documented webhook connection overrides, read from the URL fragment
 *   `#rc=…&rt=…&tt=…&rp=…`: `rc` retries (0..5, default 1), `rt` per-attempt timeout in ms (100..15000,
 *   default 15000), `tt` total budget in ms (default 15000), `rp` which failures to retry: comma list of
 *   `ct` (connection failed), `rt` (timeout), `4xx`, `5xx`, or `all`; default
 *   `ct,rt,5xx` (Twilio's own default is unverified). `startCloud({callbacks})` can lower the defaults for tests.
 * - The response body is read up to 64 KiB (CALLBACK_RESPONSE_MAX), then the connection is dropped: a callback
 *   URL that answers without end costs the mock nothing.
 * - Never blocks the API response (runs after the current tick). A final failure (non-2xx, timeout or
 *   connection error) is recorded (`GET /_mock/callbacks`) with code 83402 (or the caller's `errorCode`)
 *   and emitted as `callback.failed`; success emits `callback.succeeded`.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import type { EventBus } from "./events.js";
import { WebhookAbort, WebhookAgents } from "./webhook-request.js";
import { koreSignature, twilioSignature } from "../platform/signature.js";

export interface CallbackRequest {
  url: string;
  method: "GET" | "POST";
  /** Parameters (PascalCase, as Twilio sends them). Undefined/null values are left out. */
  params: Record<string, string | number | boolean | null | undefined>;
  /** What kind of callback, for records and events: "ip_command.status", "fleet.ip_commands", … */
  kind: string;
  resourceSid?: string | null;
  simSid?: string | null;
  /** Error code recorded when it fails. Default 83402 (Super SIM "error response to callback"). */
  errorCode?: number;
}

export interface CallbackResult {
  ok: boolean;
  attempts: number;
  statusCode: number | null;
  error: string | null;
}

export interface CallbackDefaults {
  /** Retries after the first attempt. Default 1. */
  retries?: number;
  /** Per-attempt timeout, ms. Default 15000. */
  timeoutMs?: number;
  /** Total budget, ms. Default 15000. */
  totalMs?: number;
}

interface Policy {
  rc: number;
  rt: number;
  tt: number;
  rp: Set<string>;
}

/** Bytes of a callback's response read at most; the rest is dropped with the connection. */
export const CALLBACK_RESPONSE_MAX = 64 * 1024;

function policyOf(url: string, d: Required<CallbackDefaults>): Policy {
  const p: Policy = { rc: d.retries, rt: d.timeoutMs, tt: d.totalMs, rp: new Set(["ct", "rt", "5xx"]) };
  const hash = url.indexOf("#");
  if (hash < 0) return p;
  const sp = new URLSearchParams(url.slice(hash + 1));
  const num = (k: string, lo: number, hi: number, dflt: number): number => {
    const v = Number(sp.get(k));
    return sp.has(k) && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : dflt;
  };
  p.rc = num("rc", 0, 5, p.rc);
  p.rt = num("rt", 100, 15000, p.rt);
  p.tt = num("tt", 100, 15000, p.tt);
  const rp = sp.get("rp");
  if (rp) p.rp = rp === "all" ? new Set(["ct", "rt", "4xx", "5xx"]) : new Set(rp.split(","));
  return p;
}

export class Callbacks {
  /** Keep-alive connections to the receivers (undici's dispatch API: a fetch() per callback cost several times as much CPU). */
  private readonly agents = new WebhookAgents();
  private readonly d: Required<CallbackDefaults>;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly authToken: string,
    private readonly now: () => Date,
    defaults: CallbackDefaults = {},
  ) {
    this.d = { retries: defaults.retries ?? 1, timeoutMs: defaults.timeoutMs ?? 15000, totalMs: defaults.totalMs ?? 15000 };
    db.exec(`CREATE TABLE IF NOT EXISTS mock_callbacks (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, url TEXT, method TEXT, resource_sid TEXT, sim_sid TEXT,
      ok INTEGER, attempts INTEGER, status_code INTEGER, error_code INTEGER, error_message TEXT, created_ms INTEGER)`);
  }

  /** Sends in the background; never throws. */
  send(req: CallbackRequest): void {
    if (this.closed) return;
    setImmediate(() => void this.deliver(req));
  }

  /** Sends and resolves with the outcome (after retries). Never rejects. */
  async deliver(req: CallbackRequest): Promise<CallbackResult> {
    const pol = policyOf(req.url, this.d);
    const target = req.url.split("#")[0] ?? req.url;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.params)) if (v !== undefined && v !== null) params[k] = String(v);
    const form = new URLSearchParams(params).toString();
    const url = req.method === "GET" && form !== "" ? target + (target.includes("?") ? "&" : "?") + form : target;
    const body = req.method === "POST" ? form : "";
    const headers: Record<string, string> = {
      "x-twilio-signature": twilioSignature(this.authToken, url, req.method === "POST" ? params : {}),
      "kore-signature": koreSignature(this.authToken, req.method, url, body),
      "i-twilio-idempotency-token": randomUUID(),
      "user-agent": "TwilioProxy/1.1 (simcmd mock cloud)",
      accept: "*/*",
    };
    if (req.method === "POST") headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    const start = Date.now();
    let result: CallbackResult = { ok: false, attempts: 0, statusCode: null, error: null };
    for (let attempt = 0; attempt <= pol.rc && !this.closed; attempt++) {
      const left = pol.tt - (Date.now() - start);
      if (attempt > 0 && left <= 0) break;
      let kind: string;
      try {
        // bounds on waiting for the receiver (real I/O) run in real time, whatever the cloud's clock does
        const timeoutMs = Math.max(1, Math.min(pol.rt, left));
        const status = await this.agents.request(url, req.method, headers, req.method === "POST" ? body : undefined, CALLBACK_RESPONSE_MAX, timeoutMs);
        result = { ok: status >= 200 && status < 300, attempts: attempt + 1, statusCode: status, error: null };
        if (result.ok) break;
        result.error = `HTTP ${status}`;
        kind = status >= 500 ? "5xx" : "4xx";
      } catch (e) {
        // cut short: its time ran out, or the cloud closed (not recorded then)
        const timeout = e instanceof WebhookAbort;
        result = { ok: false, attempts: attempt + 1, statusCode: null, error: timeout ? "timeout" : `connection failed: ${(e as Error).message}` };
        kind = timeout ? "rt" : "ct";
      }
      this.events.emit("callback.attempt", { sim_sid: req.simSid ?? null, kind: req.kind, url: target, resource_sid: req.resourceSid ?? null, attempt: attempt + 1, error: result.error });
      if (!pol.rp.has(kind)) break;
    }
    this.record(req, target, result);
    return result;
  }

  private record(req: CallbackRequest, url: string, r: CallbackResult): void {
    if (this.closed) return;
    const code = r.ok ? null : (req.errorCode ?? 83402);
    const message = r.ok ? null : `Received error response to callback request: ${r.error}`;
    this.db.prepare(`INSERT INTO mock_callbacks (kind, url, method, resource_sid, sim_sid, ok, attempts, status_code, error_code, error_message, created_ms)
      VALUES (?,?,?,?,?,?,?,?,?,?,?)`).run(req.kind, url, req.method, req.resourceSid ?? null, req.simSid ?? null, r.ok ? 1 : 0, r.attempts, r.statusCode, code, message, this.now().getTime());
    this.events.emit(r.ok ? "callback.succeeded" : "callback.failed", {
      sim_sid: req.simSid ?? null, kind: req.kind, url, method: req.method, resource_sid: req.resourceSid ?? null,
      attempts: r.attempts, status_code: r.statusCode, error_code: code, error_message: message,
    });
  }

  /** `GET /_mock/callbacks`: the last 200 callback outcomes, newest first. */
  registerRoutes(app: FastifyInstance): void {
    app.get("/_mock/callbacks", async () => ({
      callbacks: this.db.prepare("SELECT * FROM mock_callbacks ORDER BY seq DESC LIMIT 200").all(),
    }));
  }

  /** Aborts everything in flight; later sends are ignored. */
  close(): void {
    this.closed = true;
    this.agents.close();
  }
}
