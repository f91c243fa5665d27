/**
 * The bridge's SQLite file (`<data>/bridge.db`, WAL): the outbox of MQTT messages not yet PUBACKed (at QoS 2
 * with each row's part of the MQTT session: its packet id and whether PUBREC came), the local dedupe record
 * of webhook events, downlink requests and their lifecycle, and per-device state.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { WAITING, type DownlinkStatus } from "./downlink-status.js";

/** Device rows kept in memory at most (the cache is emptied when full). */
const DEVICE_CACHE_MAX = 100_000;
/** Committed outbox rows kept for the outbox pump at most; beyond, it is told to read the table. */
const COMMITTED_MAX = 4096;

export interface OutboxRow {
  seq: number;
  topic: string;
  payload: string;
  retain: number;
  kind: string;
}

/** An outbox row the QoS 2 session holds: its packet id, and `rel` 1 once PUBREC came (PUBREL is next). */
export interface SessionRow extends OutboxRow {
  mid: number;
  rel: number;
}

/** Columns added after the first files were written: added to an older file when it is opened. */
const ADDED_COLUMNS: [table: string, column: string, decl: string][] = [
  ["downlinks", "last_event", "TEXT"],
  ["outbox", "mid", "INTEGER"],
  ["outbox", "rel", "INTEGER NOT NULL DEFAULT 0"],
];

export interface DownlinkRow {
  rowid: number;
  id: string;
  device: string;
  request: string;
  status: DownlinkStatus;
  platform: string | null;
  transport: string | null;
  platform_ref: string | null;
  created_ms: number;
  updated_ms: number;
  expires_ms: number | null;
  attempts: number;
  next_ms: number | null;
  /** The last `down/<status>` payload published for this request (JSON), to answer a repeated request. */
  last_event: string | null;
}

