/**
 * The mock cloud: one fastify server for Super SIM, Wireless, API 2010 and the
 * Huawei-style product, with a SQLite store, signed callbacks and the UDP/SMS network simulator.
 *
 *   const cloud = await startCloud({ port: 0 });     // → { url, accountSid, authToken, close(), events, network }
 *   const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
 *
 * Without credentials the fixed development account is used: DEV_ACCOUNT_SID / DEV_AUTH_TOKEN below.
 */
import Database from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { Authenticator } from "./auth.js";
import { Callbacks, type CallbackDefaults } from "./callbacks.js";
import type { CloudContext } from "./context.js";
import { errors, installErrorHandlers, TwilioError, twilioShape } from "./errors.js";
import { routeTable, serverOptions } from "../http/server.js";
import { EventBus, registerEventRoutes } from "./events.js";
import { installFormParser } from "./form.js";
import { baseUrl, productOf, rewriteUrl } from "./host-routing.js";
import { registerNetworkRoutes } from "./mock-network/admin-routes.js";
import type { Conditions } from "./mock-network/conditions.js";
import { Network } from "./mock-network/index.js";
import { PRODUCTS } from "./products/index.js";
import { newSid } from "./sids.js";
import type { Clock } from "../../firmware/hal/clock.js";
import { NodeClock } from "../clock/node-clock.js";

/** The development account used when startCloud gets no credentials. */
export const DEV_ACCOUNT_SID = "AC5eedf00d5eedf00d5eedf00d5eedf00d";
export const DEV_AUTH_TOKEN = "5eedf00d5eedf00d5eedf00d5eedf00d";
/** Records are kept 30 days, as the platform keeps Commands. */
export const RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface CloudOptions {
  /** TCP port; 0 = ephemeral. Default 0. */
  port?: number;
  /** Listen address (also used for the UDP sockets of the network). Default "127.0.0.1". */
  host?: string;
  /** SQLite file, or ":memory:" (default). */
  data?: string;
  accountSid?: string;
  authToken?: string;
  /** Injected clock for dates and retention. Default: `timers.now()` when `timers` is given, else () => new Date(). */
  clock?: () => Date;
  /**
   * Time source and timers for everything the mock schedules itself (network latency, paging delay, eDRX
   * windows, SMSC retries, Huawei ack/expiry, the retention purge): a test's fake clock that it advances.
   * Default: host-tools/clock/node-clock.ts, with `now()` from `clock` when that is given.
   */
  timers?: Clock;
  /** Callback retry defaults (callbacks.ts), e.g. {timeoutMs: 500} in tests. */
  callbacks?: CallbackDefaults;
  /** Initial network conditions (network/conditions.ts). */
  network?: Partial<Conditions>;
  /** Largest request body, bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** A request (headers and body) must arrive within this many ms, else 408 and the connection closes. Default 30000. */
  requestTimeoutMs?: number;
  /**
   * Rows kept per table at most. Records (commands, messages, callback outcomes): the oldest go first;
   * resources (SIMs, Fleets, SIP domains, Huawei devices, …): a create beyond it is refused (403/20403).
   * Default 100000.
   */
  maxRecords?: number;
  /** Open `GET /_mock/events` streams at most (more → 503). Default 50. */
  maxEventStreams?: number;
  /**
   * Honour `X-Forwarded-Proto` / `X-Forwarded-Host` (links in responses) only from these proxies: fastify's
   * `trustProxy` (true = any, or addresses / CIDRs, comma-separated or a list). Default false: never.
   */
  trustProxy?: boolean | string | string[];
  /** fastify logger. Default false. */
  logger?: boolean;
}

