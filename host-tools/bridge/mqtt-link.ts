/**
 * The bridge's MQTT connection: one persistent session (clean: false, fixed client id, MQTT 5 session
 * expiry), presence `{prefix}/bridge/{instance}/state` retained `online` with last will `offline`, and the
 * downlink subscriptions — `$share/{group}/…` when the broker offers shared subscriptions — made again on
 * every CONNACK (a persistent session is not a promise the broker kept it; ChirpStack's lesson).
 *
 * Incoming QoS 1 PUBLISHes are acknowledged only after `onMessage` returned: mqtt.js sends the PUBACK when
 * `handleMessage`'s callback runs, and `onMessage` stores the request in SQLite synchronously first.
 */
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient, type IConnackPacket, type IPublishPacket } from "mqtt";
import type { BridgeConfig } from "./config.js";

export interface LinkOptions {
  url: string;
  protocolVersion: 4 | 5;
  cfg: BridgeConfig;
  /** Called synchronously for each incoming message, before it is acknowledged. Throwing withholds the PUBACK. */
  onMessage: (topic: string, payload: Buffer, dup: boolean) => void;
  onConnect: () => void;
  log: (line: string) => void;
}

export class MqttLink {
  readonly client: MqttClient;
  readonly presenceTopic: string;
  sharedInUse = false;
  private closed = false;

  constructor(private readonly o: LinkOptions) {
    const c = o.cfg;
    this.presenceTopic = `${c.prefix}/bridge/${c.instance}/state`;
    const opts: IClientOptions = {
      clientId: `simcmd-bridge-${c.instance}`,
      clean: false,
      protocolVersion: o.protocolVersion,
      keepalive: c.keepalive,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: this.presenceTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
    };
    if (o.protocolVersion === 5) opts.properties = { sessionExpiryInterval: c.sessionExpiry };
    if (c.mqttUsername !== undefined) opts.username = c.mqttUsername;
    if (c.mqttPassword !== undefined) opts.password = c.mqttPassword;
    if (c.mqttCa !== undefined) opts.ca = readFileSync(c.mqttCa);
    if (c.mqttCert !== undefined) opts.cert = readFileSync(c.mqttCert);
    if (c.mqttKey !== undefined) opts.key = readFileSync(c.mqttKey);
    if (c.mqttInsecure) opts.rejectUnauthorized = false;
    this.client = mqtt.connect(o.url, opts);
    this.client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void): void => {
      try {
        o.onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.dup === true);
      } catch (e) {
        o.log(`downlink not stored, not acknowledged: ${(e as Error).message}`);
        done(e as Error);
        return;
      }
      done();
    };
    this.client.on("connect", (connack) => this.onConnack(connack));
    this.client.on("error", (e) => o.log(`mqtt: ${e.message}`));
    this.client.on("offline", () => o.log("mqtt: offline, reconnecting"));
  }

  get connected(): boolean {
    return this.client.connected && !this.closed;
  }

  /** Resolves on the first CONNACK (rejects on a connection refused by the broker, e.g. bad credentials). */
  ready(timeoutMs = 15_000): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => fail(new Error(`no CONNACK from ${this.o.url} within ${timeoutMs} ms`)), timeoutMs);
      const ok = (): void => {
        clearTimeout(t);
        this.client.off("error", fail);
        resolve();
      };
      const fail = (e: Error): void => {
        const code = (e as { code?: unknown }).code;
        const tls = typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/.test(code);
        if (typeof code !== "number" && !tls && !/timeout|refused|not authorized|bad user/i.test(e.message)) return;
        clearTimeout(t);
        this.client.off("connect", ok);
        // a certificate that does not verify will not verify on the next attempt either: say what to set
        reject(tls ? new Error(`TLS to ${this.o.url}: ${e.message} (${String(code)}); set mqttCa to the CA that signed the broker's certificate (mqttInsecure only for testing)`) : e);
      };
      this.client.once("connect", ok);
      this.client.on("error", fail);
    });
  }

  private onConnack(connack: IConnackPacket): void {
    const c = this.o.cfg;
    const offered = this.o.protocolVersion === 5 && connack.properties?.sharedSubscriptionAvailable !== false;
    this.sharedInUse = c.shared === "on" || (c.shared === "auto" && offered);
    const down = `${c.prefix}/devices/+/down`;
    const filter = this.sharedInUse ? `$share/${c.shareGroup}/${down}` : down;
    this.client.subscribe({ [filter]: { qos: 1 }, [`${c.prefix}/devices/+/state/set`]: { qos: 1 } }, (err, granted) => {
      if (err) this.o.log(`mqtt: subscribe failed: ${err.message}`);
      else if (granted?.some((g) => g.qos > 2)) this.o.log(`mqtt: subscription refused: ${JSON.stringify(granted)}`);
    });
    this.client.publish(this.presenceTopic, "online", { qos: 1, retain: true });
    this.o.log(`mqtt: connected (session ${connack.sessionPresent ? "resumed" : "new"}, downlinks on ${filter})`);
    this.o.onConnect();
  }

  publish(topic: string, payload: string, retain: boolean, cb: (err?: Error) => void): void {
    this.client.publish(topic, payload, { qos: 1, retain }, (err) => cb(err ?? undefined));
  }

  /** Graceful: presence `offline`, then disconnect. `force`: drop the connection (a crash, for tests). */
  async close(force = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!force && this.client.connected) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 2000);
        this.client.publish(this.presenceTopic, "offline", { qos: 1, retain: true }, () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await new Promise<void>((r) => this.client.end(force, {}, () => r()));
  }
}
