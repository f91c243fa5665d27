/**
 * The bridge's core: turns webhook events into outbox rows (uplinks, down/<status>, device state) in one
 * SQLite transaction each, with dedupe of platform retries (local table, or shared through Redis), and takes
 * downlink requests from MQTT (stored before the PUBACK).
 */
import type { Redis } from "ioredis";
import type { Clock } from "../../firmware/hal/clock.js";
import { iso } from "../clock/node-clock.js";
import type { BridgeConfig } from "./config.js";
import { readUplink } from "./decode.js";
import type { DeviceStates } from "./device-state.js";
import { movesForward, type DownEventStatus } from "./downlink-status.js";
import { Rejection, parseRequest, peekId } from "./down-request.js";
import type { Emit } from "./emit.js";
import { GroupCommit } from "./group-commit.js";
import type { Metrics } from "./metrics.js";
import type { DownlinkRow, Store } from "./store.js";
import { deviceTopic, parseDeviceLevel } from "./topics.js";
import type { BridgeEvent, StatusEvent, UpEvent } from "./uplink.js";

/** A webhook event for the batch; `claimedElsewhere`: another instance publishes it (Redis said so). */
interface Ingest {
  ev: BridgeEvent;
  claimedElsewhere: boolean;
}

/** Outbox rows whose PUBACK arrived, deleted in the batch with the events of the same turn. */
interface Acked {
  acked: number[];
}

export interface EngineDeps {
  cfg: BridgeConfig;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  /** Writes MQTT messages to the outbox (emit.ts). */
  emit: Emit;
  states: DeviceStates;
  /** Shared webhook dedupe; null: the local table only. */
  redis: Redis | null;
  log: (line: string) => void;
  /** Called after a downlink request is stored (the bridge wakes its downlink worker). */
  downlinkStored: () => void;
  /**
   * With PostgreSQL: resolves once the outbox rows committed so far are copied there (PgMirror.shipped), so
   * a webhook is answered only when a survivor could publish its event. Null: one instance's file only.
   */
  shipped?: (() => Promise<void>) | null;
}

/** Another instance is storing this webhook event right now: answered 503, so the platform retries later. */
export class StoringElsewhere extends Error {
  override name = "StoringElsewhere";
}

export class Engine {
  private readonly cfg: BridgeConfig;
  private readonly store: Store;
  private readonly metrics: Metrics;
  private readonly clock: Clock;
  private readonly emit: Emit;
  private readonly states: DeviceStates;
  private readonly redis: Redis | null;
  private readonly log: (line: string) => void;
  private readonly downlinkStored: () => void;
  private readonly shipped: (() => Promise<void>) | null;
  /** Webhook events of one event-loop turn share one transaction (group commit), with the outbox's deletes. */
  private readonly events: GroupCommit<Ingest | Acked, boolean>;

  constructor(d: EngineDeps) {
    this.cfg = d.cfg;
    this.store = d.store;
    this.metrics = d.metrics;
    this.clock = d.clock;
    this.emit = d.emit;
    this.states = d.states;
    this.redis = d.redis;
    this.log = d.log;
    this.downlinkStored = d.downlinkStored;
    this.shipped = d.shipped ?? null;
    // the outbox pump learns of committed rows from the store (Store.onOutboxCommitted): nothing to tell here
    this.events = new GroupCommit(d.store, (it) => ("acked" in it ? this.deleteAcked(it.acked) : this.apply(it)));
  }

  /** Deletes PUBACKed outbox rows in the batch of this turn's webhook events; resolves once committed. */
  async removeAcked(seqs: number[]): Promise<void> {
    await this.events.submit({ acked: seqs });
  }

  private deleteAcked(seqs: number[]): boolean {
    this.store.deleteOutbox(seqs);
    return true;
  }

  /** Commits the events waiting for the end of this turn (before a close). */
  flushEvents(): void {
    this.events.flush();
  }

  /**
   * One event inside the batch transaction; false when it was seen before (a platform retry). An event
   * another instance claimed (Redis) is only recorded: in the batch, so it cannot overtake this instance's
   * own copy still waiting in the same batch.
   */
  private apply({ ev, claimedElsewhere }: Ingest): boolean {
    if (!this.store.markSeen(ev.key, this.clock.now()) || claimedElsewhere) return false;
    if (ev.kind === "up") this.applyUp(ev);
    else this.applyStatus(ev);
    return true;
  }

  /** Publishes `down/<status>` for a request (row may be null: a platform event the bridge did not send); returns the payload. */
  downEvent(device: string, id: string | null, ref: string | null, status: DownEventStatus, extra: Record<string, unknown> = {}): string {
    return this.emit(deviceTopic(this.cfg.prefix, device, `down/${status}`), { id, platform_ref: ref, status, at: iso(this.clock.now()), ...extra }, false, `down/${status}`);
  }