export interface CloudHandle {
  /** `http://host:port` (no trailing slash). */
  url: string;
  accountSid: string;
  authToken: string;
  /** The event bus (same events as GET /_mock/events). */
  events: EventBus;
  /** The context products got (tests and `simcmd dev` may use it directly). */
  ctx: CloudContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Expired rows are purged this often (ms of the cloud's clock), besides before requests. */
const PURGE_EVERY_MS = 60_000;
/** Rows of one table a purge batch deletes at most (well under a millisecond on a big table). */
const PURGE_BATCH = 10;
/** A purge step runs batches for this long (ms) before it pauses, so a request never waits much longer. */
const PURGE_SLICE_MS = 2;
/** Pause between purge steps while expired rows are left (ms of the cloud's clock). */
const PURGE_PAUSE_MS = 20;

/** Default of `maxRecords`. */
export const MAX_RECORDS = 100_000;
/** Message of the trigger that refuses a row beyond the cap (caught and turned into a TwilioError). */
const CAP_MESSAGE = "simcmd record cap";

/**
 * Makes `db.prepare(sql)` return a cached statement for the same SQL text (statements are reusable), so
 * products may call `ctx.db.prepare(...)` inline on hot paths without paying for compilation each time.
 * A write refused by the record cap (capTables) comes out of `run` as a 403/20403 TwilioError.
 */
function cacheStatements(db: Database.Database, maxRecords: number): void {
  const cache = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  (db as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      const run = st.run.bind(st);
      st.run = (...args: unknown[]) => {
        try {
          return run(...args);
        } catch (e) {
          const m = /simcmd record cap: (\w+)/.exec((e as Error).message);
          if (m) throw new TwilioError(403, 20403, `The mock keeps at most ${maxRecords} rows in ${m[1]} (startCloud maxRecords); none was created`);
          throw e;
        }
      };
      if (cache.size < 500) cache.set(sql, st);
    }
    return st;
  };
}

/**
 * The record cap, as triggers (so no write path can miss it): a table of records (`retained`) drops its
 * oldest row once it holds `max`; any other table refuses the insert past `max`.
 */
function capTables(db: Database.Database, retained: readonly string[], max: number): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
  for (const t of tables) {
    const name = `simcmd_cap_${t}`;
    db.exec(`DROP TRIGGER IF EXISTS ${name}`);
    if (retained.includes(t)) db.exec(`CREATE TRIGGER ${name} AFTER INSERT ON ${t} BEGIN DELETE FROM ${t} WHERE rowid <= NEW.rowid - ${max}; END`);
    else db.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${t} WHEN (SELECT COUNT(*) FROM ${t}) >= ${max} BEGIN SELECT RAISE(ABORT, '${CAP_MESSAGE}: ${t}'); END`);
  }
}

/**
 * Gives each retained table an index on its retention column unless one starts with it already, so the
 * purge (several times a minute) finds the expired rows without reading the table.
 */
function indexRetention(db: Database.Database, retained: readonly [string, string][]): void {
  for (const [table, col] of retained) {
    const indexes = db.prepare(`PRAGMA index_list(${table})`).all() as { name: string }[];
    const covered = indexes.some((i) => (db.prepare(`PRAGMA index_info(${i.name})`).all() as { seqno: number; name: string }[]).some((c) => c.seqno === 0 && c.name === col));
    if (!covered) db.exec(`CREATE INDEX IF NOT EXISTS ${table}_${col}_retention ON ${table} (${col})`);
  }
}

/** The real clock with `now()` from `dates` when startCloud got only a date source. */
function withDates(real: Clock, dates: (() => Date) | undefined): Clock {
  if (dates === undefined) return real;
  return { now: () => dates().getTime(), setTimeout: (cb, ms) => real.setTimeout(cb, ms), clearTimeout: (id) => real.clearTimeout(id) };
}

/** Builds the server without listening (for tests that use app.inject, and for startCloud). */
export function buildCloud(o: CloudOptions = {}): { app: FastifyInstance; ctx: CloudContext; close(): void } {
  const accountSid = o.accountSid ?? DEV_ACCOUNT_SID;
  const authToken = o.authToken ?? DEV_AUTH_TOKEN;
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) throw new Error("accountSid must be AC followed by 32 hex digits");
  if (authToken === "") throw new Error("authToken must not be empty");
  const clock = o.timers ?? withDates(new NodeClock(), o.clock);
  const now = o.clock ?? (o.timers ? () => new Date(clock.now()) : () => new Date());
  const maxRecords = o.maxRecords ?? MAX_RECORDS;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new Error("maxRecords must be a positive integer");
  const db = new Database(o.data ?? ":memory:");
  // Before any table (it only takes on a new database): pages the purge frees are handed back (the purge's
  // incremental_vacuum) instead of kept on the freelist. With a freelist of a few thousand pages, each
  // create's commit cost several times as much (23 → 58–105 µs of SQLite CPU at 1M rows, after a purge).
  db.pragma("auto_vacuum = INCREMENTAL");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  cacheStatements(db, maxRecords);
  const app = Fastify({
    logger: o.logger ?? false,
    rewriteUrl,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    trustProxy: o.trustProxy ?? false,
    ...serverOptions({ requestTimeoutMs: o.requestTimeoutMs ?? 30_000, shape: twilioShape }),
  });
  const routes = routeTable(app);
  const events = new EventBus(now);
  const network = new Network(events, o.host ?? "127.0.0.1", o.network, clock);
  const callbacks = new Callbacks(db, events, authToken, now, o.callbacks);
  const retained: [string, string][] = [["mock_callbacks", "created_ms"]];
  let lastPurge = 0;
  /** Deletes at most PURGE_BATCH expired rows of each retained table; true when some may be left. */
  const purgeBatch = (cutoff: number): boolean => {
    let more = false;
    for (const [table, col] of retained) {
      const sql = `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${col} < ? LIMIT ${PURGE_BATCH})`;
      if (db.prepare(sql).run(cutoff).changes >= PURGE_BATCH) more = true;
    }
    // the pages those deletes freed (a few): returned at once, so the freelist stays empty
    db.prepare("PRAGMA incremental_vacuum").run();
    return more;
  };
  /** Batches for about PURGE_SLICE_MS of the clock (all of them when it does not move); true when some may be left. */
  const purgeStep = (cutoff: number): boolean => {
    const start = clock.now();
    let more = purgeBatch(cutoff);
    while (more && clock.now() - start < PURGE_SLICE_MS) more = purgeBatch(cutoff);
    return more;
  };
  const purge = (): void => {
    const cutoff = now().getTime() - RETENTION_MS;
    while (purgeBatch(cutoff));
  };
  // The purge before requests and on the timer: one step now, the rest one step every PURGE_PAUSE_MS, so a
  // large backlog of expired rows (a month of history expiring) never holds requests for long: a request
  // spans several event-loop turns, and a step in each of them would add up.
  let purging = false;
  let purgeNext = 0;
  const purgeInSteps = (): void => {
    if (purging) return;
    purging = true;
    const cutoff = now().getTime() - RETENTION_MS;
    const step = (): void => {
      if (db.open && purgeStep(cutoff)) purgeNext = clock.setTimeout(step, PURGE_PAUSE_MS);
      else purging = false;
    };
    step();
  };
  // Group commit: hot paths call ctx.groupCommit() before writing; their statements then share one
  // transaction that commits at the end of the event-loop turn (setImmediate). Reads on this connection
  // see the rows at once; a db.transaction() run meanwhile nests as a savepoint.
  let groupOpen = false;
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const commitGroup = (): void => {
    if (!groupOpen) return;
    groupOpen = false;
    if (db.open && db.inTransaction) commit.run();
  };
  const groupCommit = (): void => {
    if (groupOpen || !db.open || db.inTransaction) return;
    begin.run();
    groupOpen = true;
    setImmediate(commitGroup);
  };
  const ctx: CloudContext = {
    db,
    groupCommit,
    now,
    clock,
    accountSid,
    authToken,
    publicUrl: (req, product) => baseUrl(req, product ?? productOf(req.url) ?? "supersim"),
    sid: newSid,
    errors,
    callbacks,
    network,
    events,
    retain: (table, column = "created_ms") => void retained.push([table, column]),
    purge,
    retentionMs: RETENTION_MS,
  };
  installErrorHandlers(app, (url) => routes.allowed(url));
  installFormParser(app);
  new Authenticator({ accountSid, authToken, now }).install(app);
  app.addHook("onRequest", (_req, _reply, done) => {
    const t = now().getTime();
    if (Math.abs(t - lastPurge) >= 1000) {
      lastPurge = t;
      purgeInSteps();
    }
    done();
  });
  registerEventRoutes(app, events, o.maxEventStreams ?? 50);
  callbacks.registerRoutes(app);
  registerNetworkRoutes(app, network);
  for (const register of PRODUCTS) register(app, ctx);
  indexRetention(db, retained);
  capTables(db, retained.map(([t]) => t), maxRecords);
  let purgeTimer = 0;
  const purgeEvery = (): void => {
    purgeTimer = clock.setTimeout(() => {
      purgeInSteps();
      purgeEvery();
    }, PURGE_EVERY_MS);
  };
  purgeEvery();
  return {
    app,
    ctx,
    close: () => {
      clock.clearTimeout(purgeTimer);
      clock.clearTimeout(purgeNext);
      commitGroup();
      callbacks.close();
      network.close();
    },
  };
}

/** Starts the mock cloud and resolves once it listens. */
export async function startCloud(o: CloudOptions = {}): Promise<CloudHandle> {
  const built = buildCloud(o);
  const host = o.host ?? "127.0.0.1";
  await built.app.listen({ port: o.port ?? 0, host });
  const addr = built.app.server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : (o.port ?? 0);
  const shownHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  let closed = false;
  return {
    url: `http://${shownHost}:${port}`,
    accountSid: built.ctx.accountSid,
    authToken: built.ctx.authToken,
    events: built.ctx.events,
    ctx: built.ctx,
    app: built.app,
    close: async () => {
      if (closed) return;
      closed = true;
      built.close();
      await built.app.close();
      built.ctx.db.close();
    },
  };
}

export type { CloudContext } from "./context.js";
export { TwilioError } from "./errors.js";
