/**
 * The outbox pump: every MQTT message the bridge emits is first a row of the SQLite outbox (written in the
 * same transaction as whatever caused it); the pump publishes rows in order at QoS 1, at most `inflight` at
 * a time, only while connected, and deletes a row only when its PUBACK arrives. A publish that fails
 * (connection lost before the PUBACK and the client gave up on it) is dispatched again.
 *
 * At QoS 2 (the link has a session store) "PUBACK" reads PUBCOMP, and a row in flight stays with the session
 * across a lost connection or a restart: the link sends it again under its packet id, and the pump counts it
 * in flight (`adopt` for the rows a restart found) instead of dispatching it again.
 *
 * Two ways to find the next rows. The table is the truth and is read after a start, a reconnect or a failed
 * publish, until a read comes back short ("caught up"). From then on the rows the store reports committed
 * (`Store.takeCommitted`, taken at each pump) are kept in memory and published from there, without reading
 * back what was just written; anything uncertain (rows from a nested transaction, more than `FRESH_MAX`
 * waiting while offline) sends the pump back to the table.
 */
import type { Clock } from "../../firmware/hal/clock.js";
import { iso, NodeClock } from "../clock/node-clock.js";
import type { Metrics } from "./metrics.js";
import type { MqttLink } from "./mqtt-link.js";
import { NextTurn } from "./next-turn.js";
import type { OutboxRow, Store } from "./store.js";
import { waitBounded } from "./wait-bounded.js";

/** Committed rows kept in memory at most; beyond, the pump reads them from the table. */
const FRESH_MAX = 4096;

/**
 * MQTT 5 PUBACK reason codes that a retry cannot change (OASIS MQTT 5.0 §3.4.2.1): 0x83 implementation
 * specific error (a broker plugin's refusal), 0x87 not authorized (an ACL), 0x90 topic name invalid, 0x99
 * payload format invalid. Others (0x80 unspecified, 0x91 packet id in use, 0x97 quota exceeded) are retried.
 */
const REFUSED_FOR_GOOD = new Set([0x83, 0x87, 0x90, 0x99]);
/** Refusals of one row, for good, before it is moved to `dead_letters`. */
const REFUSALS_BEFORE_DEAD = 3;
/**
 * A broker that cannot take a message may just close the connection (any MQTT 3.1.1 broker, and MQTT 5 ones
 * for a packet over their limits). Rows in flight at such a close are suspects: from then on rows go one at
 * a time until every suspect has its PUBACK, so the next close names its row. A row in flight alone at this
 * many closes is moved to `dead_letters`; the rows behind it go on.
 */
const CLOSES_BEFORE_DEAD = 3;
/** After a publish failed with the link still up, the pump tries again this long after (on the clock). */
const REPUBLISH_AFTER_MS = 200;

export interface OutboxOptions {
  /** The time of `stuck()`, of dead letters, and of the pause before publishing again. Default: the real clock. */
  clock?: Clock;
  /** Where dead letters are reported. Default: nowhere. */
  log?: (line: string) => void;
  /** How acknowledged rows are deleted (see `Outbox.remove`). Default: a transaction of their own. */
  remove?: (seqs: number[]) => Promise<void>;
}

