/**
 * The outgoing side of the bridge's MQTT session at QoS 2, kept in the outbox so that it outlives the
 * process: mqtt.js's own session mechanism (its `outgoingStore` and `messageIdProvider` options) backed by
 * the SQLite outbox instead of memory.
 *
 * mqtt.js puts a QoS 2 PUBLISH in its outgoing store before writing it, replaces it by the PUBREL when PUBREC
 * comes (again before writing), deletes it on PUBCOMP, and on every CONNACK sends again what the store holds
 * (OASIS MQTT 3.1.1 §4.4, MQTT 5.0 §4.4: unacknowledged PUBLISH and PUBREL packets are resent on a resumed
 * session). Here each put of an outbox publish also writes its packet id, and each PUBREL sets `rel`, on the
 * outbox row itself, and the put's callback — upon which mqtt.js writes the packet — waits for the commit.
 * The puts of one turn share a transaction (committed in a microtask: after the pump's loop of publishes, or
 * after the PUBRECs of one read from the socket): one commit costs about what six row updates do.
 * After a crash, the rows that have a
 * packet id are loaded back: PUBLISH (with DUP, OASIS MQTT 3.1.1 §3.3.1.1) under the same packet id while
 * `rel` is 0, so a broker that already has it answers PUBREC without delivering it again, or PUBREL when the
 * broker has it already.
 *
 * A packet id stays taken until its row is deleted from the outbox (`release`), not only until PUBCOMP: the
 * row is deleted a turn later, in a group commit, and were the id given to another row before that, the
 * restarted bridge would not know which of the two rows the id's state on disk was for.
 *
 * Packets that are not outbox rows (presence, QoS 1) are kept in memory, as mqtt.js's default store does.
 */
import { Readable } from "node:stream";
import { UniqueMessageIdProvider, type IPublishPacket, type IStore, type Packet } from "mqtt";
import type { SessionRow, Store } from "./store.js";

type DoneCallback = (error?: Error) => void;
type PacketCallback = (error?: Error, packet?: Packet) => void;

/**
 * mqtt.js's unique packet ids, except that an id whose outbox row still exists is not given again when
 * mqtt.js lets go of it (PUBCOMP, a refusal) — only once `SessionStore.release` says the row is gone.
 */
export class HeldPacketIds {
  private readonly ids = new UniqueMessageIdProvider();
  private readonly held = new Set<number>();

  constructor(private readonly hasRow: (mid: number) => boolean) {}

  allocate(): number | null {
    return this.ids.allocate();
  }
  getLastAllocated(): number | null {
    return this.ids.getLastAllocated();
  }
  register(mid: number): boolean {
    return this.ids.register(mid);
  }
  deallocate(mid: number): void {
    if (this.hasRow(mid)) this.held.add(mid);
    else this.ids.deallocate(mid);
  }
  /** mqtt.js clears its ids on every CONNACK (and registers what its store sends again): the held ones stay taken. */
  clear(): void {
    this.ids.clear();
    for (const mid of this.held) this.ids.register(mid);
  }
  /** The id's row is gone: the id may be given again. */
  release(mid: number): void {
    if (this.held.delete(mid)) this.ids.deallocate(mid);
  }
}

export class SessionStore implements IStore {
  /** What mqtt.js holds, by packet id, in the order it was first put (the order it is sent again). */
  private readonly packets = new Map<number, Packet>();
  /** Outbox rows with a packet id, both ways: until the row is deleted (see `release`). */
  private readonly seqOf = new Map<number, number>();
  private readonly midOf = new Map<number, number>();
  /** Outbox rows handed to mqtt.js to publish and not yet put (mqtt.js puts them in the order it was given them). */
  private readonly staged: number[] = [];
  readonly ids = new HeldPacketIds((mid) => this.seqOf.has(mid));
  /** The rows the session held when the store was opened (a restart): they go out first, with their packet ids. */
  readonly resumed: SessionRow[];
  /** Puts waiting for the turn's commit. */
  private batch: { write: () => void; done: (err?: Error) => void }[] = [];
  /**
   * A put that could not be committed (its packet was not sent): told its packet id, so that the link takes
   * the message back from mqtt.js, whose callback would otherwise wait for an answer that cannot come.
   */
  onLost: (mid: number) => void = () => undefined;

  constructor(private readonly store: Store) {
    this.resumed = store.sessionRows();
    for (const r of this.resumed) {
      this.seqOf.set(r.mid, r.seq);
      this.midOf.set(r.seq, r.mid);
      this.packets.set(r.mid, r.rel === 1 ? { cmd: "pubrel", messageId: r.mid } : publishOf(r));
    }
  }

  /** Row `seq` is about to be published at QoS 2 (`client.publish` next): its put will carry the row. */
  stage(seq: number): void {
    this.staged.push(seq);
  }

