/**
 * Faults: the broker is down while 1,000 uplink webhooks arrive (all answered 2xx from the SQLite outbox) and
 * comes back — a persistent subscriber gets every event exactly once; the bridge is killed mid-stream and
 * restarted on the same data directory — nothing that was answered 2xx is lost; the broker restarted with
 * publishes in flight — none lost, and at QoS 2 none published twice.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import { startBridge, startBroker, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { Recorder, tempDir } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const TOKEN = "f".repeat(32);
const ACCOUNT = "AC" + "0".repeat(32);
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function sid(n: number, salt: string): string {
  return "HG" + (salt + n.toString(16)).padStart(32, "0").slice(-32);
}

/** A signed Fleet IP Commands MO webhook for event n. */
async function mo(bridge: BridgeHandle, n: number, salt: string): Promise<number> {
  const url = `${bridge.url}/webhooks/twilio/ip-commands`;
  const p = {
    AccountSid: ACCOUNT, CommandSid: sid(n, salt), SimSid: "HS" + "b".repeat(32), SimUniqueName: "fault-dev", PayloadType: "binary",
    Payload: Buffer.from(`event ${n}`).toString("base64"), Direction: "from_sim", Status: "received",
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(TOKEN, url, p) },
      body: new URLSearchParams(p).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0; // connection reset: not acknowledged, the platform would retry
  }
}

