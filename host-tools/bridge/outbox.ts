/**
 * The outbox pump: every MQTT message the bridge emits is first a row of the SQLite outbox (written in the
 * same transaction as whatever caused it); the pump publishes rows in order at QoS 1, at most `inflight` at
 * a time, only while connected, and deletes a row only when its PUBACK arrives. A publish that fails
 * (connection lost before the PUBACK and the client gave up on it) is dispatched again.
 */
import type { Metrics } from "./metrics.js";
import type { MqttLink } from "./mqtt-link.js";
import type { Store } from "./store.js";

export class Outbox {
  private cursor = 0;
  private readonly inflight = new Set<number>();
  /** Rows whose PUBACK arrived, to delete at the next flush; never dispatched again meanwhile. */
  private readonly acked = new Set<number>();
  private scheduled = false;
  private flushScheduled = false;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly link: () => MqttLink | null,
    private readonly metrics: Metrics,
    private readonly window: number,
  ) {}

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
    this.kick();
  }

  private pump(): void {
    const link = this.link();
    if (this.stopped || !link || !link.connected) return;
    while (this.inflight.size < this.window) {
      const rows = this.store.nextOutbox(this.cursor, Math.min(256, this.window - this.inflight.size + 64));
      if (rows.length === 0) break;
      let sent = 0;
      for (const r of rows) {
        this.cursor = r.seq;
        if (this.inflight.has(r.seq) || this.acked.has(r.seq)) continue;
        if (this.inflight.size >= this.window) {
          this.cursor = r.seq - 1;
          break;
        }
        this.inflight.add(r.seq);
        sent++;
        link.publish(r.topic, r.payload, r.retain === 1, (err) => this.done(r.seq, r.kind, err));
      }
      if (sent === 0 && rows.length < 256) break;
      if (this.inflight.size >= this.window) break;
    }
  }

  private done(seq: number, kind: string, err?: Error): void {
    this.inflight.delete(seq);
    if (err) {
      this.cursor = Math.min(this.cursor, seq - 1);
      if (!this.stopped) setTimeout(() => this.kick(), 200).unref();
      return;
    }
    this.metrics.inc("simcmd_bridge_events_out_total", { kind });
    this.acked.add(seq);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    this.kick();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.acked.size === 0) return;
    const batch = [...this.acked];
    this.acked.clear();
    if (this.store.db.open) this.store.deleteOutbox(batch);
    if (this.inflight.size === 0 && this.waiters.length > 0 && this.depth() === 0) for (const w of this.waiters.splice(0)) w();
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

  stop(): void {
    this.stopped = true;
    this.flush();
  }
}