export class Outbox {
  private cursor = 0;
  private readonly inflight = new Set<number>();
  /** Rows whose PUBACK arrived, until their delete has committed; never dispatched again meanwhile. */
  private readonly acked = new Set<number>();
  /** A delete of acknowledged rows is on its way to a commit. */
  private deleting = false;
  /**
   * How acknowledged rows are deleted; resolves once the delete has committed. The bridge gives the engine's
   * group commit (options.remove), so deletes share the transaction of the webhook events of the same turn.
   */
  remove: (seqs: number[]) => Promise<void>;
  private readonly pumping = new NextTurn(() => this.pump());
  private readonly flushing = new NextTurn(() => this.flush());
  private stopped = false;
  private waiters: (() => void)[] = [];
  /** True when every row after `cursor` not yet dispatched is in `fresh` (from `freshHead` on). */
  private caughtUp = false;
  private fresh: OutboxRow[] = [];
  private freshHead = 0;
  /** Refusals for good so far, by row. */
  private readonly refusals = new Map<number, number>();
  /** Connection closes with the row in flight (see CLOSES_BEFORE_DEAD), by row. */
  private readonly suspects = new Map<number, number>();
  /** When the last PUBACK arrived (clock ms): with rows waiting and none for long, the outbox is stuck. */
  private lastAck = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: Store,
    private readonly link: () => MqttLink | null,
    private readonly metrics: Metrics,
    private readonly window: number,
    o: OutboxOptions = {},
  ) {
    this.clock = o.clock ?? new NodeClock({ unref: true });
    this.log = o.log ?? (() => undefined);
    this.remove =
      o.remove ??
      ((seqs) => {
        this.store.deleteOutbox(seqs);
        return Promise.resolve();
      });
  }

  /** Keeps the rows committed since the last pump in memory, while caught up; else they are read from the table. */
  private takeCommitted(): void {
    const rows = this.store.takeCommitted();
    if (rows === null || this.fresh.length - this.freshHead + rows.length > FRESH_MAX) this.toTable();
    else if (this.caughtUp) for (const r of rows) this.fresh.push(r);
  }

  /** Forget the in-memory rows: the next rows come from the table again. */
  private toTable(): void {
    this.caughtUp = false;
    this.fresh = [];
    this.freshHead = 0;
  }

  /** Asks for a pump soon (after the current transaction and I/O). */
  kick(): void {
    if (!this.stopped) this.pumping.request();
  }

  /**
   * A row the MQTT session held when the bridge started (QoS 2): in flight from now on, sent again by the
   * link; returns the callback for its outcome.
   */
  adopt(seq: number, kind: string): (err?: Error) => void {
    this.inflight.add(seq);
    return (err) => this.done(seq, kind, err);
  }

  /** After a (re)connect: everything not in flight is dispatched again from the oldest row. */
  reconnected(): void {
    this.cursor = 0;
    this.toTable();
    this.kick();
  }

  private pump(): void {
    this.store.settleForeign();
    this.takeCommitted();
    const link = this.link();
    if (this.stopped || !link || !link.connected) return;
    const send = (r: OutboxRow): void => {
      this.inflight.add(r.seq);
      link.publish(r.seq, r.topic, r.payload, r.retain === 1, (err) => this.done(r.seq, r.kind, err));
    };
    const window = this.suspects.size > 0 ? 1 : this.window;
    while (this.inflight.size < window) {
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
      const room = window - this.inflight.size;
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
    const code = (err as { code?: unknown } | undefined)?.code;
    if (err && typeof code === "number" && REFUSED_FOR_GOOD.has(code) && this.store.open) {
      const n = (this.refusals.get(seq) ?? 0) + 1;
      this.refusals.set(seq, n);
      if (n >= REFUSALS_BEFORE_DEAD) {
        this.refusals.delete(seq);
        this.bury(seq, kind, code, `the broker refused it ${n} times (${err.message})`);
        return;
      }
    }
    if (err) {
      this.cursor = Math.min(this.cursor, seq - 1);
      this.toTable();
      if (!this.stopped) this.clock.setTimeout(() => this.kick(), REPUBLISH_AFTER_MS);
      return;
    }
    this.metrics.inc("simcmd_bridge_events_out_total", { kind });
    this.lastAck = this.clock.now();
    this.refusals.delete(seq);
    this.suspects.delete(seq);
    this.acked.add(seq);
    this.scheduleFlush();
    this.kick();
  }

  /** Moves a row the broker will not take to `dead_letters` (counted, logged); the rows behind it go on. */
  private bury(seq: number, kind: string, code: number, why: string): void {
    this.refusals.delete(seq);
    this.suspects.delete(seq);
    if (!this.store.open) return;
    this.store.deadLetter(seq, code, why, this.clock.now());
    this.link()?.forget(seq);
    this.metrics.inc("simcmd_bridge_dead_letters_total", { kind, reason_code: `0x${code.toString(16)}` });
    this.log(`outbox: row ${seq} (${kind}): ${why}; kept in dead_letters, not retried`);
    this.wakeIfDrained();
    this.kick();
  }

  /**
   * The connection closed (called by the link before it gives back what was in flight). The rows in flight
   * become suspects; one in flight alone has its count raised, and goes to dead letters at CLOSES_BEFORE_DEAD.
   * `reasonCode`: the broker's MQTT 5 DISCONNECT reason, if it sent one.
   */
  disconnected(reasonCode: number | null): void {
    if (this.stopped || this.inflight.size === 0) return;
    const alone = this.inflight.size === 1;
    for (const seq of this.inflight) {
      const n = alone ? (this.suspects.get(seq) ?? 0) + 1 : Math.max(1, this.suspects.get(seq) ?? 0);
      this.suspects.set(seq, n);
      if (n < CLOSES_BEFORE_DEAD) continue;
      const row = this.store.open ? this.store.outboxRow(seq) : undefined;
      const reason = reasonCode !== null && reasonCode >= 0x80 ? `reason 0x${reasonCode.toString(16)}` : "no reason given";
      this.bury(seq, row?.kind ?? "unknown", reasonCode !== null && reasonCode >= 0x80 ? reasonCode : 0x80, `the broker closed the connection each time it was published (${n} times, ${reason})`);
    }
  }

  /**
   * Rows have waited with no PUBACK for `afterMs` (none arrived since, and the oldest is that old): what
   * /healthz reports as `outbox_stuck`. Null while the outbox moves or is empty.
   */
  stuck(afterMs: number): { oldest_seq: number; since: string; seconds: number; depth: number } | null {
    if (!this.store.open) return null;
    const oldest = this.store.oldestOutbox();
    if (oldest === null) return null;
    const since = Math.max(oldest.created_ms, this.lastAck);
    const waited = this.clock.now() - since;
    if (waited < afterMs) return null;
    return { oldest_seq: oldest.seq, since: iso(since), seconds: Math.floor(waited / 1000), depth: this.depth() };
  }

  private flush(): void {
    if (this.acked.size === 0 || this.deleting || !this.store.open) return;
    const batch = [...this.acked];
    this.deleting = true;
    const settled = (): void => {
      this.deleting = false;
      if (this.acked.size > 0 && !this.stopped) this.scheduleFlush();
      this.wakeIfDrained();
    };
    this.remove(batch).then(
      () => {
        for (const seq of batch) this.acked.delete(seq);
        this.link()?.released(batch);
        settled();
      },
      settled, // not deleted: still acked, tried again at the next flush (never dispatched again meanwhile)
    );
  }

  private wakeIfDrained(): void {
    if (this.inflight.size === 0 && this.waiters.length > 0 && this.depth() === 0) for (const w of this.waiters.splice(0)) w();
  }

  private scheduleFlush(): void {
    this.flushing.request();
  }

  depth(): number {
    return this.store.open ? this.store.outboxDepth() : 0;
  }

  /** Resolves when the outbox is empty (bounded by `timeoutMs`; resolves false on timeout). */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.depth() === 0) return Promise.resolve(true);
    return waitBounded(this.waiters, timeoutMs);
  }

  /** Stops publishing; deletes what was acknowledged (synchronously: the store closes next). */
  stop(): void {
    this.stopped = true;
    if (this.acked.size > 0 && this.store.open) {
      this.store.deleteOutbox([...this.acked]);
      this.acked.clear();
    }
  }
}