  /**
   * Moves a stored downlink to `status` if that is forward; publishes the event. Returns false if it was not
   * forward. A failure is the device's fault unless `deviceFault` is false (the platform's problem).
   */
  advance(row: DownlinkRow, status: DownEventStatus, extra: Record<string, unknown> = {}, ref: string | null = row.platform_ref, deviceFault = true): boolean {
    if (!movesForward(row.status, status)) return false;
    const event = this.downEvent(row.device, row.id, ref, status, extra);
    this.store.updateDownlink(row.rowid, { status, platform_ref: ref, next_ms: null, last_event: event }, this.clock.now());
    if (status === "failed" && deviceFault) {
      const code = (extra.error as { code?: unknown } | undefined)?.code;
      this.states.failed(row.device, `delivery of ${row.id} failed${code !== undefined && code !== null ? ` (${String(code)})` : ""}`, code === 83401);
    } else if (status === "succeeded" || status === "delivered") this.states.succeeded(row.device);
    return true;
  }

  /**
   * A request published again by the backend (not a broker redelivery: DUP is clear) with an id and body the
   * bridge has: the command is not sent twice (the agent would only answer from its record); the last
   * event is published again, marked `repeat: true`, so the caller gets its answer. Nothing yet: the
   * events on their way answer it.
   */
  private repeated(row: DownlinkRow): void {
    if (row.last_event === null) return;
    const last = JSON.parse(row.last_event) as { status: DownEventStatus };
    this.emit(deviceTopic(this.cfg.prefix, row.device, `down/${last.status}`), { ...last, repeat: true }, false, `down/${last.status}`);
  }

