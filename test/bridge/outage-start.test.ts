/**
 * The bridge starts while its broker is away (a private Mosquitto, stopped): it listens at once, answers
 * signed webhooks 2xx from the SQLite outbox, says `mqtt: "down"` on /healthz and keeps reconnecting with
 * backoff; when the broker starts, a persistent subscriber (whose session the broker kept) receives every
 * event exactly once. The second test does the same across a SIGKILL and a restart of the bridge process
 * while the broker is still down — what a supervisor does during an outage.
 */
import { afterAll, describe, expect, test } from "@jest/globals";
import net from "node:net";
import { startBridge, type Health } from "../../host-tools/bridge/index.js";
import { commandSid, flood, gone, killChildren, signedUplink, spawnBridgeChild } from "./child-bridge.js";
import { Recorder, tempDir, type Msg } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const account = { accountSid: "AC" + "5".repeat(32), authToken: "5".repeat(32) };
const dirs: { remove(): void }[] = [];
afterAll(async () => {
  await killChildren();
  dirs.forEach((d) => d.remove());
});

const options = (data: string, mqtt: string, instance: string) => ({
  port: 0, data, mqtt, mqttVersion: 5 as const, instance, prefix: `outage/${instance}`, twilio: account,
});

/** A private Mosquitto with a persistent subscriber to `prefix`'s uplinks, then stopped (sessions saved). */
async function stoppedBrokerWithSubscriber(name: string, prefix: string): Promise<{ broker: MosquittoProcess; rec: Recorder }> {
  const dir = tempDir(`${name}-mosquitto`);
  dirs.push(dir);
  const broker = await MosquittoProcess.start(dir.dir);
  const rec = await Recorder.open(broker.url, [`${prefix}/devices/+/up`], { clientId: `${name}-subscriber`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
  await broker.stop();
  return { broker, rec };
}

async function healthz(url: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

/** How many times each uplink's platform_ref was received. */
function counts(msgs: Msg[], topic: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of msgs) if (x.topic === topic) m.set(String(x.json.platform_ref), (m.get(String(x.json.platform_ref)) ?? 0) + 1);
  return m;
}

/** The broker is back: waits for `expected` uplinks, then for a marker sent behind them (the outbox publishes in order). */
async function allDelivered(rec: Recorder, topic: string, send: (n: number) => Promise<number>, expected: number, salt: string): Promise<Map<string, number>> {
  await rec.waitFor((m) => m.topic === topic, expected, 30_000);
  expect(await send(9999)).toBe(204);
  await rec.waitFor((m) => m.topic === topic && m.json.platform_ref === commandSid(9999, salt), 1, 15_000);
  const c = counts(rec.msgs, topic);
  c.delete(commandSid(9999, salt));
  return c;
}

describe("bridge start during a broker outage", () => {
  test("started with the broker stopped: 200 signed webhooks all 2xx; the broker starts; the subscriber gets each of the 200 exactly once", async () => {
    const instance = "start";
    const prefix = `outage/${instance}`;
    const topic = `${prefix}/devices/fault-dev/up`;
    const { broker, rec } = await stoppedBrokerWithSubscriber("outage-start", prefix);
    const data = tempDir("outage-start");
    dirs.push(data);
    const logs: string[] = [];
    const t0 = Date.now();
    const bridge = await startBridge({ ...options(data.dir, broker.url, instance), log: (l) => logs.push(l) });
    try {
      expect(Date.now() - t0).toBeLessThan(5000); // connection refused: the start does not wait for the broker
      const down = await healthz(bridge.url);
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({ ok: true, mqtt: "down", outbox: 0, instance });
      expect(down.body.mqtt_error).toMatch(/ECONNREFUSED/);
      expect(Date.parse(down.body.mqtt_since)).toBeLessThanOrEqual(Date.now());

      const N = 200;
      const statuses = await flood(bridge.url, account, Array.from({ length: N }, (_, i) => i), "s");
      expect([...statuses.values()].filter((s) => s === 204)).toHaveLength(N);
      expect(bridge.metrics.get("simcmd_bridge_events_in_total")).toBe(N);
      const waiting = await healthz(bridge.url);
      expect(waiting.body).toMatchObject({ ok: true, mqtt: "down" });
      expect(waiting.body.outbox).toBeGreaterThanOrEqual(N); // the uplinks, and the device's first state
      expect(bridge.metrics.render()).toMatch(/^simcmd_bridge_mqtt_connected 0$/m);
      expect(bridge.metrics.render()).toMatch(new RegExp(`^simcmd_bridge_outbox_depth ${waiting.body.outbox}$`, "m"));

      await broker.restart();
      const c = await allDelivered(rec, topic, (n) => signedUplink(bridge.url, account, n, "s"), N, "s");
      const refs = Array.from({ length: N }, (_, i) => commandSid(i, "s"));
      expect(refs.filter((r) => c.get(r) !== 1)).toEqual([]);
      expect(c.size).toBe(N);
      expect(await bridge.drained(10_000)).toBe(true);
      const up = await healthz(bridge.url);
      expect(up.body).toMatchObject({ ok: true, mqtt: "up", outbox: 0 });
      expect(up.body).not.toHaveProperty("mqtt_error");
      expect(Date.parse(up.body.mqtt_since)).toBeGreaterThanOrEqual(Date.parse(down.body.mqtt_since));
      expect(bridge.metrics.render()).toMatch(/^simcmd_bridge_mqtt_connected 1$/m);
      process.stdout.write(`outage start: ${N} of ${N} webhooks 2xx while the broker was down, ${c.size} of ${N} delivered, each once\n`);
    } finally {
      await rec.close();
      await bridge.close();
      await broker.stop();
    }
  }, 60_000);

  test("a broker host name that does not resolve does not stop the start either", async () => {
    const data = tempDir("outage-dns");
    dirs.push(data);
    const bridge = await startBridge(options(data.dir, "mqtt://broker.invalid:1883", "dns"));
    try {
      const h = await healthz(bridge.url);
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({ ok: true, mqtt: "down" });
      expect(h.body.mqtt_error).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(await signedUplink(bridge.url, account, 1, "d")).toBe(204);
      expect(bridge.outboxDepth()).toBeGreaterThanOrEqual(1);
    } finally {
      await bridge.close({ drain: false });
    }
  });

  test("reconnect attempts back off: each wait about twice the one before (500 ms, 1 s, 2 s)", async () => {
    // A listener that closes every connection at once: each attempt fails, and the port stays ours.
    const attempts: number[] = [];
    let fourth: () => void = () => undefined;
    const four = new Promise<void>((resolve) => (fourth = resolve));
    const server = net.createServer((socket) => {
      attempts.push(Date.now());
      socket.destroy();
      if (attempts.length === 4) fourth();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const data = tempDir("outage-backoff");
    dirs.push(data);
    const bridge = await startBridge(options(data.dir, `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`, "backoff"));
    try {
      await four;
      const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
      // 500, 1000 and 2000 ms, ±20 % jitter (and a little for a busy machine)
      expect(gaps[0]).toBeGreaterThanOrEqual(380);
      expect(gaps[1]).toBeGreaterThanOrEqual(780);
      expect(gaps[2]).toBeGreaterThanOrEqual(1580);
      expect(gaps[1] as number).toBeGreaterThan(gaps[0] as number);
      expect(gaps[2] as number).toBeGreaterThan(gaps[1] as number);
      expect((await healthz(bridge.url)).body).toMatchObject({ ok: true, mqtt: "down" });
    } finally {
      await bridge.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 30_000);

  test("SIGKILLed and restarted while the broker is still down, then the broker returns: 200 of 200 delivered, each exactly once", async () => {
    const instance = "restart";
    const prefix = `outage/${instance}`;
    const topic = `${prefix}/devices/fault-dev/up`;
    const { broker, rec } = await stoppedBrokerWithSubscriber("outage-restart", prefix);
    const data = tempDir("outage-restart");
    dirs.push(data);
    try {
      const first = await spawnBridgeChild(options(data.dir, broker.url, instance));
      const a = await flood(first.url, account, Array.from({ length: 100 }, (_, i) => i), "r");
      expect([...a.values()].filter((s) => s === 204)).toHaveLength(100);
      expect((await healthz(first.url)).body).toMatchObject({ mqtt: "down" });
      first.proc.kill("SIGKILL");
      expect(await first.exited).toEqual([null, "SIGKILL"]);
      expect(gone(first.proc.pid as number)).toBe(true);

      // the supervisor restarts it; the broker is still away
      const second = await spawnBridgeChild(options(data.dir, broker.url, instance));
      const h = await healthz(second.url);
      expect(h.body).toMatchObject({ ok: true, mqtt: "down" });
      expect(h.body.outbox).toBeGreaterThanOrEqual(100); // what the killed process stored is still there
      const b = await flood(second.url, account, Array.from({ length: 100 }, (_, i) => 100 + i), "r");
      expect([...b.values()].filter((s) => s === 204)).toHaveLength(100);

      await broker.restart();
      const c = await allDelivered(rec, topic, (n) => signedUplink(second.url, account, n, "r"), 200, "r");
      const refs = Array.from({ length: 200 }, (_, i) => commandSid(i, "r"));
      expect(refs.filter((r) => c.get(r) !== 1)).toEqual([]);
      expect(c.size).toBe(200);
      // the marker's PUBACK arrived; its row is deleted in the next group commit
      for (let i = 0; i < 1000 && (await healthz(second.url)).body.outbox > 0; i++);
      expect((await healthz(second.url)).body).toMatchObject({ mqtt: "up", outbox: 0 });
      second.proc.kill("SIGTERM");
      expect(await second.exited).toEqual([0, null]);
      process.stdout.write(`outage restart: 100 webhooks before the SIGKILL, 100 after the restart, broker down throughout; ${c.size} of 200 delivered, each once\n`);
    } finally {
      await rec.close();
      await broker.stop();
    }
  }, 60_000);
});
