/**
 * The outbox pump: every MQTT message the bridge emits is first a row of the SQLite outbox (written in the
 * same transaction as whatever caused it); the pump publishes rows in order at QoS 1, at most `inflight` at
 * a time, only while connected, and deletes a row only when its PUBACK arrives. A publish that fails
 * (connection lost before the PUBACK and the client gave up on it) is dispatched again.
 *
 * Two ways to find the next rows. The table is the truth and is read after a start, a reconnect or a failed
 * publish, until a read comes back short ("caught up"). From then on the rows the store reports committed
 * (`Store.onOutboxCommitted`) are kept in memory and published from there, without reading back what was
 * just written; anything uncertain (rows from a nested transaction, more than `FRESH_MAX` waiting while
 * offline) sends the pump back to the table.
 */
import type { Metrics } from "./metrics.js";
import type { MqttLink } from "./mqtt-link.js";
import type { OutboxRow, Store } from "./store.js";

/** Committed rows kept in memory at most; beyond, the pump reads them from the table. */
const FRESH_MAX = 4096;

export class Outbox {
  private cursor = 0;
  private readonly inflight = new Set<number>();
  /** Rows whose PUBACK arrived, until their delete has committed; never dispatched again meanwhile. */
  private readonly acked = new Set<number>();
  /** A delete of acknowledged rows is on its way to a commit. */
  private deleting = false;
  /**
   * How acknowledged rows are deleted; resolves once the delete has committed. The engine routes it into
   * its group commit, so deletes share the transaction of the webhook events of the same turn. Default:
   * a transaction of its own.
   */
  remove: (seqs: number[]) => Promise<void> = (seqs) => {
    this.store.deleteOutbox(seqs);
    return Promise.resolve();
  };
  private scheduled = false;
  private flushScheduled = false;
  private stopped = false;
  private waiters: (() => void)[] = [];
  /** True when every row after `cursor` not yet dispatched is in `fresh` (from `freshHead` on). */
  private caughtUp = false;
  private fresh: OutboxRow[] = [];
  private freshHead = 0;

  constructor(
    private readonly store: Store,
    private readonly link: () => MqttLink | null,
    private readonly metrics: Metrics,
    private readonly window: number,
  ) {
    store.onOutboxCommitted = (rows) => this.committed(rows);
  }

  private committed(rows: OutboxRow[] | null): void {
    if (rows === null || this.fresh.length - this.freshHead + rows.length > FRESH_MAX) this.toTable();
    else if (this.caughtUp) for (const r of rows) this.fresh.push(r);
    this.kick();
  }

  /** Forget the in-memory rows: the next rows come from the table again. */
  private toTable(): void {
    this.caughtUp = false;
    this.fresh = [];
    this.freshHead = 0;
  }

  /** Asks for a pump soon (after the current transaction and I/O). */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** After a (re)connect: everything not in flight is dispatched again from the oldest row. */
  reconnected(): void {
    this.cursor = 0;
    this.toTable();
    this.kick();
  }

  private pump(): void {
    this.store.settleForeign();
    const link = this.link();
    if (this.stopped || !link || !link.connected) return;
    const send = (r: OutboxRow): void => {
      this.inflight.add(r.seq);
      link.publish(r.topic, r.payload, r.retain === 1, (err) => this.done(r.seq, r.kind, err));
    };
    while (this.inflight.size < this.window) {
      if (this.caughtUp) {
        const r = this.fresh[this.freshHead];
        if (r === undefined) break;
        this.freshHead++;
        if (r.seq <= this.cursor || this.inflight.has(r.seq) || this.acked.has(r.seq)) continue;
        this.cursor = r.seq;
        send(r);
        continue;
      }
      // Reads exactly as many rows as there is room for. Rows skipped (in flight or acked, after a rewind)
      // leave room: read again. A short read means the table holds nothing more: caught up.
      const room = this.window - this.inflight.size;
      const rows = this.store.nextOutbox(this.cursor, room);
      for (const r of rows) {
        this.cursor = r.seq;
        if (this.inflight.has(r.seq) || this.acked.has(r.seq)) continue;
        send(r);
      }
      if (rows.length < room) {
        this.toTable();
        this.caughtUp = true;
      }
    }
    if (this.freshHead > 1024) {
      this.fresh = this.fresh.slice(this.freshHead);
      this.freshHead = 0;
    }
  }

  private done(seq: number, kind: string, err?: Error): void {
    this.inflight.delete(seq);
    if (err) {
      this.cursor = Math.min(this.cursor, seq - 1);
      this.toTable();
      if (!this.stopped) setTimeout(() => this.kick(), 200).unref();
      return;
    }
    this.metrics.inc("simcmd_bridge_events_out_total", { kind });
    this.acked.add(seq);
    this.scheduleFlush();
    this.kick();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.acked.size === 0 || this.deleting || !this.store.db.open) return;
    const batch = [...this.acked];
    this.deleting = true;
    const settled = (): void => {
      this.deleting = false;
      if (this.acked.size > 0 && !this.stopped) this.scheduleFlush();
      if (this.inflight.size === 0 && this.waiters.length > 0 && this.depth() === 0) for (const w of this.waiters.splice(0)) w();
    };
    this.remove(batch).then(
      () => {
        for (const seq of batch) this.acked.delete(seq);
        settled();
      },
      settled, // not deleted: still acked, tried again at the next flush (never dispatched again meanwhile)
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  depth(): number {
    return this.store.db.open ? this.store.outboxDepth() : 0;
  }

  /** Resolves when the outbox is empty (bounded by `timeoutMs`; resolves false on timeout). */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.depth() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Stops publishing; deletes what was acknowledged (synchronously: the store closes next). */
  stop(): void {
    this.stopped = true;
    if (this.acked.size > 0 && this.store.db.open) {
      this.store.deleteOutbox([...this.acked]);
      this.acked.clear();
    }
  }
}
