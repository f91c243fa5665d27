/**
 * Ends a dead instance's broker session after handing the downlinks queued in it to this instance.
 *
 * A broker keeps giving a shared subscription's messages to a member whose session outlives its connection
 * (Mosquitto 2 and EMQX queue them in the offline session, in turn with the live members), so an instance
 * that died for good would keep taking its share of the downlinks, never sent, until its session expired
 * (`sessionExpiry`, 7 days by default). The survivor that took the instance over (pg-mirror.ts) therefore:
 *
 * 1. connects with the dead instance's client id and `clean: false`: its session, and what it queued, comes back
 *    (QoS 1 messages sent to the dead instance without a PUBACK are sent again);
 * 2. unsubscribes the session's downlink and state filters at once: the broker gives it nothing more;
 * 3. hands each downlink that arrives to `onMessage` before its PUBACK, as MqttLink does (state requests are
 *    acknowledged and dropped: every instance's own session gets those);
 * 4. once none has come for `quietMs`, disconnects with MQTT 5 session expiry 0: the session ends.
 *
 * Anything that fails leaves the session at the broker (with what it still holds) and rejects: the takeover is
 * tried again. The instance itself coming back takes its client id over, which also ends the drain.
 */
import mqtt, { type IPublishPacket } from "mqtt";
import { tcpNoDelay } from "../mqtt/no-delay.js";
import type { Clock } from "../../firmware/hal/clock.js";
import type { BridgeConfig } from "./config.js";
import { clientIdOf, credentials, CONNECT_TIMEOUT_MS, downFilter, stateSetFilter } from "./mqtt-link.js";

/** With no message for this long after the unsubscribe, the session holds nothing more, ms. */
export const DRAIN_QUIET_MS = 500;
/** A drain that has not gone quiet after this long stops (the session is kept, the takeover tried again), ms. */
export const DRAIN_MAX_MS = 60_000;

export interface DrainOptions {
  url: string;
  protocolVersion: 4 | 5;
  cfg: BridgeConfig;
  /** The dead instance (its `instance` name). */
  instance: string;
  /** Called synchronously for each downlink, before it is acknowledged; throwing withholds the PUBACK. */
  onMessage: (topic: string, payload: Buffer, dup: boolean) => void;
  clock: Clock;
  quietMs?: number;
  maxMs?: number;
}

/** Resolves with the number of downlinks handed over once the session has ended; rejects if it could not. */
export function drainSession(o: DrainOptions): Promise<number> {
  const c = o.cfg;
  const quietMs = o.quietMs ?? DRAIN_QUIET_MS;
  const client = tcpNoDelay(
    mqtt.connect(o.url, {
      ...credentials(c),
      clientId: clientIdOf(o.instance),
      clean: false,
      protocolVersion: o.protocolVersion,
      keepalive: c.keepalive,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      resubscribe: false,
      log: () => undefined,
      // the session as it was (its expiry is set to 0 only at the end, so a failed drain keeps it)
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: c.sessionExpiry } } : {}),
    }),
  );
  return new Promise<number>((resolve, reject) => {
    let handed = 0;
    let settled = false;
    let quiet: number | null = null;
    let unsubscribed = false;
    const limit = o.clock.setTimeout(() => fail(new Error(`session of ${o.instance} still sending after ${o.maxMs ?? DRAIN_MAX_MS} ms`)), o.maxMs ?? DRAIN_MAX_MS);
    const finish = (): void => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(limit);
      // MQTT 5: a DISCONNECT may set the expiry of a session that had one to 0, which ends it (OASIS MQTT 5.0
      // §3.14.2.2.2); MQTT 3.1.1 keeps the session, now without subscriptions, until the broker expires it
      const end = o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {};
      client.end(false, end, () => resolve(handed));
    };
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(limit);
      if (quiet !== null) o.clock.clearTimeout(quiet);
      client.end(true, {}, () => reject(e));
    };
    const rearm = (): void => {
      if (!unsubscribed || settled) return;
      if (quiet !== null) o.clock.clearTimeout(quiet);
      quiet = o.clock.setTimeout(finish, quietMs);
    };
    client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void): void => {
      if (packet.topic.endsWith("/down")) {
        try {
          o.onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.dup === true);
          handed++;
        } catch (e) {
          done(e as Error);
          fail(e as Error);
          return;
        }
      }
      done();
      rearm();
    };
    client.once("connect", () => {
      client.unsubscribe([downFilter(c, true), downFilter(c, false), stateSetFilter(c)], (err) => {
        if (err) return fail(err);
        unsubscribed = true;
        rearm();
      });
    });
    client.on("error", (e) => fail(e));
    client.on("close", () => fail(new Error(`connection as ${clientIdOf(o.instance)} closed before its session was drained`)));
  });
}
