/**
 * The outbox's rules, on a real SQLite store with the MQTT link scripted (the link is the injected transport;
 * the broker-facing behaviour is covered end to end in faults.test.ts and mosquitto.test.ts):
 * group commit (one transaction per turn, a bad item fails alone), commit reporting by `Store.tx`, and a
 * pump that publishes every committed row once, in order, within its window, whether it finds the rows in
 * memory or has to go back to the table.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import { GroupCommit } from "../../host-tools/bridge/group-commit.js";
import { Metrics } from "../../host-tools/bridge/metrics.js";
import type { MqttLink } from "../../host-tools/bridge/mqtt-link.js";
import { Outbox } from "../../host-tools/bridge/outbox.js";
import { Store, type OutboxRow } from "../../host-tools/bridge/store.js";
import { tempDir } from "./helpers.js";

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function store(): Store {
  const d = tempDir("outbox");
  dirs.push(d);
  return new Store(d.dir, "normal");
}

/** One turn of the event loop (the pump and the group commit run on setImmediate). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** A scripted MQTT link: records publishes; the test decides when PUBACKs (or failures) come back. */
class ScriptedLink {
  connected = true;
  readonly published: string[] = [];
  private pending: ((err?: Error) => void)[] = [];
  maxInFlight = 0;
  publish(_seq: number, _topic: string, payload: string, _retain: boolean, cb: (err?: Error) => void): void {
    this.published.push(payload);
    this.pending.push(cb);
    this.maxInFlight = Math.max(this.maxInFlight, this.pending.length);
  }
  /** QoS 2 only: packet ids freed, a dead letter taken out of the session. */
  released(): void {}
  forget(): void {}
  get inFlight(): number {
    return this.pending.length;
  }
  ack(n = Infinity): void {
    for (const cb of this.pending.splice(0, n)) cb();
  }
  fail(): void {
    for (const cb of this.pending.splice(0)) cb(new Error("connection lost"));
  }
}

function rig(window = 8) {
  const s = store();
  const link = new ScriptedLink();
  const outbox = new Outbox(s, () => link as unknown as MqttLink, new Metrics(), window);
  const write = (n: number, from: number): void => {
    s.tx(() => {
      for (let i = 0; i < n; i++) s.addOutbox("t", String(from + i), false, "up", 0);
    });
    outbox.kick();
  };
  /** Acks until everything is published and acknowledged (bounded). */
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 10_000 && (link.inFlight > 0 || outbox.depth() > 0); i++) {
      link.ack();
      await turn();
    }
  };
  return { s, link, outbox, write, drain };
}

const range = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => String(from + i));

