/**
 * The QoS 2 session kept in the outbox (session-store.ts), driven as mqtt.js drives its outgoing store:
 * what is on disk before each packet may leave, what a restart sends again, and when a packet id may be
 * given again. The end-to-end proofs (a SIGKILL, a broker restart) are in crash.test.ts and faults.test.ts.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import type { IPublishPacket, Packet } from "mqtt";
import { mergeSources, normalize } from "../../host-tools/bridge/index.js";
import { SessionStore } from "../../host-tools/bridge/session-store.js";
import { Store } from "../../host-tools/bridge/store.js";
import { tempDir } from "./helpers.js";

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

/** `put` as mqtt.js calls it; resolves once its callback ran (the packet may then be written). */
function put(s: SessionStore, p: Packet): Promise<Error | undefined> {
  return new Promise((resolve) => s.put(p, (err) => resolve(err)));
}

const publish = (mid: number, payload: string): IPublishPacket => ({ cmd: "publish", topic: "t/up", payload, qos: 2, retain: false, messageId: mid, dup: false });

/** What `createStream` gives, in order. */
async function stream(s: SessionStore): Promise<Packet[]> {
  const out: Packet[] = [];
  for await (const p of s.createStream() as unknown as AsyncIterable<Packet>) out.push(p);
  return out;
}

describe("QoS 2 session in the outbox", () => {
  test("each packet id and PUBREC is committed on its row before the put's callback; a restart sends them again", async () => {
    const d = tempDir("session");
    dirs.push(d);
    const store = new Store(d.dir, "normal");
    const a = store.addOutbox("t/up", "a", false, "up", 0);
    const b = store.addOutbox("t/up", "b", false, "up", 0);
    const c = store.addOutbox("t/up", "c", false, "up", 0);
    const s = new SessionStore(store);
    expect(s.resumed).toEqual([]);
    for (const seq of [a, b, c]) s.stage(seq);
    let called = 0;
    const puts = [1, 2, 3].map((mid, i) => new Promise<void>((resolve) => s.put(publish(mid, "abc"[i] as string), () => {
      // the callback is where mqtt.js writes the packet: its row must carry the id by then
      expect(store.sessionRows().map((r) => r.mid)).toContain(mid);
      called++;
      resolve();
    })));
    expect(called).toBe(0); // the turn's puts share one commit, after the turn
    await Promise.all(puts);
    expect(await put(s, { cmd: "pubrel", messageId: 2 })).toBeUndefined();
    expect(await put(s, { cmd: "pubrel", messageId: 3 })).toBeUndefined();
    // PUBCOMP for 3: mqtt.js deletes it from the store; the row itself goes in the outbox's next delete
    await new Promise<void>((resolve) => s.del({ messageId: 3 }, () => resolve()));
    expect(store.sessionRows().map((r) => [r.seq, r.mid, r.rel])).toEqual([[a, 1, 0], [b, 2, 1], [c, 3, 1]]);
    store.close();

    // the process dies here; the restarted bridge finds the three rows with their ids
    const again = new Store(d.dir, "normal");
    const s2 = new SessionStore(again);
    expect(s2.resumed.map((r) => [r.seq, r.mid, r.rel])).toEqual([[a, 1, 0], [b, 2, 1], [c, 3, 1]]);
    const sent = await stream(s2);
    // PUBLISH again with DUP under the same id, PUBREL where PUBREC had come; 3 (completed, row not yet
    // deleted) gets its PUBREL again too — the broker answers PUBCOMP for an id it no longer knows
    expect(sent.map((p) => [p.cmd, p.messageId, p.cmd === "publish" ? [p.dup, p.qos, String(p.payload)] : null])).toEqual([
      ["publish", 1, [true, 2, "a"]],
      ["pubrel", 2, null],
      ["pubrel", 3, null],
    ]);
    again.close();
  });

  test("a packet id is given again only once its row is deleted, even across mqtt.js's clear on CONNACK", async () => {
    const d = tempDir("session-ids");
    dirs.push(d);
    const store = new Store(d.dir, "normal");
    const s = new SessionStore(store);
    const seq = store.addOutbox("t/up", "x", false, "up", 0);
    const mid = s.ids.allocate() as number;
    s.stage(seq);
    expect(await put(s, publish(mid, "x"))).toBeUndefined();
    await new Promise<void>((resolve) => s.del({ messageId: mid }, () => resolve())); // PUBCOMP
    s.ids.deallocate(mid); // as mqtt.js does next
    s.ids.clear(); // a reconnect
    expect(s.ids.register(mid)).toBe(false); // still taken: its row is still in the outbox
    store.deleteOutbox([seq]);
    s.release([seq]);
    expect(s.ids.register(mid)).toBe(true);
    store.close();
  });

  test("a QoS 2 publish that is not an outbox row is refused; other packets are kept in memory only", async () => {
    const d = tempDir("session-other");
    dirs.push(d);
    const store = new Store(d.dir, "normal");
    const s = new SessionStore(store);
    expect(await put(s, publish(9, "stray"))).toBeInstanceOf(Error);
    const presence: IPublishPacket = { cmd: "publish", topic: "p/state", payload: "online", qos: 1, retain: true, messageId: 10, dup: false };
    expect(await put(s, presence)).toBeUndefined();
    expect(store.sessionRows()).toEqual([]);
    expect((await stream(s)).map((p) => p.messageId)).toEqual([10]);
    store.close();
  });
});

describe("the qos option", () => {
  test("1 by default; 2 from the options, a flag or the environment; anything else is an error naming it", () => {
    expect(normalize({ signature: "off" }).qos).toBe(1);
    expect(normalize({ signature: "off", qos: 2 }).qos).toBe(2);
    expect(normalize({ signature: "off", ...mergeSources({}, {}, { qos: "2" }) }).qos).toBe(2);
    expect(normalize({ signature: "off", ...mergeSources({}, { SIMCMD_BRIDGE_QOS: "2" }, {}) }).qos).toBe(2);
    expect(() => mergeSources({}, {}, { qos: "0" })).toThrow(/flag --qos: must be one of 1, 2/);
    expect(() => normalize({ signature: "off", qos: 3 as never })).toThrow(/option qos: must be one of 1, 2/);
  });
});
