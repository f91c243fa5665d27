/**
 * `CloudContext`: what every product registration function gets (products/index.ts).
 *
 *   export function registerWireless(app: FastifyInstance, ctx: CloudContext): void {
 *     ctx.db.exec("CREATE TABLE IF NOT EXISTS wireless_commands (seq INTEGER PRIMARY KEY, sid TEXT UNIQUE, …, created_ms INTEGER)");
 *     ctx.retain("wireless_commands");                       // rows older than 30 days disappear
 *     app.post("/wireless/v1/Commands", async (req, reply) => {
 *       const p = readParams(req.body, {...});                 // form.ts: typed params, 400/20001 on bad input
 *       const sid = ctx.sid("DC");
 *       … reply.code(201).send(json(row, ctx.publicUrl(req)));
 *     });
 *   }
 *
 * Routes are registered with their product prefix (`/wireless/v1/…`, `/api/2010-04-01/…`, `/huawei/…`);
 * host-routing.ts makes them reachable by Host header too. Auth (auth.ts) is already enforced on every route
 * unless the route sets `config: { auth: false }`. Throw `TwilioError` (errors.ts) for any 4xx.
 */
import type { Database } from "better-sqlite3";
import type { FastifyRequest } from "fastify";
import type { Callbacks } from "./callbacks.js";
import type { Errors } from "./errors.js";
import type { EventBus } from "./events.js";
import type { Network } from "./mock-network/index.js";
import type { Product } from "./host-routing.js";
import type { Clock } from "../../firmware/hal/clock.js";

export interface CloudContext {
  /** The SQLite database (better-sqlite3, synchronous). Each product creates its own tables (CREATE TABLE IF NOT EXISTS). */
  db: Database;
  /**
   * Makes the writes of this event-loop turn share one transaction, committed at its end (setImmediate):
   * call it before a hot-path INSERT/UPDATE. Rows are visible to this connection at once; a no-op when a
   * transaction is already open (e.g. inside `db.transaction(fn)`).
   */
  groupCommit(): void;
  /** The clock (injectable through startCloud({clock}) or {timers}); use it for every date_created/updated and expiry. */
  now(): Date;
  /**
   * The clock (Unix ms) everything the mock schedules runs on: host-tools/clock/node-clock.ts by default, the
   * one startCloud({timers}) got (a test's fake clock). The network schedules through it.
   */
  clock: Clock;
  /** The one account of this mock: `AC` + 32 hex. */
  accountSid: string;
  /** Its auth token (signs callbacks, checks Basic auth). */
  authToken: string;
  /**
   * Base URL of a product as the caller reached the mock, for `url` fields and paging links:
   * `http://127.0.0.1:PORT/supersim` (path prefix) or `http://supersim.twilio.com` (Host routing).
   * `product` defaults to the one in the request path. Append `/v1/IpCommands/HG…` etc.
   */
  publicUrl(req: FastifyRequest, product?: Product): string;
  /** A new SID: `sid("HG")` → "HG" + 32 lowercase hex. */
  sid(prefix: string): string;
  /** Error constructors: `new ctx.errors.TwilioError(status, code, msg)`, `badParam(msg)`, `notFound(path)`, `authError()`. */
  errors: Errors;
  /** Outgoing webhooks: `ctx.callbacks.send({url, method, params, kind, resourceSid, simSid})` (callbacks.ts). */
  callbacks: Callbacks;
  /** The network simulator: SIM registry, attach state, UDP and SMS delivery (network/index.ts). */
  network: Network;
  /** The event bus behind GET /_mock/events: `ctx.events.emit("ip_command.sent", {sim_sid, …})`. */
  events: EventBus;
  /** Registers a table for 30-day retention: rows whose `column` (epoch ms, default "created_ms") is older disappear. */
  retain(table: string, column?: string): void;
  /** Purges expired rows now (also done on a timer and, at most once a second, before each request). */
  purge(): void;
  /** Retention in ms (30 days). */
  retentionMs: number;
}
