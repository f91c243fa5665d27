/**
 * The DeviceStates contract against both implementations: SQLite (one bridge; the state goes to its outbox)
 * and Redis (several bridges; the real Redis on 127.0.0.1:6379, which .ci/run starts, each run under a
 * prefix of its own, deleted after).
 */
import { Redis } from "ioredis";
import { SqliteDeviceStates } from "../../host-tools/bridge/device-state.js";
import { RedisDeviceStates } from "../../host-tools/bridge/redis-device-states.js";
import { Store } from "../../host-tools/bridge/store.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { type DeviceStatesDriver, deviceStatesContract, type StatePayload } from "./device-states.contract.js";

const START = Date.parse("2026-01-01T00:00:00Z");
let run = 0;

deviceStatesContract("SqliteDeviceStates (host-tools/bridge/device-state.ts)", (noCommMs) => {
  const clock = new FakeClock(START);
  const store = new Store(":memory:", "normal");
  const out: StatePayload[] = [];
  const states = new SqliteDeviceStates(
    store,
    (topic, payload, retain, kind) => {
      if (kind !== "state" || !retain || !topic.endsWith("/state")) throw new Error(`unexpected emit ${topic} ${kind}`);
      out.push(payload as StatePayload);
      return JSON.stringify(payload);
    },
    "p",
    clock,
    noCommMs,
  );
  return Promise.resolve<DeviceStatesDriver>({ states, clock, published: () => out, close: () => Promise.resolve(store.close()) });
});

deviceStatesContract("RedisDeviceStates (host-tools/bridge/redis-device-states.ts)", async (noCommMs) => {
  const clock = new FakeClock(START);
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `contract-${process.pid}-${++run}`;
  const out: StatePayload[] = [];
  const errors: string[] = [];
  const states = new RedisDeviceStates({
    redis,
    prefix,
    clock,
    noCommMs,
    publish: (topic, payload) => {
      if (!topic.startsWith(`${prefix}/devices/`) || !topic.endsWith("/state")) return Promise.reject(new Error(`unexpected topic ${topic}`));
      out.push(JSON.parse(payload) as StatePayload);
      return Promise.resolve();
    },
    onError: (what, e) => errors.push(`${what}: ${e.message}`),
  });
  return {
    states,
    clock,
    published: () => out,
    close: async () => {
      await states.settled();
      const keys = await redis.keys(`simcmd:state:{${prefix}}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      if (errors.length > 0) throw new Error(errors.join("\n"));
    },
  };
});
