/**
 * Device state shared through the real Redis (127.0.0.1:6379; .ci/run starts it) by several instances: a
 * transition seen by two instances is decided once; a publish that never got its PUBACK is repaired by
 * another instance; whatever order the publishes reach the broker in, the last one is the latest state.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { Redis } from "ioredis";
import { RedisDeviceStates } from "../../host-tools/bridge/redis-device-states.js";
import { FakeClock } from "../helpers/fake-clock.js";

const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
const clients: Redis[] = [];
let prefix = "";
let run = 0;

interface Sent {
  by: string;
  topic: string;
  state: string;
  reason: string | null;
}

/** A retained "broker": the last payload per topic, as published (in the order the publishes complete). */
const retained = new Map<string, Sent>();
const sent: Sent[] = [];

async function instance(name: string, publish?: (s: Sent) => Promise<void>): Promise<RedisDeviceStates> {
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  clients.push(redis);
  return new RedisDeviceStates({
    redis, prefix, clock, noCommMs: 60_000, repairAfterMs: 1000,
    publish: async (topic, payload) => {
      const p = JSON.parse(payload) as { state: string; reason: string | null };
      const s = { by: name, topic, state: p.state, reason: p.reason };
      await (publish ?? (() => Promise.resolve()))(s);
      sent.push(s);
      retained.set(topic, s);
    },
  });
}

afterEach(async () => {
  const keys = await clients[0]?.keys(`simcmd:state:{${prefix}}:*`);
  if (keys && keys.length > 0) await clients[0]?.del(...keys);
  for (const c of clients.splice(0)) c.disconnect();
  retained.clear();
  sent.length = 0;
});

describe("RedisDeviceStates across instances", () => {
  test("the same failure seen by two instances moves the device once: one publishes", async () => {
    prefix = `rds-${process.pid}-${++run}`;
    const a = await instance("a");
    const b = await instance("b");
    for (let i = 0; i < 50; i++) {
      a.failed(`d${i}`, "delivery failed", false);
      b.failed(`d${i}`, "delivery failed", false);
    }
    await Promise.all([a.settled(), b.settled()]);
    expect(sent).toHaveLength(50);
    expect(new Set(sent.map((s) => s.topic)).size).toBe(50);
    expect(sent.filter((s) => s.by === "a").length).toBeGreaterThan(0);
  });

  test("a state whose publish failed (the instance died before the PUBACK) is published by another after repairAfterMs", async () => {
    prefix = `rds-${process.pid}-${++run}`;
    const dead = await instance("dead", () => Promise.reject(new Error("connection lost")));
    const b = await instance("b");
    dead.failed("d1", "r1", false);
    await dead.settled();
    expect(sent).toHaveLength(0);
    b.repair(); // too early: dirty for less than repairAfterMs
    await b.settled();
    expect(sent).toHaveLength(0);
    clock.advance(1000);
    b.repair();
    b.repair(); // the first claim moved it on: taken once
    await b.settled();
    expect(sent.map((s) => [s.by, s.state, s.reason])).toEqual([["b", "fault", "r1"]]);
    clock.advance(1000);
    b.repair(); // published and confirmed: no longer dirty
    await b.settled();
    expect(sent).toHaveLength(1);
  });

  test("a slow publisher's older state reaching the broker last is corrected: the retained value ends as the latest", async () => {
    prefix = `rds-${process.pid}-${++run}`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let reading: () => void = () => undefined;
    const read = new Promise<void>((r) => (reading = r));
    const slow = await instance("slow", () => {
      reading();
      return gate;
    });
    const fast = await instance("fast");
    slow.failed("d1", "r1", false); // decided first, read, its publish held back
    await read;
    fast.failed("d1", "r2", false); // decided second, published at once
    await fast.settled();
    expect(retained.get(`${prefix}/devices/d1/state`)?.reason).toBe("r2");
    release();
    await slow.settled();
    // slow's r1 reached the broker after fast's r2; slow's check after the PUBACK saw a newer version
    expect(sent.map((s) => [s.by, s.reason])).toEqual([["fast", "r2"], ["slow", "r1"], ["slow", "r2"]]);
    expect(retained.get(`${prefix}/devices/d1/state`)?.reason).toBe("r2");
  });
});