/** Runs `n` webhooks with `concurrency` in flight; returns the status of each (bounded loop). */
async function flood(bridge: () => BridgeHandle, ns: number[], salt: string, concurrency = 32, onEach?: (done: number) => void): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < ns.length) {
      const n = ns[next++] as number;
      out.set(n, await mo(bridge(), n, salt));
      onEach?.(++done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

const opts = (data: string, mqtt: string, instance: string) => ({
  port: 0, data, mqtt, mqttVersion: 4 as const, instance, prefix: `fault/${instance}`,
  twilio: { accountSid: ACCOUNT, authToken: TOKEN },
});

function counts(rec: Recorder, prefix: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of rec.find((x) => x.topic === `${prefix}/devices/fault-dev/up`)) {
    const ref = String(x.json.platform_ref);
    m.set(ref, (m.get(ref) ?? 0) + 1);
  }
  return m;
}

describe("broker outage", () => {
  test("1,000 webhooks while the broker is down: all 2xx, then each published exactly once to a persistent subscriber", async () => {
    const data = tempDir("outage");
    dirs.push(data);
    const brokerDir = tempDir("outage-mosquitto");
    dirs.push(brokerDir);
    // A private Mosquitto, stopped and started again with its persistent sessions.
    const broker = await MosquittoProcess.start(brokerDir.dir);
    const bridge = await startBridge(opts(data.dir, broker.url, "outage"));
    const prefix = "fault/outage";
    const rec = await Recorder.open(broker.url, [`${prefix}/devices/+/up`], { clientId: "outage-subscriber", clean: false });
    try {
      // 100 before the outage, flowing normally
      const first = await flood(() => bridge, Array.from({ length: 100 }, (_, i) => i), "a");
      expect([...first.values()].every((s) => s === 204)).toBe(true);
      await rec.waitFor((m) => m.topic === `${prefix}/devices/fault-dev/up`, 100);
      await rec.settle();
      await broker.stop();
      await new Promise<void>((resolve) => {
        const check = (): void => void (bridge.metrics.get("simcmd_bridge_mqtt_connected") === 0 ? resolve() : setImmediate(check));
        check();
      });
      const during = await flood(() => bridge, Array.from({ length: 1000 }, (_, i) => 100 + i), "a");
      expect([...during.values()].filter((s) => s === 204)).toHaveLength(1000);
      expect(bridge.outboxDepth()).toBe(1000);
      const resumed = new Promise<boolean>((resolve) => rec.client.once("connect", (connack) => resolve(connack.sessionPresent)));
      await broker.restart();
      // the subscriber's session survived the restart (else what was published before it resubscribed is lost)
      expect(await resumed).toBe(true);
      await rec.waitFor((m) => m.topic === `${prefix}/devices/fault-dev/up`, 1100, 20_000);
      expect(await bridge.drained(10_000)).toBe(true);
      // a marker published after the drain proves nothing else is on its way
      expect(await mo(bridge, 5000, "a")).toBe(204);
      await rec.waitFor((m) => m.json.platform_ref === sid(5000, "a"));
      const c = counts(rec, prefix);
      expect(c.size).toBe(1101);
      expect([...c.values()].filter((v) => v !== 1)).toEqual([]);
      expect(bridge.metrics.get("simcmd_bridge_events_in_total")).toBe(1101);
    } finally {
      await rec.close();
      await bridge.close();
      await broker.stop();
    }
  }, 45_000);
});

describe("bridge crash", () => {
  test("killed mid-stream and restarted on the same data dir: every acknowledged event is published", async () => {
    const data = tempDir("crash");
    dirs.push(data);
    const broker = await startBroker({ port: 0 });
    const prefix = "fault/crash";
    const rec = await Recorder.open(broker.url, [`${prefix}/devices/+/up`], { clientId: "crash-subscriber", clean: false });
    let bridge = await startBridge(opts(data.dir, broker.url, "crash"));
    const N = 600;
    try {
      let crashed: Promise<void> | null = null;
      const first = bridge;
      const statuses = await flood(() => bridge, Array.from({ length: N }, (_, i) => i), "c", 32, (done) => {
        if (done === 250 && crashed === null) crashed = first.close({ drain: false });
      });
      await crashed;
      const acked = [...statuses].filter(([, s]) => s === 204).map(([n]) => n);
      const unacked = [...statuses].filter(([, s]) => s !== 204).map(([n]) => n);
      expect(acked.length).toBeGreaterThanOrEqual(250);
      expect(unacked.length).toBeGreaterThan(0);
      bridge = await startBridge(opts(data.dir, broker.url, "crash"));
      // the platform retries what was not acknowledged; a retry of an acknowledged one is recognised
      const retried = await flood(() => bridge, [...unacked, ...acked.slice(0, 50)], "c");
      expect([...retried.values()].every((s) => s === 204)).toBe(true);
      await rec.waitFor((m) => m.topic === `${prefix}/devices/fault-dev/up`, N, 20_000);
      expect(await bridge.drained(10_000)).toBe(true);
      expect(await mo(bridge, 9999, "c")).toBe(204);
      await rec.waitFor((m) => m.json.platform_ref === sid(9999, "c"));
      const c = counts(rec, prefix);
      expect(c.size).toBe(N + 1);
      const dups = [...c.values()].filter((v) => v > 1).length;
      // QoS 1 after a crash: a row PUBACKed but not yet deleted may go out again (at least once); never lost.
      expect(dups).toBeLessThanOrEqual(256);
      process.stdout.write(`bridge crash: ${acked.length} acknowledged before the crash, ${unacked.length} retried, ${N} of ${N} published, ${dups} duplicates\n`);
    } finally {
      await rec.close();
      await bridge.close();
      await broker.close();
    }
  }, 45_000);
});

describe("broker restarted with publishes in flight", () => {
  // Mosquitto stopped (SIGTERM: it saves its sessions) and started again while webhooks arrive. At QoS 1 the
  // rows in flight are published again after the reconnect (at least once); at QoS 2 the session sends them
  // again under their packet ids and the broker takes each once. MQTT 5, the subscriber at the same QoS.
  // The subscriber's own session is cut by the restart too, and it gets again some of what it had taken, with
  // DUP set (Mosquitto 2.0.11, an mqtt.js subscriber). A copy the bridge caused would come without DUP (a
  // broker does not pass an incoming DUP on to subscribers, OASIS MQTT 5.0 §3.3.1.1): at QoS 2 one per event.
  test.each([1, 2] as const)("QoS %i: 600 webhooks, the broker restarted after 200: none lost, at QoS 2 none published twice", async (qos) => {
    const N = 600;
    const instance = `restart-q${qos}`;
    const prefix = `fault/${instance}`;
    const data = tempDir(instance);
    dirs.push(data);
    const brokerDir = tempDir(`${instance}-mosquitto`);
    dirs.push(brokerDir);
    const broker = await MosquittoProcess.start(brokerDir.dir);
    const bridge = await startBridge({ ...opts(data.dir, broker.url, instance), mqttVersion: 5 as const, qos });
    const rec = await Recorder.open(broker.url, [], { clientId: `${instance}-subscriber`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 600 } });
    await rec.client.subscribeAsync(`${prefix}/devices/+/up`, { qos });
    try {
      let restarted: Promise<void> | null = null;
      const statuses = await flood(() => bridge, Array.from({ length: N }, (_, i) => i), "r", 32, (done) => {
        if (done === 200 && restarted === null) restarted = broker.stop().then(() => broker.restart());
      });
      await restarted;
      expect([...statuses.values()].filter((s) => s !== 204)).toEqual([]);
      await rec.waitFor((m) => m.topic === `${prefix}/devices/fault-dev/up`, N, 20_000);
      expect(await bridge.drained(10_000)).toBe(true);
      // a marker behind everything: once it is here, nothing else is on its way
      expect(await mo(bridge, 9999, "r")).toBe(204);
      await rec.waitFor((m) => m.json.platform_ref === sid(9999, "r"));
      const c = counts(rec, prefix);
      expect(c.size).toBe(N + 1);
      const dups = [...c.values()].filter((v) => v > 1).length;
      const fresh = new Map<string, number>();
      for (const m of rec.find((x) => x.topic === `${prefix}/devices/fault-dev/up` && x.dup !== true)) {
        const ref = String(m.json.platform_ref);
        fresh.set(ref, (fresh.get(ref) ?? 0) + 1);
      }
      const twice = [...fresh].filter(([, v]) => v > 1).map(([k]) => k);
      if (qos === 2) expect(twice).toEqual([]);
      process.stdout.write(`broker restart, QoS ${qos}: ${N} of ${N} published, ${dups} seen twice, ${twice.length} of them without DUP (published twice)\n`);
    } finally {
      await rec.close();
      await bridge.close();
      await broker.stop();
    }
  }, 45_000);
});