  /**
   * Stores one webhook event durably (or recognises it as a platform retry). Resolves once committed (with the
   * other events of this turn: group commit).
   * Throws when it could not be stored (the webhook must then answer 5xx so the platform retries).
   */
  async ingest(ev: BridgeEvent, route: string): Promise<"stored" | "duplicate"> {
    let claimed = false;
    let elsewhere = false;
    const key = `simcmd:bridge:dedupe:${ev.key}`;
    if (this.redis) {
      try {
        // A claim first holds for cluster.lease only: if this instance dies before its commit, the platform's
        // retry is refused (503) until then and taken by another instance after, never dropped as a duplicate.
        const r = await this.redis.set(key, `storing:${this.cfg.instance}`, "PX", this.cfg.cluster.lease, "NX");
        if (r === null) {
          const holder = await this.redis.get(key);
          if (holder?.startsWith("storing:") && holder !== `storing:${this.cfg.instance}`) {
            this.metrics.inc("simcmd_bridge_rejects_total", { reason: "storing_elsewhere", route });
            throw new StoringElsewhere(`another instance (${holder.slice(8)}) is storing this event; retry later`);
          }
          // this instance's own claim: its local dedupe record decides (in the same batch, if any)
          elsewhere = holder !== null && !holder.endsWith(`:${this.cfg.instance}`);
        } else claimed = true;
      } catch (e) {
        if (e instanceof StoringElsewhere) throw e;
        this.metrics.inc("simcmd_bridge_platform_errors_total", { platform: "redis", class: "unavailable" });
        this.log(`redis dedupe unavailable, local dedupe only: ${(e as Error).message}`);
      }
    }
    try {
      const fresh = await this.events.submit({ ev, claimedElsewhere: elsewhere });
      await this.copied();
      if (claimed) await this.redis?.set(key, `stored:${this.cfg.instance}`, "EX", this.cfg.dedupeTtl).catch(() => undefined);
      if (!fresh) {
        this.metrics.inc("simcmd_bridge_duplicates_total", { route, scope: elsewhere ? "redis" : "local" });
        return "duplicate";
      }
      this.metrics.inc("simcmd_bridge_events_in_total", { route });
      return "stored";
    } catch (e) {
      if (claimed) await this.redis?.del(key).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Waits for the copy to PostgreSQL. If it is down the event stays answered from this instance's file alone
   * (counted, logged): published by this instance, and copied when PostgreSQL is back.
   */
  private async copied(): Promise<void> {
    if (!this.shipped) return;
    try {
      await this.shipped();
    } catch (e) {
      this.metrics.inc("simcmd_bridge_platform_errors_total", { platform: "postgres", class: "unavailable" });
      this.log(`postgres: outbox copy failed, this instance's file only until it is back: ${(e as Error).message}`);
    }
  }

  private applyUp(ev: UpEvent): void {
    const { decoded, reply } = readUplink(ev.payload, ev.payload_type);
    const up: Record<string, unknown> = {
      device: ev.device, sim_sid: ev.sim_sid, platform: ev.platform, transport: ev.transport, platform_ref: ev.platform_ref,
      received_at: iso(this.clock.now()), payload_type: ev.payload_type, payload: ev.payload,
    };
    if (ev.from !== undefined) {
      up.from = ev.from;
      up.to = ev.to ?? null;
    }
    if (decoded !== undefined) up.decoded = decoded;
    if (reply) up.reply = { id: reply.id, ok: reply.ok, [reply.ok ? "result" : "error"]: reply.value };
    this.emit(deviceTopic(this.cfg.prefix, ev.device, "up"), up, false, "up");
    this.states.uplink(ev.device, ev.platform, ev.sim_sid);
    if (!reply) return;
    const row = this.store.downlink(ev.device, reply.id) ?? this.byRef(reply.id, ev.device);
    const extra = reply.ok ? { result: reply.value, reply_ref: ev.platform_ref } : { error: { code: "device", message: String(reply.value) }, reply_ref: ev.platform_ref };
    if (row) {
      this.advance(row, reply.ok ? "succeeded" : "failed", extra);
      return;
    }
    // Sent by another instance (shared subscription): the reply's id is the caller's correlation id.
    this.downEvent(ev.device, reply.id, null, reply.ok ? "succeeded" : "failed", extra);
    if (reply.ok) this.states.succeeded(ev.device);
    else this.states.failed(ev.device, `command ${reply.id} failed on the device`, false);
  }

  private byRef(ref: string, device: string): DownlinkRow | undefined {
    const r = this.store.downlinkByRef(ref);
    return r && r.device === device ? r : undefined;
  }

  private applyStatus(ev: StatusEvent): void {
    let row = ev.dl !== null ? this.store.downlinkByRow(ev.dl) : undefined;
    if (row && row.platform_ref !== null && row.platform_ref !== ev.platform_ref) row = undefined;
    row ??= this.store.downlinkByRef(ev.platform_ref);
    const extra: Record<string, unknown> = { platform_status: ev.raw_status };
    if (ev.error) extra.error = ev.error;
    if (ev.result !== undefined) extra.result = ev.result;
    if (row) {
      this.advance(row, ev.status, extra, ev.platform_ref);
      return;
    }
    if (ev.device === null) return;
    this.downEvent(ev.device, ev.id, ev.platform_ref, ev.status, extra);
    if (ev.status === "failed") {
      const code = ev.error?.code;
      this.states.failed(ev.device, `delivery of ${ev.platform_ref} failed`, code === 83401);
    }
  }

  /** An MQTT message on `{prefix}/devices/{device}/down` or `…/state/set`; runs before its PUBACK. */
  onMqttMessage(topic: string, payload: Buffer, dup = false): void {
    const base = `${this.cfg.prefix}/devices/`;
    if (!topic.startsWith(base)) return;
    const rest = topic.slice(base.length).split("/");
    const level = rest[0] ?? "";
    if (level === "") return;
    const device = parseDeviceLevel(level);
    if (device === null) {
      // not the topic level of any device name (topics.ts): answered on the level it came on
      this.metrics.inc("simcmd_bridge_rejects_total", { reason: "bad_topic" });
      if (rest.length === 2 && rest[1] === "down")
        this.store.tx(() => this.emit(`${base}${level}/down/rejected`, { id: null, platform_ref: null, status: "rejected", at: iso(this.clock.now()), error: { code: "bad_topic", message: `${level} is not a device topic level: %, /, +, # and control characters are percent-encoded (UTF-8), nothing else` } }, false, "down/rejected"));
      return;
    }
    if (rest.length === 3 && rest[1] === "state" && rest[2] === "set") {
      const ok = this.store.tx(() => this.states.operator(device, payload.toString("utf8")));
      if (!ok) this.metrics.inc("simcmd_bridge_rejects_total", { reason: "bad_state_action" });
      return;
    }
    if (rest.length !== 2 || rest[1] !== "down") return;
    this.metrics.inc("simcmd_bridge_downlinks_total");
    this.store.tx(() => {
      try {
        const { req, expires } = parseRequest(payload, this.cfg.maxRequestBytes);
        const json = JSON.stringify(req);
        const row = this.store.addDownlink(req.id, device, json, "accepted", this.clock.now(), expires);
        if (row) return;
        const old = this.store.downlink(device, req.id);
        if (old && old.request === json) {
          if (!dup) this.repeated(old); // else the broker redelivered it: stored already
          return;
        }
        throw new Rejection("duplicate_id", `id ${req.id} was already used for another request to this device`);
      } catch (e) {
        if (!(e instanceof Rejection)) throw e;
        let id: string | null = null;
        try {
          id = peekId(JSON.parse(payload.toString("utf8")));
        } catch {
          /* no id in bad JSON */
        }
        this.reject(device, id, e.code, e.message);
      }
    });
    this.downlinkStored();
  }

  reject(device: string, id: string | null, code: string, message: string): void {
    this.metrics.inc("simcmd_bridge_rejects_total", { reason: code });
    this.downEvent(device, id, null, "rejected", { error: { code, message } });
  }
}
