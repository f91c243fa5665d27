/**
 * Outbox takeover (docs/bridge.md, "Running several instances"): each instance keeps publishing its own SQLite
 * outbox, and with `postgres` it also copies every outbox row to one PostgreSQL table before a webhook is
 * answered, under a lease. An instance that stops renewing its lease (it died and did not come back) is
 * taken over by one survivor: it publishes the dead instance's rows in their order and deletes them, then
 * ends the dead instance's broker session with the downlinks queued in it (session-drain.ts).
 *
 *   <schema>.members  instance, state (live | taking | done), until (lease, PostgreSQL's clock), taken_by,
 *                     taken_upto (the last seq a survivor published for it)
 *   <schema>.outbox   (instance, seq) → topic, payload, retain, kind: the rows not yet known published
 *
 * Every statement goes through one queue, in order: a copy and the delete of the same rows after their PUBACK
 * can never pass each other. Claims use `FOR UPDATE SKIP LOCKED`, so two survivors never take one instance.
 */
import type pg from "pg";
import type { Clock } from "../../firmware/hal/clock.js";
import type { Store } from "./store.js";

/** Rows copied or taken over per statement. */
const BATCH = 500;

export interface PgMirrorOptions {
  pool: pg.Pool;
  /** Schema of the two tables (created if missing). */
  schema: string;
  instance: string;
  store: Store;
  clock: Clock;
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** Publishes one taken-over row; resolves on its PUBACK. */
  publish: (topic: string, payload: string, retain: boolean) => Promise<void>;
  log: (line: string) => void;
  /** Rows of an instance that died were published here (called per batch, on their PUBACKs). */
  tookOver?: (instance: string, rows: number) => void;
  /**
   * Ends the dead instance's broker session, taking the downlinks queued in it (session-drain.ts); resolves with
   * their number. Called after its rows, before the takeover is marked done; rejecting interrupts the takeover.
   */
  endSession?: (instance: string) => Promise<number>;
}

export class PgMirror {
  private queue: Promise<unknown> = Promise.resolve();
  /** A copy queued and not started yet: later callers share it. */
  private nextShip: Promise<void> | null = null;
  private cursor = 0;
  private timer: number | null = null;
  private stopped = false;
  private taking = false;
  /** This instance's lease was lost (another took it over): it should stop taking webhooks. */
  fenced = false;
  private readonly t: string;

  constructor(private readonly o: PgMirrorOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new Error(`postgres schema ${JSON.stringify(o.schema)}: lower-case letters, digits and _ only`);
    this.t = o.schema;
  }

  private lease(): string {
    return `now() + interval '${Math.round(this.o.leaseMs)} milliseconds'`;
  }

