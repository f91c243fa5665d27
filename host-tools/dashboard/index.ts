/**
 * The dashboard (`simcmd dev` starts one; docs/dashboard.md): a small operator page over MQTT. It subscribes
 * `{prefix}/#` at QoS 1, keeps the devices and a bounded history of events, streams them to the page over
 * Server-Sent Events, and publishes the page's commands to `{prefix}/devices/{name}/down`. With `cloud` (the
 * mock cloud), it also follows the cloud's events to draw each command's journey, and drives the simulated
 * network and shows the platform's resources for the page.
 *
 *   const dash = await startDashboard({ port: 4012, mqtt: "mqtt://127.0.0.1:1883", prefix: "simcmd/v1", cloud });
 *   // → { url, close() }
 */
import { randomBytes } from "node:crypto";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { tcpNoDelay } from "../mqtt/no-delay.js";
import type { Clock } from "../../firmware/hal/clock.js";
import { iso, NodeClock } from "../clock/node-clock.js";
import { CloudLink, type CloudOptions } from "./cloud-link.js";
import { HttpError } from "./down.js";
import { classify, DeviceTable, EventFeed, parsePayload, type DeviceInfo } from "./feed.js";
import { buildHttp } from "./http.js";
import { JourneyStore } from "./journey.js";
import { SimNetwork } from "./sim-network.js";

export type { DashEvent, DeviceInfo } from "./feed.js";
export type { CloudOptions } from "./cloud-link.js";

export interface DashboardOptions {
  /** HTTP port; 0 = any free port. */
  port: number;
  /** HTTP listen address. Default 127.0.0.1. */
  host?: string;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  mqtt: string;
  /** MQTT topic prefix, e.g. `simcmd/v1`. */
  prefix: string;
  /** Devices to list before anything is heard from them. Default none. */
  devices?: DeviceInfo[];
  /** Broker credentials and other mqtt.js options (client id, TLS …). */
  mqttOptions?: IClientOptions;
  /** Events kept for a page that opens late. Default 200. */
  history?: number;
  /** Open event streams at most. Default 50. */
  maxClients?: number;
  /** How long a command waits for the broker's PUBACK before the answer is 503. Default 5000 ms. */
  publishTimeoutMs?: number;
  /** How long startDashboard waits for the first subscription before resolving anyway. Default 5000 ms. */
  readyTimeoutMs?: number;
  /**
   * Host names the page answers besides IP addresses and `localhost` (e.g. the name of a proxy in front of
   * it). Any other name in `Host` gets 403 (DNS rebinding). Default none.
   */
  allowedHosts?: string[];
  /** A request (headers and body) must arrive within this many ms. Default 10000. */
  requestTimeoutMs?: number;
  /**
   * The mock cloud (`simcmd dev` gives its own): journeys with the platform's and the network's steps, the
   * network controls and the platform view. Its credentials stay on the server. Default none.
   */
  cloud?: CloudOptions;
  /**
   * The time of events and journeys, the streams' heartbeat and the cloud feed's reconnect (Unix ms).
   * Default: host-tools/clock/node-clock.ts. Bounds on waiting for the broker stay in real time.
   */
  clock?: Clock;
}

export interface DashboardHandle {
  /** `http://host:port` of the page. */
  url: string;
  close(): Promise<void>;
}

/** Idle streams get a comment this often (ms), so that proxies keep them open. */
const HEARTBEAT_MS = 15_000;