export interface DeviceRow {
  device: string;
  platform: string | null;
  sim_sid: string | null;
  last_up_ms: number | null;
  fault: string | null;
  no_comm: string | null;
  operator: string | null;
  state: string | null;
  since_ms: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL,
  retain INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL,
  retain INTEGER NOT NULL, kind TEXT NOT NULL, created_ms INTEGER NOT NULL, reason_code INTEGER NOT NULL, reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dedupe (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_at ON dedupe (at_ms);
CREATE TABLE IF NOT EXISTS downlinks (rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, device TEXT NOT NULL,
  request TEXT NOT NULL, status TEXT NOT NULL, platform TEXT, transport TEXT, platform_ref TEXT, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, expires_ms INTEGER, attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER, last_event TEXT,
  UNIQUE (device, id));
CREATE INDEX IF NOT EXISTS downlinks_ref ON downlinks (platform_ref);
CREATE INDEX IF NOT EXISTS downlinks_work ON downlinks (status, next_ms);
CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, platform TEXT, sim_sid TEXT, last_up_ms INTEGER, fault TEXT,
  no_comm TEXT, operator TEXT, state TEXT, since_ms INTEGER);
`;

export interface StoreOptions {
  /** Told of outbox rows once they are committed (see `Store.onOutboxCommitted`): the bridge wakes its pump. */
  onOutboxCommitted?: (rows: OutboxRow[] | null) => void;
}

export class Store {
  readonly db: Database.Database;
  private readonly st;
  /** Outbox rows written inside the open transaction: reported when `tx` commits. */
  private staged: OutboxRow[] = [];
  /** A nested `tx` (a savepoint) ran: what was staged may have been partly rolled back. */
  private stagedUnsure = false;
  /** Rows committed since the outbox pump last took them (`takeCommitted`), in seq order. */
  private committed: OutboxRow[] = [];
  /** Rows were committed whose list is not known, or more than COMMITTED_MAX: the reader goes to the table. */
  private committedUnknown = false;
  /**
   * Called with outbox rows once they are committed, in seq order; `null` when rows were committed whose
   * list is not known (written in a nested or foreign transaction). Set from the options.
   */
  onOutboxCommitted: (rows: OutboxRow[] | null) => void;
  private readonly cache = new Map<string, Database.Statement>();
  /** Device rows as this process last wrote or read them; forgotten when a transaction rolls back. */
  private readonly devCache = new Map<string, DeviceRow>();

  /** A cached statement for SQL built from column names (bounded: the column sets are few). */
  private prep(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.cache.size < 200) this.cache.set(sql, st);
    }
    return st;
  }

  constructor(dir: string, durability: "normal" | "full", o: StoreOptions = {}) {
    this.onOutboxCommitted = o.onOutboxCommitted ?? (() => undefined);
    let file = ":memory:";
    if (dir !== ":memory:") {
      mkdirSync(dir, { recursive: true });
      file = join(dir, "bridge.db");
    }
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    for (const [table, column, decl] of ADDED_COLUMNS)
      if (!(this.db.pragma(`table_info(${table})`) as { name: string }[]).some((c) => c.name === column))
        this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
    const d = this.db;
    this.st = {
      addOut: d.prepare("INSERT INTO outbox (topic, payload, retain, kind, created_ms) VALUES (?,?,?,?,?)"),
      outRow: d.prepare("SELECT seq, topic, payload, retain, kind FROM outbox WHERE seq = ?"),
      nextOut: d.prepare("SELECT seq, topic, payload, retain, kind FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"),
      delOut: d.prepare("DELETE FROM outbox WHERE seq BETWEEN ? AND ?"),
      depth: d.prepare("SELECT COUNT(*) AS n FROM outbox"),
      session: d.prepare("SELECT seq, topic, payload, retain, kind, mid, rel FROM outbox WHERE mid IS NOT NULL ORDER BY seq"),
      setMid: d.prepare("UPDATE outbox SET mid = ?, rel = 0 WHERE seq = ?"),
      setRel: d.prepare("UPDATE outbox SET rel = 1 WHERE seq = ?"),
      oldest: d.prepare("SELECT seq, created_ms FROM outbox ORDER BY seq LIMIT 1"),
      toDead: d.prepare(`INSERT OR REPLACE INTO dead_letters (seq, topic, payload, retain, kind, created_ms, reason_code, reason, at_ms)
        SELECT seq, topic, payload, retain, kind, created_ms, ?, ?, ? FROM outbox WHERE seq = ?`),
      seen: d.prepare("INSERT OR IGNORE INTO dedupe (key, at_ms) VALUES (?, ?)"),
      unsee: d.prepare("DELETE FROM dedupe WHERE key = ?"),
      purge: d.prepare("DELETE FROM dedupe WHERE at_ms < ?"),
      addDown: d.prepare(`INSERT OR IGNORE INTO downlinks (id, device, request, status, created_ms, updated_ms, expires_ms)
        VALUES (?,?,?,?,?,?,?)`),
      downById: d.prepare("SELECT * FROM downlinks WHERE device = ? AND id = ?"),
      downByRow: d.prepare("SELECT * FROM downlinks WHERE rowid = ?"),
      downByRef: d.prepare("SELECT * FROM downlinks WHERE platform_ref = ? ORDER BY rowid DESC LIMIT 1"),
      due: d.prepare(`SELECT * FROM downlinks WHERE status IN (${WAITING.map((s) => `'${s}'`).join(",")}) AND COALESCE(next_ms, 0) <= ? ORDER BY rowid LIMIT ?`),
      nextDue: d.prepare("SELECT MIN(next_ms) AS t FROM downlinks WHERE status = 'retry'"),
      device: d.prepare("SELECT * FROM devices WHERE device = ?"),
      devices: d.prepare("SELECT * FROM devices"),
      heardAt: d.prepare("UPDATE devices SET last_up_ms = ? WHERE device = ?"),
      touch: d.prepare(`INSERT INTO devices (device, platform, sim_sid) VALUES (?,?,?)
        ON CONFLICT(device) DO UPDATE SET platform = COALESCE(excluded.platform, platform), sim_sid = COALESCE(excluded.sim_sid, sim_sid)`),
    };
  }

  /** False once closed. */
  get open(): boolean {
    return this.db.open;
  }

  /**
   * Runs `f` in a transaction and, once it has committed, reports the outbox rows it wrote (to
   * `onOutboxCommitted` and `takeCommitted`). Inside another `tx` it is a savepoint, and the outer `tx`
   * reports them as unknown.
   */
  tx<R>(f: () => R): R {
    if (this.db.inTransaction) {
      this.stagedUnsure = true;
      return this.db.transaction(f)();
    }
    this.settleForeign();
    let r: R;
    try {
      r = this.db.transaction(f)();
    } catch (e) {
      this.staged = [];
      this.stagedUnsure = false;
      this.devCache.clear();
      throw e;
    }
    this.settle(!this.stagedUnsure);
    return r;
  }

  /** Rows staged by a transaction that ended outside `tx` (their fate unknown): the reader goes to the table. */
  settleForeign(): void {
    if (!this.db.inTransaction && this.staged.length > 0) this.settle(false);
  }

  private settle(known: boolean): void {
    const rows = this.staged;
    this.staged = [];
    this.stagedUnsure = false;
    if (rows.length > 0) this.report(known ? rows : null);
  }

  private report(rows: OutboxRow[] | null): void {
    if (rows === null || this.committedUnknown || this.committed.length + rows.length > COMMITTED_MAX) {
      this.committed = [];
      this.committedUnknown = true;
    } else for (const r of rows) this.committed.push(r);
    this.onOutboxCommitted(rows);
  }

  /**
   * The outbox rows committed since the last call, in seq order; `null` when some may be missing (rows
   * written in a nested or foreign transaction, or more than COMMITTED_MAX): read the table instead.
   */
  takeCommitted(): OutboxRow[] | null {
    if (this.committedUnknown) {
      this.committedUnknown = false;
      return null;
    }
    const rows = this.committed;
    this.committed = [];
    return rows;
  }

  addOutbox(topic: string, payload: string, retain: boolean, kind: string, now: number): number {
    const seq = Number(this.st.addOut.run(topic, payload, retain ? 1 : 0, kind, now).lastInsertRowid);
    const row = { seq, topic, payload, retain: retain ? 1 : 0, kind };
    if (this.db.inTransaction) this.staged.push(row);
    else this.report([row]);
    return seq;
  }
  outboxRow(seq: number): OutboxRow | undefined {
    return this.st.outRow.get(seq) as OutboxRow | undefined;
  }
  nextOutbox(after: number, limit: number): OutboxRow[] {
    return this.st.nextOut.all(after, limit) as OutboxRow[];
  }
  /** Deletes PUBACKed entries: one transaction, one statement per run of consecutive seqs. */
  readonly deleteOutbox = (seqs: number[]): void => {
    const xs = [...seqs].sort((a, b) => a - b);
    this.db.transaction(() => {
      for (let i = 0; i < xs.length; ) {
        let j = i;
        while (j + 1 < xs.length && xs[j + 1] === (xs[j] as number) + 1) j++;
        this.st.delOut.run(xs[i], xs[j]);
        i = j + 1;
      }
    })();
  };
  /** The rows the QoS 2 session holds (a packet id given), in seq order: what a restart sends again. */
  sessionRows(): SessionRow[] {
    return this.st.session.all() as SessionRow[];
  }
  /** Row `seq` goes out as QoS 2 PUBLISH `mid` (PUBREC not yet received); false if the row is gone. */
  setPacketId(seq: number, mid: number): boolean {
    return this.st.setMid.run(mid, seq).changes === 1;
  }
  /** PUBREC came for row `seq`: the broker has it, PUBREL is what goes out (again) from now on. */
  setReleased(seq: number): boolean {
    return this.st.setRel.run(seq).changes === 1;
  }
  /** Moves an outbox row to `dead_letters` (one transaction): the broker refused it for good. */
  deadLetter(seq: number, reasonCode: number, reason: string, now: number): void {
    this.db.transaction(() => {
      this.st.toDead.run(reasonCode, reason, now, seq);
      this.st.delOut.run(seq, seq);
    })();
  }
  /** Stores a message that must never reach the broker straight in `dead_letters` (no outbox row is seen). */
  addDeadLetter(topic: string, payload: string, retain: boolean, kind: string, now: number, reasonCode: number, reason: string): void {
    this.db.transaction(() => {
      const seq = Number(this.st.addOut.run(topic, payload, retain ? 1 : 0, kind, now).lastInsertRowid);
      this.st.toDead.run(reasonCode, reason, now, seq);
      this.st.delOut.run(seq, seq);
    })();
  }
  /** The seqs of every outbox row (the shared copy in PostgreSQL is reconciled against them at a start). */
  outboxSeqs(): number[] {
    return (this.db.prepare("SELECT seq FROM outbox ORDER BY seq").pluck().all() as number[]);
  }
  /** The last seq ever given to an outbox row (0 when none was). */
  lastOutboxSeq(): number {
    const r = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck().get() as number | undefined;
    return r ?? 0;
  }
  /** Deletes the outbox rows up to `seq` (a survivor published them while this instance was away). */
  dropOutboxUpTo(seq: number): number {
    return this.db.prepare("DELETE FROM outbox WHERE seq <= ?").run(seq).changes;
  }
  /** The oldest outbox row (seq and when it was written), or null when the outbox is empty. */
  oldestOutbox(): { seq: number; created_ms: number } | null {
    return (this.st.oldest.get() as { seq: number; created_ms: number } | undefined) ?? null;
  }
  outboxDepth(): number {
    return (this.st.depth.get() as { n: number }).n;
  }

  /** True when the key was new (and is now recorded). */
  markSeen(key: string, now: number): boolean {
    return this.st.seen.run(key, now).changes === 1;
  }
  unsee(key: string): void {
    this.st.unsee.run(key);
  }
  purgeSeen(before: number): void {
    this.st.purge.run(before);
  }

  /** Inserts a downlink; null when (device, id) exists already. */
  addDownlink(id: string, device: string, request: string, status: DownlinkStatus, now: number, expires: number | null): DownlinkRow | null {
    const r = this.st.addDown.run(id, device, request, status, now, now, expires);
    return r.changes === 0 ? null : (this.st.downByRow.get(r.lastInsertRowid) as DownlinkRow);
  }
  downlink(device: string, id: string): DownlinkRow | undefined {
    return this.st.downById.get(device, id) as DownlinkRow | undefined;
  }
  downlinkByRow(rowid: number): DownlinkRow | undefined {
    return this.st.downByRow.get(rowid) as DownlinkRow | undefined;
  }
  downlinkByRef(ref: string): DownlinkRow | undefined {
    return this.st.downByRef.get(ref) as DownlinkRow | undefined;
  }
  updateDownlink(rowid: number, fields: Partial<Omit<DownlinkRow, "rowid">>, now: number): void {
    const cols = Object.entries({ ...fields, updated_ms: now });
    this.prep(`UPDATE downlinks SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE rowid = ?`).run(...cols.map(([, v]) => v), rowid);
  }
  dueDownlinks(now: number, limit: number): DownlinkRow[] {
    return this.st.due.all(now, limit) as DownlinkRow[];
  }
  nextRetryAt(): number | null {
    return (this.st.nextDue.get() as { t: number | null }).t;
  }

  device(name: string): DeviceRow | undefined {
    const r = this.st.device.get(name) as DeviceRow | undefined;
    if (r) this.remember(r);
    return r;
  }
  /** The device's row as this process last wrote or read it, when it is in memory (no query). */
  knownDevice(name: string): DeviceRow | undefined {
    return this.devCache.get(name);
  }
  devices(): DeviceRow[] {
    return this.st.devices.all() as DeviceRow[];
  }
  touchDevice(name: string, platform: string | null, simSid: string | null): void {
    this.st.touch.run(name, platform, simSid);
    this.devCache.delete(name);
  }
  /** Creates the device's row if it has none, sets `fields` (one UPSERT) and returns the row as it is now. */
  updateDevice(name: string, fields: Partial<Omit<DeviceRow, "device">>): DeviceRow {
    const cols = Object.entries(fields);
    const set = cols.length === 0 ? "device = excluded.device" : cols.map(([k]) => `${k} = excluded.${k}`).join(", ");
    const sql = `INSERT INTO devices (device${cols.map(([k]) => `, ${k}`).join("")}) VALUES (?${", ?".repeat(cols.length)})
      ON CONFLICT(device) DO UPDATE SET ${set} RETURNING *`;
    const r = this.prep(sql).get(name, ...cols.map(([, v]) => v)) as DeviceRow;
    this.remember(r);
    return r;
  }
  /** Sets only the time of the device's last uplink (for when nothing else about it changes). */
  deviceHeardAt(name: string, ms: number): void {
    this.st.heardAt.run(ms, name);
    const r = this.devCache.get(name);
    if (r) r.last_up_ms = ms;
  }
  private remember(r: DeviceRow): void {
    if (this.devCache.size >= DEVICE_CACHE_MAX) this.devCache.clear();
    this.devCache.set(r.device, r);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
