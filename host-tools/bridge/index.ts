/**
 * The bridge: platform webhooks ⇄ MQTT, with nothing lost.
 *
 *   const bridge = await startBridge({ port: 0, data: "./data", twilio: { baseUrl, accountSid, authToken } });
 *   // → { url, mqttUrl, instance, metrics, close() }
 *
 * `mqtt` absent → an embedded Aedes broker (port `brokerPort`, default 1883, or any free port if taken).
 * A broker that is away does not stop the start: webhooks go to the outbox, and the link keeps reconnecting.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { iso, NodeClock } from "../clock/node-clock.js";
import { normalize, type BridgeOptions } from "./config.js";
import { startBroker, type EmbeddedBroker } from "./broker.js";
import { callbackKey, huaweiCallbackUrl, huaweiToken } from "./callback-token.js";
import { SqliteDeviceStates, type DeviceStates } from "./device-state.js";
import { DownWorker } from "./down-worker.js";
import { outboxEmitter } from "./emit.js";
import { Engine } from "./engine.js";
import { Metrics } from "./metrics.js";
import { MqttLink, type LinkState } from "./mqtt-link.js";
import { Outbox } from "./outbox.js";
import { PgMirror } from "./pg-mirror.js";
import { drainSession } from "./session-drain.js";
import { SessionStore } from "./session-store.js";
import { PlatformHealth } from "./platform-health.js";
import { Platforms } from "./platforms.js";
import { RedisDeviceStates } from "./redis-device-states.js";
import { Store } from "./store.js";
import { buildHttp } from "./webhooks.js";

export interface BridgeHandle {
  /** `http://host:port` of the webhook server. */
  url: string;
  /** The broker the bridge uses (the embedded one's URL when `mqtt` was absent). */
  mqttUrl: string;
  instance: string;
  /** The callback URL to register with the Huawei platform (`{publicUrl}/v1.0.0/messageReceiver/cmd?k=…`). */
  huaweiCallbackUrl: string;
  /** True when downlinks are subscribed as `$share/…`. */
  readonly shared: boolean;
  metrics: Metrics;
  /** Outbox rows not yet PUBACKed. */
  outboxDepth(): number;
  /** The broker connection: up or down, since when, the last error. */
  mqttState(): LinkState;
  /** Resolves true once the outbox is empty (false after `timeoutMs`). */
  drained(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops. Default: stop taking webhooks, let the outbox drain (bounded), publish presence offline, close.
   * `{drain: false}` drops everything at once, as a crash would (what is in SQLite stays there).
   */
  close(o?: { drain?: boolean }): Promise<void>;
}

/**
 * `GET /healthz`: 200 while webhooks are taken (the outbox is open), whatever the broker does — events wait
 * in the outbox while MQTT is down, so a load balancer should keep sending. 503 when the store is closed.
 *
 *   {ok, mqtt: "up"|"down", mqtt_since: ISO 8601, mqtt_error?: string, outbox: rows waiting, instance}
 */
export interface Health {
  ok: boolean;
  mqtt: "up" | "down";
  mqtt_since: string;
  mqtt_error?: string;
  outbox: number;
  instance: string;
}

function health(ok: boolean, m: LinkState, outbox: number, instance: string): Health {
  const h: Health = { ok, mqtt: m.state, mqtt_since: iso(m.since), outbox, instance };
  if (m.state === "down" && m.error !== null) h.mqtt_error = m.error;
  return h;
}