function check(o: DashboardOptions): void {
  if (typeof o.prefix !== "string" || o.prefix === "" || /[+#]/.test(o.prefix)) throw new TypeError(`"prefix" must be a topic without wildcards, got ${JSON.stringify(o.prefix)}`);
  if (typeof o.mqtt !== "string" || o.mqtt === "") throw new TypeError(`"mqtt" must be a broker URL, got ${JSON.stringify(o.mqtt)}`);
  if (o.allowedHosts !== undefined && (!Array.isArray(o.allowedHosts) || o.allowedHosts.some((h) => typeof h !== "string" || h === "" || /[:/\s]/.test(h))))
    throw new TypeError(`"allowedHosts" must be a list of host names (no port), got ${JSON.stringify(o.allowedHosts)}`);
  if (o.cloud !== undefined && (!/^https?:\/\/[^/]+$/.test(String(o.cloud.url).replace(/\/$/, "")) || typeof o.cloud.accountSid !== "string" || typeof o.cloud.authToken !== "string"))
    throw new TypeError(`"cloud" must be {url: "http://host:port", accountSid, authToken}, got url ${JSON.stringify(o.cloud.url)}`);
  for (const k of ["history", "maxClients", "publishTimeoutMs", "readyTimeoutMs", "requestTimeoutMs"] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new TypeError(`"${k}" must be a positive integer, got ${String(v)}`);
  }
}

export async function startDashboard(o: DashboardOptions): Promise<DashboardHandle> {
  check(o);
  const host = o.host ?? "127.0.0.1";
  const prefix = o.prefix;
  const feed = new EventFeed(o.history ?? 200, o.maxClients ?? 50);
  const devices = new DeviceTable(o.devices ?? []);
  const publishTimeoutMs = o.publishTimeoutMs ?? 5000;
  const clock = o.clock ?? new NodeClock({ unref: true });
  // Seeded from the clock, so that a restarted dashboard does not reuse an id the bridge has seen
  // (the bridge answers a known id with the old result instead of sending again).
  let idSeq = clock.now();

  let client: MqttClient | null = null;
  const connected = (): boolean => client?.connected === true;
  const publish = (topic: string, body: string): Promise<void> => {
    const c = client;
    if (c === null || !c.connected) return Promise.reject(new HttpError(503, "broker_unavailable", `not connected to the MQTT broker (${o.mqtt})`));
    return new Promise((resolve, reject) => {
      // a bound on waiting for the PUBACK (real I/O): real time, whatever the dashboard's clock does
      const timer = setTimeout(
        () => reject(new HttpError(503, "broker_unavailable", `no PUBACK from the broker within ${publishTimeoutMs} ms; it may still deliver the request`)),
        publishTimeoutMs,
      );
      c.publish(topic, body, { qos: 1 }, (err) => {
        clearTimeout(timer);
        if (err) reject(new HttpError(503, "broker_unavailable", `the broker did not take the request: ${err.message}`));
        else resolve();
      });
    });
  };

  // Journeys: the page is told which ones changed (once per turn of the event loop), and fetches them.
  const changed = new Map<string, { device: string; final: boolean }>();
  const journeys = new JourneyStore((id, device, final) => {
    if (changed.size === 0) setImmediate(() => {
      for (const [jid, c] of changed) feed.signal("journey", { id: jid, ...c });
      changed.clear();
    });
    changed.set(id, { device, final: final || changed.get(id)?.final === true });
  }, clock);
  let cloud: { link: CloudLink; sims: SimNetwork } | null = null;
  if (o.cloud !== undefined) {
    let sims: SimNetwork | null = null;
    const link = new CloudLink(
      { ...o.cloud, url: o.cloud.url.replace(/\/$/, "") },
      (e) => {
        journeys.onMock(e);
        sims?.onMockEvent(e);
      },
      (up) => feed.signal("cloud", { connected: up }),
      clock,
    );
    sims = new SimNetwork(link, (what) => feed.signal("network", what));
    cloud = { link, sims };
  }
  // The dashboard's own commands start their journey when it starts publishing them (before the broker has them).
  const publishAndRecord = async (topic: string, body: string): Promise<void> => {
    const t = clock.now();
    await publish(topic, body);
    const req = JSON.parse(body) as Record<string, unknown>;
    journeys.published(topic.slice(prefix.length + "/devices/".length, -"/down".length), String(req["id"]), req, t);
  };

  const app = buildHttp({
    feed, devices, prefix, mqttConnected: connected, publish: publishAndRecord, nextId: () => `dash-${++idSeq}`, listenHost: host,
    allowedHosts: o.allowedHosts ?? [], requestTimeoutMs: o.requestTimeoutMs ?? 10_000, cloud: { journeys, cloud },
  });
  let heartbeat = 0;
  const beat = (): void => {
    heartbeat = clock.setTimeout(() => {
      feed.heartbeat();
      beat();
    }, HEARTBEAT_MS);
  };
  beat();
  const close = async (): Promise<void> => {
    clock.clearTimeout(heartbeat);
    cloud?.link.close();
    feed.closeAll(); // open event streams would keep the HTTP server from closing
    await app.close();
    const c = client;
    if (c !== null) await new Promise<void>((r) => c.end(true, {}, () => r()));
  };
  try {
    await app.listen({ port: o.port, host });
  } catch (e) {
    await close();
    throw e;
  }

  const c = tcpNoDelay(mqtt.connect(o.mqtt, {
    clientId: `simcmd-dashboard-${randomBytes(4).toString("hex")}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: false,
    ...o.mqttOptions,
  }));
  client = c;
  c.on("error", () => undefined); // it reconnects by itself; /healthz and the 503s say when it is down
  c.on("message", (topic, payload, packet) => {
    const k = classify(topic, prefix);
    if (k === null) return;
    const ev = { topic, device: k.device, kind: k.kind, payload: parsePayload(payload), retained: packet.retain, at: iso(clock.now()) };
    devices.observe(ev);
    feed.push(ev);
    journeys.onMqtt(ev);
  });
  // Resolve once subscribed (so a page opened right away has the retained state), or after a bounded wait when
  // the broker is slow or down: the page works without it and says so. Subscribed again on every CONNACK: a
  // clean session starts with none; retained messages come with each subscription.
  await new Promise<void>((resolve) => {
    // a bound on waiting for the broker (real I/O): real time
    const timer = setTimeout(done, o.readyTimeoutMs ?? 5000);
    function done(): void {
      clearTimeout(timer);
      c.off("close", done);
      resolve();
    }
    c.once("close", done);
    c.on("connect", () => c.subscribe(`${prefix}/#`, { qos: 1 }, () => done()));
  });
  if (cloud !== null) {
    cloud.link.start();
    // The configured devices' network state, so that the page has it at once (best effort: the cloud may be late).
    await Promise.all(devices.list().map((d) => cloud.sims.fetch(d.sim_sid ?? d.name).catch(() => undefined)));
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : o.port;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return { url: `http://${shown}:${port}`, close };
}