  private run<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Creates the tables, waits (bounded) for a survivor still publishing this instance's rows, drops the local
   * rows a survivor published, deletes copies of rows published before a crash, and takes the lease.
   */
  async start(): Promise<void> {
    const { pool, instance, store } = this.o;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.t};
      CREATE TABLE IF NOT EXISTS ${this.t}.members (instance text PRIMARY KEY, state text NOT NULL, until timestamptz NOT NULL,
        taken_by text, taken_upto bigint);
      CREATE TABLE IF NOT EXISTS ${this.t}.outbox (instance text NOT NULL, seq bigint NOT NULL, topic text NOT NULL,
        payload text NOT NULL, retain boolean NOT NULL, kind text NOT NULL, PRIMARY KEY (instance, seq))`).catch(async (e: Error) => {
      // two instances creating the tables at once: one loses the race on the catalog; the tables are there
      if (!/already exists|duplicate key/.test(e.message)) throw e;
    });
    await pool.query(`INSERT INTO ${this.t}.members (instance, state, until) VALUES ($1, 'live', ${this.lease()}) ON CONFLICT (instance) DO NOTHING`, [instance]);
    for (let i = 0; ; i++) {
      const r = await pool.query<{ state: string; taken_upto: string | null; held: boolean }>(
        `SELECT state, taken_upto, until > now() AS held FROM ${this.t}.members WHERE instance = $1`, [instance]);
      const m = r.rows[0];
      if (m?.state === "taking" && m.held && i < 50) {
        await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, Math.max(50, this.o.leaseMs / 10)));
        continue;
      }
      if (m?.state === "done" && m.taken_upto !== null) {
        const n = store.dropOutboxUpTo(Number(m.taken_upto));
        this.o.log(`postgres: a survivor published this instance's rows up to ${m.taken_upto}; ${n} local rows dropped`);
      }
      break;
    }
    await pool.query(`UPDATE ${this.t}.members SET state = 'live', taken_by = NULL, taken_upto = NULL, until = ${this.lease()} WHERE instance = $1`, [instance]);
    // copies of rows published and deleted here before a crash (the delete of the copy did not happen)
    await pool.query(`DELETE FROM ${this.t}.outbox WHERE instance = $1 AND seq <= $2 AND NOT (seq = ANY($3::bigint[]))`, [instance, store.lastOutboxSeq(), store.outboxSeqs()]);
    await this.shipped();
    const tick = (): void => {
      if (this.stopped) return;
      void this.heartbeat().finally(() => {
        if (!this.stopped) this.timer = this.o.clock.setTimeout(tick, Math.max(20, this.o.leaseMs / 3));
      });
    };
    this.timer = this.o.clock.setTimeout(tick, Math.max(20, this.o.leaseMs / 3));
  }

  /** Resolves once every outbox row committed before the call is copied to PostgreSQL; rejects if it could not be. */
  shipped(): Promise<void> {
    if (this.nextShip) return this.nextShip;
    const p = this.run(async () => {
      this.nextShip = null;
      await this.ship();
    });
    this.nextShip = p;
    return p;
  }

  private async ship(): Promise<void> {
    const { pool, instance, store } = this.o;
    for (;;) {
      if (!store.open) return;
      const rows = store.nextOutbox(this.cursor, BATCH);
      if (rows.length === 0) return;
      await pool.query(
        `INSERT INTO ${this.t}.outbox (instance, seq, topic, payload, retain, kind)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::text[]) ON CONFLICT DO NOTHING`,
        [instance, rows.map((r) => r.seq), rows.map((r) => r.topic), rows.map((r) => r.payload), rows.map((r) => r.retain === 1), rows.map((r) => r.kind)],
      );
      this.cursor = (rows[rows.length - 1] as { seq: number }).seq;
    }
  }

  /** Rows published and deleted here: their copies go (queued after the copy that wrote them). */
  removed(seqs: number[]): void {
    if (seqs.length === 0) return;
    void this.run(() => this.o.pool.query(`DELETE FROM ${this.t}.outbox WHERE instance = $1 AND seq = ANY($2::bigint[])`, [this.o.instance, seqs])).catch((e: Error) =>
      this.o.log(`postgres: copies of published rows not deleted (deleted at the next start): ${e.message}`),
    );
  }

  /** Renews this instance's lease and those of the instances it is taking over; takes over one whose lease ran out. */
  private async heartbeat(): Promise<void> {
    const { pool, instance } = this.o;
    try {
      const mine = await pool.query(`UPDATE ${this.t}.members SET until = ${this.lease()} WHERE instance = $1 AND state = 'live'`, [instance]);
      if (mine.rowCount === 0 && !this.fenced) {
        this.fenced = true;
        this.o.log("postgres: this instance's lease was taken over by another; not taking webhooks until restarted");
      }
      await pool.query(`UPDATE ${this.t}.members SET until = ${this.lease()} WHERE taken_by = $1 AND state = 'taking'`, [instance]);
      if (this.taking || this.fenced) return;
      const claim = await pool.query<{ instance: string }>(
        `UPDATE ${this.t}.members m SET state = 'taking', taken_by = $1, until = ${this.lease()}
         FROM (SELECT instance FROM ${this.t}.members WHERE instance <> $1 AND state IN ('live', 'taking') AND until < now()
               ORDER BY until LIMIT 1 FOR UPDATE SKIP LOCKED) d
         WHERE m.instance = d.instance RETURNING m.instance`, [instance]);
      const dead = claim.rows[0]?.instance;
      if (dead !== undefined) {
        this.taking = true;
        void this.takeOver(dead).finally(() => (this.taking = false));
      }
    } catch (e) {
      this.o.log(`postgres: lease not renewed: ${(e as Error).message}`);
    }
  }

  /**
   * Publishes a dead instance's rows in seq order, deleting each batch after its PUBACKs; ends its broker session
   * (taking the downlinks queued there); then marks it done.
   */
  private async takeOver(dead: string): Promise<void> {
    const { pool, instance } = this.o;
    let upto = 0;
    let total = 0;
    try {
      for (;;) {
        if (this.stopped) return;
        const r = await pool.query<{ seq: string; topic: string; payload: string; retain: boolean }>(
          `SELECT seq, topic, payload, retain FROM ${this.t}.outbox WHERE instance = $1 ORDER BY seq LIMIT ${BATCH}`, [dead]);
        if (r.rows.length === 0) break;
        // one connection publishes in order: the broker keeps that order for each subscriber
        await Promise.all(r.rows.map((row) => this.o.publish(row.topic, row.payload, row.retain)));
        this.o.tookOver?.(dead, r.rows.length);
        const seqs = r.rows.map((row) => row.seq);
        await pool.query(`DELETE FROM ${this.t}.outbox WHERE instance = $1 AND seq = ANY($2::bigint[])`, [dead, seqs]);
        upto = Math.max(upto, ...seqs.map(Number));
        total += seqs.length;
      }
      const downlinks = this.o.endSession === undefined ? 0 : await this.o.endSession(dead);
      await pool.query(
        `UPDATE ${this.t}.members SET state = 'done', taken_upto = GREATEST(COALESCE(taken_upto, 0), $3), until = now() WHERE instance = $1 AND taken_by = $2`,
        [dead, instance, upto]);
      this.o.log(`postgres: took over ${dead}: ${total} rows published, ${downlinks} downlinks taken from its broker session`);
    } catch (e) {
      this.o.log(`postgres: takeover of ${dead} interrupted (taken again at a next heartbeat, here or by another survivor): ${(e as Error).message}`);
      // give the claim back at once: the heartbeat would otherwise keep renewing a takeover that stopped
      await pool.query(`UPDATE ${this.t}.members SET until = now() WHERE instance = $1 AND taken_by = $2 AND state = 'taking'`, [dead, instance]).catch(() => undefined);
    }
  }

  /**
   * Stops renewing the lease (a closed instance is taken over like a dead one if it does not come back), after
   * deleting the copies of rows published and deleted here that no delete reached yet.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    const { pool, instance, store } = this.o;
    if (store.open)
      await this.run(() => pool.query(`DELETE FROM ${this.t}.outbox WHERE instance = $1 AND seq <= $2 AND NOT (seq = ANY($3::bigint[]))`, [instance, store.lastOutboxSeq(), store.outboxSeqs()]))
        .catch((e: Error) => this.o.log(`postgres: copies of published rows not deleted: ${e.message}`));
    await this.queue;
  }
}
