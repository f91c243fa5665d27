/**
 * The bridge's MQTT connection: one persistent session (clean: false, fixed client id, MQTT 5 session
 * expiry), presence `{prefix}/bridge/{instance}/state` retained `online` with last will `offline`, and the
 * downlink subscriptions — `$share/{group}/…` when the broker offers shared subscriptions — made again on
 * every CONNACK (a persistent session is not a promise the broker kept it; ChirpStack's lesson).
 *
 * Incoming QoS 1 PUBLISHes are acknowledged only after `onMessage` returned: mqtt.js sends the PUBACK when
 * `handleMessage`'s callback runs, and `onMessage` stores the request in SQLite synchronously first.
 *
 * The outbox's publishes go at QoS 1 by default. With `session` (option `qos: 2`) they go at QoS 2 and the
 * session's outgoing state is mqtt.js's outgoing store backed by the outbox (session-store.ts): what was in
 * flight when the process died is sent again under its packet id once connected, before anything new.
 *
 * Reconnecting is scheduled here rather than by mqtt.js's fixed period: after a failed attempt or a lost
 * connection the next attempt waits RECONNECT_FIRST_MS, doubling up to RECONNECT_MAX_MS (±20 %), and starts
 * from the first delay again once connected. The link's state (up or down, since when, the last error) is
 * what /healthz and /metrics report.
 */
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient, type IConnackPacket, type IPublishPacket, type Packet } from "mqtt";
import { tcpNoDelay } from "../mqtt/no-delay.js";
import type { Clock } from "../../firmware/hal/clock.js";
import type { BridgeConfig } from "./config.js";
import type { SessionStore } from "./session-store.js";

/** First reconnect delay after a failed attempt or a lost connection, ms. */
export const RECONNECT_FIRST_MS = 500;
/** Longest reconnect delay, ms. */
export const RECONNECT_MAX_MS = 10_000;
/** One connection attempt (TCP, TLS, CONNACK) gives up after this long, ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * CONNACK codes that refuse our credentials: MQTT 3.1.1 return codes 4 (bad user name or password) and 5
 * (not authorized), OASIS MQTT 3.1.1 §3.2.2.3; MQTT 5 reason codes 0x86 and 0x87, OASIS MQTT 5.0 §3.2.2.2.
 */
const CREDENTIALS_REFUSED = new Set([4, 5, 0x86, 0x87]);
/** Node's and OpenSSL's error codes for a certificate that does not verify or a handshake that cannot work. */
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/;

/** The broker cannot be used as configured (credentials refused, certificate not verified): stops a start. */
export class BrokerRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerRefusedError";
  }
}

/** The connection as /healthz and /metrics report it. */
export interface LinkState {
  state: "up" | "down";
  /** When the link last went up or down, ms since the epoch (down: since the start, or since it was lost). */
  since: number;
  /** While down: the last attempt's error (connection refused, name not resolved, timeout, a refusal). */
  error: string | null;
}

export interface LinkOptions {
  url: string;
  protocolVersion: 4 | 5;
  cfg: BridgeConfig;
  /** Called synchronously for each incoming message, before it is acknowledged. Throwing withholds the PUBACK. */
  onMessage: (topic: string, payload: Buffer, dup: boolean) => void;
  onConnect: () => void;
  /**
   * The connection closed; `reasonCode`: the broker's MQTT 5 DISCONNECT reason, if it sent one. Called before
   * the messages in flight are given back (their callbacks fail with "Message removed"), so that the outbox
   * can tell which were in flight; it publishes them again itself after the reconnect.
   */
  onClose?: (reasonCode: number | null) => void;
  log: (line: string) => void;
  /** The bridge's clock: the reconnect backoff and the times of the link's state. */
  clock: Clock;
  /** Publish at QoS 2 with the session's outgoing state in the outbox; absent: QoS 1, the session in memory. */
  session?: SessionStore | null;
  /**
   * QoS 2: for each outbox row the session held at the start (a restart), the callback its completion is
   * reported to (as `publish`'s); asked before the first CONNACK, which sends those rows again.
   */
  resumed?: (seq: number, kind: string) => (err?: Error) => void;
}

