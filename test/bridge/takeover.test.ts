/**
 * Outbox takeover through the real PostgreSQL (127.0.0.1:5432, database `test`; .ci/run starts it) and the
 * real Mosquitto and Redis: an instance answers webhooks while its broker is unreachable and then stops for
 * good; a survivor sharing the PostgreSQL copy publishes its events once, in order; when the first instance
 * comes back after all, it drops what the survivor published instead of publishing it again.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import pg from "pg";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { commandSid, flood } from "./child-bridge.js";
import { listening, Recorder, tempDir, uniquePrefix } from "./helpers.js";

const account = { accountSid: "AC" + "3".repeat(32), authToken: "e".repeat(32) };
const PG = "postgres://postgres@127.0.0.1:5432/test";
const schema = `t_takeover_${process.pid}`;
const prefix = uniquePrefix("takeover");
const dataA = tempDir("takeover-a");
const dataB = tempDir("takeover-b");
const bridges: BridgeHandle[] = [];
let rec: Recorder;
/** Event ids unique to this run: Redis remembers the dedupe keys of earlier runs for a day. */
const salt = (Date.now() % 0xfffffff).toString(16);

const common = (instance: string, data: string, mqtt: string) => ({
  port: 0, data, mqtt, instance, prefix, redis: "redis://127.0.0.1:6379", postgres: PG,
  cluster: { schema, lease: 400 }, twilio: account,
});

beforeAll(async () => {
  for (const [port, what] of [[1883, "Mosquitto"], [6379, "Redis"], [5432, "PostgreSQL"]] as const)
    if (!(await listening(port))) throw new Error(`${what} is not running on 127.0.0.1:${port} (.ci/run starts it)`);
  rec = await Recorder.open("mqtt://127.0.0.1:1883", [`${prefix}/devices/+/up`], { clientId: `takeover-sub-${process.pid}`, clean: false });
});

afterAll(async () => {
  for (const b of bridges) await b.close({ drain: false });
  await rec?.close();
  const c = new pg.Client(PG);
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
  dataA.remove();
  dataB.remove();
});

describe("outbox takeover through PostgreSQL", () => {
  test("events answered by an instance that never reached the broker are published once by a survivor, in order", async () => {
    const N = 60;
    // nothing listens on port 9: the instance takes webhooks into its outbox (and the copy) and publishes nothing
    const a = await startBridge(common(`a-${process.pid}`, dataA.dir, "mqtt://127.0.0.1:9"));
    bridges.push(a);
    const statuses = await flood(a.url, account, Array.from({ length: N }, (_, i) => i), salt, 1); // one at a time: the order they were stored in is 0..N-1
    expect([...statuses.values()].every((s) => s >= 200 && s < 300)).toBe(true);
    expect(a.outboxDepth()).toBeGreaterThanOrEqual(N);
    await a.close({ drain: false }); // gone: its lease runs out

    const b = await startBridge(common(`b-${process.pid}`, dataB.dir, "mqtt://127.0.0.1:1883"));
    bridges.push(b);
    const ups = await rec.waitFor((m) => m.topic.endsWith("/up"), N, 15_000);
    const refs = ups.map((m) => m.json.platform_ref as string);
    expect(new Set(refs).size).toBe(N);
    expect(refs).toEqual(Array.from({ length: N }, (_, i) => commandSid(i, salt)));

    // the first instance comes back on its own file: what the survivor published is dropped, not sent again
    const again = await startBridge(common(`a-${process.pid}`, dataA.dir, "mqtt://127.0.0.1:1883"));
    bridges.push(again);
    expect(again.outboxDepth()).toBe(0);
    // its start waited for the survivor's takeover to end
    expect(b.metrics.render()).toContain(`simcmd_bridge_takeover_rows_total ${N}`);
    await rec.settle();
    expect(rec.find((m) => m.topic.endsWith("/up"))).toHaveLength(N);
  });
});