export async function startBridge(options: BridgeOptions = {}): Promise<BridgeHandle> {
  const cfg = normalize(options);
  // unref: the webhook server and the broker link keep the process alive, not a pending retry
  const clock = options.clock ?? new NodeClock({ unref: true });
  const log = options.log ?? (() => undefined);
  const redis = cfg.redis ? new Redis(cfg.redis, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  // bounded waits: a webhook's answer waits for the copy, which gives up after this (the event is then in this instance's file only)
  const pool = cfg.postgres ? new pg.Pool({ connectionString: cfg.postgres, max: 4, connectionTimeoutMillis: 5000, query_timeout: 5000 }) : null;
  let broker: EmbeddedBroker | null = null;
  let link: MqttLink | null = null;
  let publicUrl = cfg.publicUrl;
  /** A QoS 1 publish outside the outbox (device state with Redis, rows taken over); resolves on its PUBACK. */
  const publishQos1 = (topic: string, payload: string, retain: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!link?.connected) reject(new Error("the broker is not connected"));
      else link.publishDirect(topic, payload, retain, (err) => (err ? reject(err) : resolve()));
    });
  const publishRetained = (topic: string, payload: string): Promise<void> => publishQos1(topic, payload, true);

  // The parts of the bridge, each given what it uses; this is the one place that connects them.
  const store = new Store(cfg.data, cfg.durability, { onOutboxCommitted: () => outbox.kick() });
  const metrics = new Metrics();
  const emit = outboxEmitter({ store, metrics, clock, log });
  // One instance: state in its SQLite file, published through its outbox. Several (Redis): decided in Redis,
  // published retained straight to the broker (what Redis holds, checked after each PUBACK).
  const states: DeviceStates = redis
    ? new RedisDeviceStates({
        redis, prefix: cfg.prefix, clock, noCommMs: cfg.noCommunication * 1000, publish: publishRetained, repairAfterMs: cfg.cluster.stateRepair,
        onError: (what, e) => {
          metrics.inc("simcmd_bridge_platform_errors_total", { platform: "redis", class: "state" });
          log(`${what}: ${e.message}`);
        },
      })
    : new SqliteDeviceStates(store, emit, cfg.prefix, clock, cfg.noCommunication * 1000);
  const platformHealth = new PlatformHealth(emit, (f) => (store.open ? store.tx(f) : undefined), cfg.prefix, cfg.instance, clock);
  const mirror = pool
    ? new PgMirror({
        pool, schema: cfg.cluster.schema, instance: cfg.instance, store, clock, leaseMs: cfg.cluster.lease, log,
        publish: (topic, payload, retain) => publishQos1(topic, payload, retain),
        tookOver: (_dead, rows) => metrics.inc("simcmd_bridge_takeover_rows_total", {}, rows),
        // the link is made after the mirror's start; a claim before it is given back and taken again later
        endSession: (dead) =>
          link === null
            ? Promise.reject(new Error("not connected to the broker yet"))
            : drainSession({ ...link.broker, cfg, instance: dead, clock, onMessage: (t, p, dup) => engine.onMqttMessage(t, p, dup) }),
      })
    : null;
  const engine = new Engine({ cfg, store, metrics, clock, emit, states, redis, log, downlinkStored: () => worker.kick(), shipped: mirror ? () => mirror.shipped() : null });
  const outbox = new Outbox(store, () => link, metrics, cfg.inflight, {
    clock, log,
    remove: async (seqs) => {
      await engine.removeAcked(seqs);
      mirror?.removed(seqs);
    },
  });
  const platforms = new Platforms(cfg, clock, (platform, err) => platformHealth.observe(platform, err));
  const worker = new DownWorker({
    store, advance: (...a) => engine.advance(...a), seen: (device) => states.seen(device), metrics, platforms, clock,
    publicUrl: () => publicUrl ?? "", policy: cfg, callbackKey: callbackKey(cfg), huaweiToken: huaweiToken(cfg),
  });

  metrics.gauge("simcmd_bridge_outbox_depth", "Outbox rows waiting for a PUBACK", () => outbox.depth());
  metrics.gauge("simcmd_bridge_mqtt_connected", "1 while connected to the broker", () => (link?.connected ? 1 : 0));
  const startedAt = clock.now();
  const mqttState = (): LinkState => link?.state ?? { state: "down", since: startedAt, error: null };
  metrics.gauge("simcmd_bridge_mqtt_state_since_seconds", "When the broker connection last went up or down (Unix time, seconds)", () => mqttState().since / 1000);
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    if (redis) {
      redis.on("error", (e: Error) => log(`redis: ${e.message}`));
      await redis.connect();
      cleanup.push(() => void redis.disconnect());
    }
    if (pool && mirror) {
      pool.on("error", (e: Error) => log(`postgres: ${e.message}`));
      cleanup.push(() => pool.end());
      await mirror.start();
      cleanup.push(() => mirror.stop());
    }
    const app = buildHttp({
      cfg,
      engine,
      metrics,
      publicUrl: () => publicUrl,
      health: () => {
        // rows waiting with no PUBACK for outboxStuckAfter: the bridge is not delivering (reported apart from the connection)
        const stuck = outbox.stuck(cfg.outboxStuckAfter * 1000);
        // fenced: another instance took this one's rows over; the load balancer must stop sending here
        return { ...health(store.open && stuck === null && !mirror?.fenced, mqttState(), outbox.depth(), cfg.instance), outbox_stuck: stuck };
      },
    });
    await app.listen({ port: cfg.port, host: cfg.host });
    cleanup.push(() => app.close());
    const addr = app.server.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : cfg.port;
    const shownHost = cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host === "0.0.0.0" ? "127.0.0.1" : cfg.host;
    const url = `http://${shownHost}:${port}`;
    publicUrl ??= url;

    let mqttUrl = cfg.mqtt;
    if (mqttUrl === null) {
      broker = await startBroker({ port: cfg.brokerPort, host: cfg.brokerHost, fallback: true });
      cleanup.push(() => broker?.close());
      mqttUrl = broker.url;
      if (broker.port !== cfg.brokerPort && cfg.brokerPort !== 0) log(`embedded broker: port ${cfg.brokerPort} is taken, using ${broker.port}`);
    }
    link = new MqttLink({
      url: mqttUrl,
      protocolVersion: broker ? 4 : cfg.mqttVersion,
      cfg,
      log,
      clock,
      onMessage: (t, p, dup) => engine.onMqttMessage(t, p, dup),
      onConnect: () => outbox.reconnected(),
      onClose: (reason) => outbox.disconnected(reason),
      session: cfg.qos === 2 ? new SessionStore(store) : null,
      resumed: (seq, kind) => outbox.adopt(seq, kind),
    });
    const l = link;
    // Webhooks have been taken since app.listen, whatever the broker does; only a broker that refuses us for
    // good (credentials, certificate) stops the start.
    await l.started();
    states.start();
    worker.kick();
    let closed = false;
    return {
      url,
      mqttUrl,
      instance: cfg.instance,
      huaweiCallbackUrl: huaweiCallbackUrl(publicUrl, cfg),
      get shared() {
        return l.sharedInUse;
      },
      metrics,
      outboxDepth: () => outbox.depth(),
      mqttState,
      drained: (timeoutMs = 10_000) => outbox.drained(timeoutMs),
      close: async (o = {}) => {
        if (closed) return;
        closed = true;
        const drain = o.drain ?? true;
        if (drain) {
          await app.close();
          await worker.idle(5000);
          await outbox.drained(5000);
        } else app.server.closeAllConnections();
        worker.stop();
        states.stop();
        if (drain) await states.settled();
        outbox.stop();
        await l.close(!drain);
        for (const f of cleanup.reverse()) await f();
        engine.flushEvents();
        store.close();
      },
    };
  } catch (e) {
    await link?.close(true);
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
    store.close();
    throw e;
  }
}

export { normalize, mergeSources, readConfigFile, ConfigError, type BridgeOptions, type BridgeConfig } from "./config.js";
export { startBroker, type EmbeddedBroker } from "./broker.js";
export { BrokerRefusedError, type LinkState } from "./mqtt-link.js";
export { huaweiCallbackUrl, HUAWEI_NA_PATH } from "./callback-token.js";
export { OPTION_SPECS, optionsHelp } from "./options.js";