export class MqttLink {
  readonly client: MqttClient;
  readonly presenceTopic: string;
  sharedInUse = false;
  private closed = false;
  private current: LinkState;
  /** Failed attempts in a row: the backoff's exponent. */
  private failures = 0;
  private retryTimer: number | null = null;
  /** The error of the attempt under way; reported when its connection closes. */
  private attemptError: Error | null = null;
  private readonly firstOutcome: Promise<void>;
  /** Callbacks of the outbox's publishes still waiting for their PUBACK. */
  private readonly pending = new Set<(err?: Error | null) => void>();
  private disconnectReason: number | null = null;
  private readonly session: SessionStore | null;

  constructor(private readonly o: LinkOptions) {
    this.session = o.session ?? null;
    this.current = { state: "down", since: o.clock.now(), error: null };
    const c = o.cfg;
    this.presenceTopic = `${c.prefix}/bridge/${c.instance}/state`;
    const opts: IClientOptions = {
      clientId: clientIdOf(c.instance),
      clean: false,
      protocolVersion: o.protocolVersion,
      keepalive: c.keepalive,
      reconnectPeriod: 0, // reconnects are scheduled by onClose, with backoff
      connectTimeout: CONNECT_TIMEOUT_MS,
      resubscribe: false,
      queueQoSZero: false,
      // The keepalive PINGREQ goes every keepalive period even while packets flow: mqtt.js would otherwise
      // clear and set its keepalive timer again for every packet sent (a timer per outbox publish).
      reschedulePings: false,
      will: { topic: this.presenceTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
    };
    // mqtt.js's own debug log (the `debug` package, on with DEBUG=mqttjs*) is asked whether it is on at each
    // packet; with DEBUG unset nothing can turn it on, so it is not asked.
    if ((process.env.DEBUG ?? "") === "") opts.log = () => undefined;
    if (o.protocolVersion === 5) opts.properties = { sessionExpiryInterval: c.sessionExpiry };
    Object.assign(opts, credentials(c));
    if (this.session !== null) {
      opts.outgoingStore = this.session;
      opts.messageIdProvider = this.session.ids;
      // not stored, so not sent: the outbox gets the publish back (its callback fails) and tries it again later
      this.session.onLost = (mid) => this.client.removeOutgoingMessage(mid);
    }
    this.client = tcpNoDelay(mqtt.connect(o.url, opts));
    // before the CONNACK (it comes in a later turn): the rows the session held get their callbacks, which
    // mqtt.js keeps when it sends them again from the store
    for (const r of this.session?.resumed ?? []) {
      const cb = o.resumed?.(r.seq, r.kind) ?? (() => undefined);
      this.client.outgoing[r.mid] = { volatile: false, cmd: r.rel === 1 ? "pubrel" : "publish", cb: (err, packet) => cb(completed(err, packet)) };
    }
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
    // The first attempt's outcome: connected, or failed in a way a retry may mend (the broker is not there
    // yet) → resolve; refused for good (credentials, certificate) → reject.
    this.firstOutcome = new Promise<void>((resolve, reject) => {
      const settle = (e: Error | null): void => {
        this.client.off("connect", onConnect);
        this.client.off("close", onClose);
        const refused = e === null ? null : refusedForGood(e, o.url);
        if (refused !== null) reject(new BrokerRefusedError(refused, { cause: e }));
        else resolve();
      };
      const onConnect = (): void => settle(null);
      const onClose = (): void => settle(this.attemptError);
      this.client.once("connect", onConnect);
      this.client.once("close", onClose);
    });
    this.firstOutcome.catch(() => undefined); // observed through started()
    this.client.on("connect", (connack) => this.onConnack(connack));
    this.client.on("error", (e) => {
      this.attemptError = e;
      o.log(`mqtt: ${describe(e, o.url)}`);
    });
    this.client.on("disconnect", (packet) => {
      this.disconnectReason = typeof packet.reasonCode === "number" ? packet.reasonCode : null;
    });
    this.client.on("close", () => this.onClose());
  }

  /** The broker's URL and the MQTT version the link speaks (a takeover connects the same way). */
  get broker(): { url: string; protocolVersion: 4 | 5 } {
    return { url: this.o.url, protocolVersion: this.o.protocolVersion };
  }

  /** Connected, and what the session held has been sent again (mqtt.js emits `connect` after that). */
  get connected(): boolean {
    return this.client.connected && this.current.state === "up" && !this.closed;
  }

  /** Up or down, since when, and the last error. */
  get state(): LinkState {
    return { ...this.current };
  }

  /**
   * Resolves once the first connection attempt has an outcome: connected, or not connected (connection
   * refused, a name that does not resolve, no CONNACK within CONNECT_TIMEOUT_MS) and retrying with backoff.
   * Rejects with a BrokerRefusedError when the broker refuses our credentials or its certificate does not
   * verify: retrying would not mend either.
   */
  started(): Promise<void> {
    return this.firstOutcome;
  }

  private onConnack(connack: IConnackPacket): void {
    const c = this.o.cfg;
    const offered = this.o.protocolVersion === 5 && connack.properties?.sharedSubscriptionAvailable !== false;
    this.sharedInUse = c.shared === "on" || (c.shared === "auto" && offered);
    const filter = downFilter(c, this.sharedInUse);
    this.client.subscribe({ [filter]: { qos: 1 }, [stateSetFilter(c)]: { qos: 1 } }, (err, granted) => {
      if (err) this.o.log(`mqtt: subscribe failed: ${err.message}`);
      else if (granted?.some((g) => g.qos > 2)) this.o.log(`mqtt: subscription refused: ${JSON.stringify(granted)}`);
    });
    this.client.publish(this.presenceTopic, "online", { qos: 1, retain: true });
    this.failures = 0;
    this.current = { state: "up", since: this.o.clock.now(), error: null };
    this.o.log(`mqtt: connected (session ${connack.sessionPresent ? "resumed" : "new"}, downlinks on ${filter})`);
    this.o.onConnect();
  }

  /** Each closed connection or failed attempt: note why, and schedule the next attempt. */
  private onClose(): void {
    const reason = this.disconnectReason;
    this.disconnectReason = null;
    if (!this.closed) {
      // the outbox learns what was in flight, then takes it back at QoS 1 (see withdraw); at QoS 2 it stays
      // in the session, to be sent again under the same packet ids
      this.o.onClose?.(reason);
      if (this.session === null) this.withdraw();
    }
    if (this.current.state === "up") {
      this.current = { state: "down", since: this.o.clock.now(), error: null };
      if (!this.closed) this.o.log("mqtt: connection lost, reconnecting");
    }
    if (this.attemptError !== null) this.current.error = describe(this.attemptError, this.o.url);
    this.attemptError = null;
    if (this.closed || this.retryTimer !== null) return;
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(this.failures, 16));
    this.failures++;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      // Keep the session's in-flight packets: reconnect() would otherwise start over with empty stores.
      this.client.reconnect({ incomingStore: this.client.incomingStore, outgoingStore: this.client.outgoingStore });
    }, Math.round(base * (0.8 + 0.4 * Math.random())));
  }

  /** Publishes outbox row `seq`; `cb` once the broker has it (PUBACK or PUBCOMP), or with why not. */
  publish(seq: number, topic: string, payload: string, retain: boolean, cb: (err?: Error) => void): void {
    const session = this.session;
    if (session !== null) {
      session.stage(seq);
      this.client.publish(topic, payload, { qos: 2, retain }, (err, packet) => {
        session.unstage(seq);
        cb(completed(err, packet));
      });
      return;
    }
    const done = (err?: Error | null): void => {
      this.pending.delete(done);
      cb(err ?? undefined);
    };
    this.pending.add(done);
    this.client.publish(topic, payload, { qos: 1, retain }, done);
  }

  /**
   * A QoS 1 publish that is not an outbox row (device state decided in Redis, rows taken over from a dead
   * instance): `cb` on its PUBACK, or with why not. Its caller keeps the truth and publishes again if needed.
   */
  publishDirect(topic: string, payload: string, retain: boolean, cb: (err?: Error) => void): void {
    this.client.publish(topic, payload, { qos: 1, retain }, (err) => cb(err ?? undefined));
  }

  /** QoS 2: these outbox rows are deleted (acknowledged and deleted): their packet ids may be given again. */
  released(seqs: Iterable<number>): void {
    this.session?.release(seqs);
  }

  /** QoS 2: takes row `seq` out of the session (it is dead-lettered; mqtt.js would send it again) and frees its id. */
  forget(seq: number): void {
    const mid = this.session?.packetId(seq);
    if (mid === undefined) return;
    if (this.client.outgoing[mid] !== undefined) this.client.removeOutgoingMessage(mid);
    this.session?.release([seq]);
  }

  /**
   * Takes the outbox's publishes in flight back from mqtt.js, whose session store would otherwise send them
   * first again on the reconnect — the same message that made the broker close the connection, each time.
   */
  private withdraw(): void {
    const outgoing = this.client.outgoing as Record<string, { cb?: unknown } | undefined>;
    for (const [id, o] of Object.entries(outgoing)) {
      if (o === undefined || !this.pending.has(o.cb as (err?: Error | null) => void)) continue;
      this.client.removeOutgoingMessage(Number(id));
    }
  }

  /** Graceful: presence `offline`, then disconnect. `force`: drop the connection (a crash, for tests). */
  async close(force = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== null) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!force && this.client.connected) {
      await new Promise<void>((r) => {
        // a bound on waiting for the broker's PUBACK (real I/O): real time, whatever the injected clock does
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

/**
 * A publish's outcome. A PUBCOMP answers our PUBREL, which goes only after the broker's PUBREC: the broker
 * has the message whatever the PUBCOMP says (MQTT 5 0x92 "packet identifier not found" after a restart in
 * which our PUBREL had already been taken, OASIS MQTT 5.0 §3.7.2.1).
 */
function completed(err: Error | null | undefined, packet?: Packet): Error | undefined {
  return err && packet?.cmd !== "pubcomp" ? err : undefined;
}

/** The MQTT client id of an instance: its persistent session at the broker. */
export function clientIdOf(instance: string): string {
  return `simcmd-bridge-${instance}`;
}

/** The downlink subscription: `$share/<shareGroup>/…` when shared, so that each request goes to one instance. */
export function downFilter(c: BridgeConfig, shared: boolean): string {
  const down = `${c.prefix}/devices/+/down`;
  return shared ? `$share/${c.shareGroup}/${down}` : down;
}

/** The operators' device state requests (every instance subscribes: Redis decides once). */
export function stateSetFilter(c: BridgeConfig): string {
  return `${c.prefix}/devices/+/state/set`;
}

/** The broker connection's credentials and TLS settings, as configured (every connection the bridge makes). */
export function credentials(c: BridgeConfig): IClientOptions {
  const opts: IClientOptions = {};
  if (c.mqttUsername !== undefined) opts.username = c.mqttUsername;
  if (c.mqttPassword !== undefined) opts.password = c.mqttPassword;
  if (c.mqttCa !== undefined) opts.ca = readFileSync(c.mqttCa);
  if (c.mqttCert !== undefined) opts.cert = readFileSync(c.mqttCert);
  if (c.mqttKey !== undefined) opts.key = readFileSync(c.mqttKey);
  if (c.mqttInsecure) opts.rejectUnauthorized = false;
  return opts;
}

/** The message a start fails with when retrying cannot mend `e`; null when it can. */
function refusedForGood(e: Error, url: string): string | null {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "number" && CREDENTIALS_REFUSED.has(code)) return `${url}: ${e.message}`;
  if (typeof code === "string" && TLS_FAILURE.test(code)) return describe(e, url);
  return null;
}

/** One line for the log and /healthz; for a certificate, what to set. */
function describe(e: Error, url: string): string {
  const code = (e as { code?: unknown }).code;
  // a certificate that does not verify will not verify on the next attempt either: say what to set
  if (typeof code === "string" && TLS_FAILURE.test(code)) {
    return `TLS to ${url}: ${e.message} (${code}); set mqttCa to the CA that signed the broker's certificate (mqttInsecure only for testing)`;
  }
  return e.message;
}