  /** The publish of row `seq` ended; if it failed before it was put (connection closed while queued), forget it. */
  unstage(seq: number): void {
    const i = this.staged.indexOf(seq);
    if (i >= 0) this.staged.splice(i, 1);
  }

  /** The packet id row `seq` went out under, while its row exists. */
  packetId(seq: number): number | undefined {
    return this.midOf.get(seq);
  }

  /** Rows deleted from the outbox (acknowledged and deleted, or dead-lettered): their packet ids are free again. */
  release(seqs: Iterable<number>): void {
    for (const seq of seqs) {
      const mid = this.midOf.get(seq);
      if (mid === undefined || this.packets.has(mid)) continue;
      this.midOf.delete(seq);
      this.seqOf.delete(mid);
      this.ids.release(mid);
    }
  }

  /** What the packet says about its outbox row is committed before `cb` lets mqtt.js write it to the broker. */
  put(packet: Packet, cb: DoneCallback): this {
    const mid = packet.messageId;
    if (mid === undefined) {
      cb(new Error(`${packet.cmd} without a packet id`));
      return this;
    }
    if (packet.cmd === "publish" && packet.qos === 2) {
      const seq = this.staged.shift();
      if (seq === undefined) {
        cb(new Error(`QoS 2 publish ${mid} is not an outbox row`));
        return this;
      }
      this.defer(() => this.store.setPacketId(seq, mid), (err) => {
        if (err === undefined) this.track(seq, mid, packet);
        cb(err);
        if (err !== undefined) this.onLost(mid);
      });
      return this;
    }
    const seq = packet.cmd === "pubrel" ? this.seqOf.get(mid) : undefined;
    if (seq === undefined) {
      this.packets.set(mid, packet); // not an outbox row: in memory only
      cb();
      return this;
    }
    // not committed: the PUBREL is not sent and the row stays a PUBLISH of the session, sent again (DUP) at the
    // next connection — never republished under a new id, which a broker that already has it would deliver twice
    this.defer(() => this.store.setReleased(seq), (err) => {
      if (err === undefined) this.packets.set(mid, packet);
      cb(err);
    });
    return this;
  }

  /** Row `seq` is on disk as packet `mid`. */
  private track(seq: number, mid: number, packet: Packet): void {
    const before = this.midOf.get(seq);
    if (before !== undefined && before !== mid) {
      // the row went out again after a refusal, under a new id: the old one is free now that this is on disk
      this.seqOf.delete(before);
      this.ids.release(before);
    }
    this.seqOf.set(mid, seq);
    this.midOf.set(seq, mid);
    this.packets.set(mid, packet);
  }

  private defer(write: () => void, done: (err?: Error) => void): void {
    if (this.batch.length === 0) queueMicrotask(() => this.commit());
    this.batch.push({ write, done });
  }

  private commit(): void {
    const items = this.batch;
    this.batch = [];
    let err: Error | undefined;
    try {
      this.store.tx(() => {
        for (const it of items) it.write();
      });
    } catch (e) {
      err = e as Error;
    }
    for (const it of items) it.done(err);
  }

  /** mqtt.js's type is readable-stream's Readable; it only reads (read, `readable`, `end`, destroy), as Node's has them. */
  createStream(): ReturnType<IStore["createStream"]> {
    // sent again on a CONNACK: a PUBLISH may have reached the broker before, so it carries DUP
    const packets = [...this.packets.values()].map((p) => (p.cmd === "publish" ? { ...p, dup: true } : p));
    let i = 0;
    let destroyed = false;
    const stream = new Readable({
      objectMode: true,
      read() {
        this.push(!destroyed && i < packets.length ? packets[i++] : null);
      },
    });
    const destroy = stream.destroy.bind(stream);
    stream.destroy = (err?: Error): Readable => {
      destroyed = true;
      return destroy(err);
    };
    return stream as unknown as ReturnType<IStore["createStream"]>;
  }

  del(packet: Pick<Packet, "messageId">, cb: PacketCallback): this {
    const mid = packet.messageId ?? -1;
    const p = this.packets.get(mid);
    if (p === undefined) {
      cb(new Error("missing packet"));
      return this;
    }
    // the row's packet id stays on disk until the row is deleted (a crash before then sends PUBREL again)
    this.packets.delete(mid);
    cb(undefined, p);
    return this;
  }

  get(packet: Pick<Packet, "messageId">, cb: PacketCallback): this {
    const p = this.packets.get(packet.messageId ?? -1);
    if (p === undefined) cb(new Error("missing packet"));
    else cb(undefined, p);
    return this;
  }

  close(cb: DoneCallback): void {
    cb();
  }
}

function publishOf(r: SessionRow): IPublishPacket {
  return { cmd: "publish", topic: r.topic, payload: Buffer.from(r.payload), qos: 2, retain: r.retain === 1, messageId: r.mid, dup: true };
}