describe("Store.tx reports committed outbox rows", () => {
  test("after the commit, in order; a rolled-back transaction reports nothing; a nested one reports null", () => {
    const s = store();
    const seen: (OutboxRow[] | null)[] = [];
    s.onOutboxCommitted = (rows) => seen.push(rows);
    s.tx(() => {
      s.addOutbox("t", "a", false, "up", 0);
      s.addOutbox("t", "b", true, "state", 0);
      expect(seen).toEqual([]); // not yet committed
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.map((r) => [r.payload, r.retain, r.kind])).toEqual([["a", 0, "up"], ["b", 1, "state"]]);
    expect(() =>
      s.tx(() => {
        s.addOutbox("t", "rolled back", false, "up", 0);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(seen).toHaveLength(1);
    expect(s.nextOutbox(0, 10).map((r) => r.payload)).toEqual(["a", "b"]);
    s.tx(() => {
      s.addOutbox("t", "outer", false, "up", 0);
      try {
        s.tx(() => {
          s.addOutbox("t", "inner, rolled back", false, "up", 0);
          throw new Error("inner");
        });
      } catch {
        /* the savepoint is rolled back, the outer transaction goes on */
      }
    });
    expect(seen[1]).toBeNull();
    s.addOutbox("t", "autocommit", false, "up", 0);
    expect(seen[2]?.map((r) => r.payload)).toEqual(["autocommit"]);
    expect(s.nextOutbox(0, 10).map((r) => r.payload)).toEqual(["a", "b", "outer", "autocommit"]);
  });
});

describe("GroupCommit", () => {
  test("items submitted in one turn share one transaction and settle after it, results in order", async () => {
    const s = store();
    const commits: number[] = [];
    const gc = new GroupCommit(s, (k: string) => s.markSeen(k, 0), (n) => commits.push(n));
    const results = await Promise.all(["a", "b", "a", "c"].map((k) => gc.submit(k)));
    expect(results).toEqual([true, true, false, true]);
    expect(commits).toEqual([4]);
    expect(await gc.submit("a")).toBe(false);
    expect(commits).toEqual([4, 1]);
  });

  test("a full batch commits without waiting for the turn's end", async () => {
    const s = store();
    const commits: number[] = [];
    const gc = new GroupCommit(s, (k: number) => s.markSeen(String(k), 0), (n) => commits.push(n), { maxBatch: 3 });
    const all = Promise.all([1, 2, 3, 4].map((k) => gc.submit(k)));
    expect(commits).toEqual([3]);
    await all;
    expect(commits).toEqual([3, 1]);
  });

  test("an item that throws fails alone: its writes are rolled back, the others commit", async () => {
    const s = store();
    const gc = new GroupCommit(s, (k: string) => {
      s.addOutbox("t", k, false, "up", 0);
      if (k === "bad") throw new Error("bad item");
      return k;
    }, () => undefined);
    const settled = await Promise.allSettled(["x", "bad", "y"].map((k) => gc.submit(k)));
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("bad item"));
    expect(s.nextOutbox(0, 10).map((r) => r.payload)).toEqual(["x", "y"]);
  });

  test("after the database is closed, submissions reject (the webhook answers 5xx) instead of hanging", async () => {
    const s = store();
    const gc = new GroupCommit(s, (k: string) => s.markSeen(k, 0), () => undefined);
    const p = gc.submit("late");
    s.close();
    await expect(p).rejects.toThrow("closed");
  });
});

describe("Outbox pump", () => {
  test("rows written before the start, then rows committed while running: each published once, in order, within the window", async () => {
    const r = rig(8);
    r.s.tx(() => range(0, 20).forEach((p) => r.s.addOutbox("t", p, false, "up", 0))); // before the pump reads anything
    let reads = 0;
    const read = r.s.nextOutbox.bind(r.s);
    r.s.nextOutbox = (after, limit) => (reads++, read(after, limit));
    r.outbox.reconnected();
    await turn();
    expect(r.link.published).toEqual(range(0, 8));
    for (let i = 0; i < 10 && r.link.published.length < 20; i++) {
      r.link.ack();
      await turn();
    }
    const readsWhenCaughtUp = reads; // the last read came back short: caught up
    for (let i = 0; i < 5; i++) {
      r.write(7, 20 + 7 * i);
      r.link.ack(3);
      await turns(2);
    }
    await r.drain();
    expect(r.link.published).toEqual(range(0, 55));
    expect(reads).toBe(readsWhenCaughtUp); // what was committed since came from memory
    expect(r.link.maxInFlight).toBeLessThanOrEqual(8);
    expect(r.outbox.depth()).toBe(0);
  });

  test("publishes that fail (connection lost) are sent again, nothing acknowledged is sent twice", async () => {
    const r = rig(4);
    r.outbox.reconnected();
    r.write(10, 0);
    await turn();
    r.link.ack(2); // 0, 1 acknowledged
    r.link.fail(); // 2, 3 lost
    r.link.connected = false;
    r.write(5, 10); // committed while offline
    await turns(3);
    expect(r.link.published).toEqual(range(0, 4));
    r.link.connected = true;
    r.outbox.reconnected();
    await r.drain();
    expect(r.link.published).toEqual([...range(0, 4), ...range(2, 13)]);
  });

  test("a publish that fails while still connected (PUBACK with an error reason) is sent again before anything newer", async () => {
    const r = rig(4);
    r.outbox.reconnected();
    await turn(); // the table is empty: a short read, caught up — from here rows come from memory
    r.write(10, 0);
    await turn();
    expect(r.link.published).toEqual(range(0, 4));
    r.link.ack(2);
    r.link.fail(); // 2 and 3 refused; the link stays up
    r.outbox.kick(); // what the retry timer does
    await r.drain();
    expect(r.link.published).toEqual([...range(0, 4), ...range(2, 8)]);
  });

  test("more committed while offline than memory keeps (4,096): all come from the table, in order", async () => {
    const r = rig(256);
    r.outbox.reconnected();
    await turn();
    r.link.connected = false;
    for (let i = 0; i < 6; i++) r.write(1000, i * 1000);
    await turn();
    r.link.connected = true;
    r.outbox.reconnected();
    await r.drain();
    expect(r.link.published).toEqual(range(0, 6000));
  });

  test("rows written by a transaction outside Store.tx are found in the table and published", async () => {
    const r = rig(8);
    r.outbox.reconnected();
    r.write(3, 0);
    await turn();
    r.s.db.transaction(() => range(3, 4).forEach((p) => r.s.addOutbox("t", p, false, "up", 0)))();
    r.write(2, 7);
    await r.drain();
    expect(r.link.published).toEqual(range(0, 9));
  });

  test("a delete that fails to commit is tried again; its rows are not published again meanwhile", async () => {
    const r = rig(8);
    let failures = 1;
    const attempts: number[][] = [];
    r.outbox.remove = (seqs) => {
      attempts.push(seqs);
      if (failures-- > 0) return Promise.reject(new Error("SQLITE_BUSY"));
      r.s.deleteOutbox(seqs);
      return Promise.resolve();
    };
    r.outbox.reconnected();
    r.write(5, 0);
    await r.drain();
    expect(r.link.published).toEqual(range(0, 5));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[1]).toEqual(expect.arrayContaining(attempts[0] as number[]));
    expect(r.outbox.depth()).toBe(0);
    expect(await r.outbox.drained(1000)).toBe(true);
  });
});
