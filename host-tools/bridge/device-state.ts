/**
 * Device state, the alarm-panel model (retained `{prefix}/devices/{device}/state`):
 * - conditions: `fault` (a failed delivery; cleared by the next success or a reset) and `no_communication`
 *   (no uplink for `noCommunication` seconds, or the platform reported the SIM detached; cleared by an uplink);
 * - operator actions on `{prefix}/devices/{device}/state/set` (`mask`, `acknowledge`, `reset`, as text or
 *   `{"action": …}`): masked hides every condition until reset; acknowledged marks the current condition as
 *   seen (it returns to normal when the condition clears); reset clears mask, acknowledgement and fault.
 * Payload `{device, state, condition, reason, since, at}`; published only on change.
 *
 * Two implementations of the same transitions: `SqliteDeviceStates` (here: one bridge, the rows in its SQLite
 * file, the state published through its outbox in the caller's transaction) and `RedisDeviceStates`
 * (redis-device-states.ts: several bridges, each transition decided by one Lua script in Redis).
 */
import type { Clock } from "../../firmware/hal/clock.js";
import { iso } from "../clock/node-clock.js";
import type { Emit } from "./emit.js";
import type { DeviceRow, Store } from "./store.js";
import { deviceTopic } from "./topics.js";

/** What the engine and the downlink worker ask of device state; the transitions are the same in every implementation. */
export interface DeviceStates {
  /** Starts the periodic work (the silence check). */
  start(): void;
  stop(): void;
  /** Moves devices silent for the no-communication period to `no_communication`. */
  checkSilence(): void;
  seen(device: string): void;
  uplink(device: string, platform: string, simSid: string | null): void;
  failed(device: string, reason: string, detached: boolean): void;
  succeeded(device: string): void;
  /** An operator action (`mask`, `acknowledge`, `reset`, as text or `{"action": …}`); false for an unknown one. */
  operator(device: string, raw: string): boolean;
  /** Resolves once every transition asked for so far is decided and its state handed on for publishing. */
  settled(): Promise<void>;
}

/** The three parts of a device's state, by the alarm-panel rule above. */
export interface Derived {
  state: string;
  condition: string;
  reason: string | null;
}

/** The retained `…/state` payload. */
export function statePayload(device: string, d: Derived, sinceMs: number, atMs: number): object {
  return { device, state: d.state, condition: d.condition, reason: d.reason, since: iso(sinceMs), at: iso(atMs) };
}

/** The operator action named by a `state/set` payload, or null when it names none. */
export function operatorAction(raw: string): "mask" | "acknowledge" | "reset" | null {
  let action = raw.trim();
  if (action.startsWith("{")) {
    try {
      action = String((JSON.parse(action) as { action?: unknown }).action ?? "");
    } catch {
      return null;
    }
  }
  return action === "mask" || action === "acknowledge" || action === "reset" ? action : null;
}

export class SqliteDeviceStates implements DeviceStates {
  private timer: number | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly emit: Emit,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly noCommMs: number,
  ) {}

  /** Checks for silence periodically (every quarter of the period, at most every minute). */
  start(): void {
    const every = Math.max(10, Math.min(60_000, Math.floor(this.noCommMs / 4)));
    const tick = (): void => {
      if (this.stopped) return;
      this.checkSilence();
      this.timer = this.clock.setTimeout(tick, every);
    };
    this.timer = this.clock.setTimeout(tick, every);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
  }

  settled(): Promise<void> {
    return Promise.resolve(); // every transition is decided in the caller's transaction
  }

  checkSilence(): void {
    const now = this.clock.now();
    for (const d of this.store.devices()) {
      if (d.no_comm === null && d.last_up_ms !== null && now - d.last_up_ms >= this.noCommMs)
        this.update(d.device, { no_comm: `no uplink for ${Math.round((now - d.last_up_ms) / 1000)} s` });
    }
  }

  seen(device: string): void {
    const d = this.store.device(device);
    if (!d || d.last_up_ms === null) this.update(device, { last_up_ms: this.clock.now() });
  }

  uplink(device: string, platform: string, simSid: string | null): void {
    const known = this.store.knownDevice(device);
    if (known && known.state !== null && known.no_comm === null && known.platform === platform && (simSid === null || known.sim_sid === simSid)) {
      // Only the time of the last uplink changes: the condition (fault stays as it is, no_communication is
      // clear already) and so the published state are what they were.
      this.store.deviceHeardAt(device, this.clock.now());
      return;
    }
    const fields: Partial<Omit<DeviceRow, "device">> = { platform, last_up_ms: this.clock.now(), no_comm: null };
    if (simSid !== null) fields.sim_sid = simSid;
    this.update(device, fields);
  }

  failed(device: string, reason: string, detached: boolean): void {
    this.update(device, detached ? { fault: reason, no_comm: "SIM detached" } : { fault: reason });
  }

  succeeded(device: string): void {
    const d = this.store.device(device);
    if (d?.fault) this.update(device, { fault: null });
  }

  operator(device: string, raw: string): boolean {
    const action = operatorAction(raw);
    if (action === null) return false;
    if (action === "mask") this.update(device, { operator: "masked" });
    else if (action === "acknowledge") {
      const d = this.store.device(device);
      if (d && (d.fault !== null || d.no_comm !== null) && d.operator !== "masked") this.update(device, { operator: "acknowledged" });
      else this.update(device, {});
    } else this.update(device, { operator: null, fault: null });
    return true;
  }

  private update(device: string, fields: Partial<Omit<DeviceRow, "device">>): void {
    const d = this.store.updateDevice(device, fields);
    const condition = d.no_comm !== null ? "no_communication" : d.fault !== null ? "fault" : "normal";
    let operator = d.operator;
    if (operator === "acknowledged" && condition === "normal") {
      operator = null;
      this.store.updateDevice(device, { operator: null });
    }
    const state = operator === "masked" ? "masked" : operator === "acknowledged" ? "acknowledged" : condition;
    const reason = d.no_comm ?? d.fault ?? null;
    const key = JSON.stringify([state, condition, reason]);
    if (key === d.state) return;
    const now = this.clock.now();
    const prevState = d.state === null ? null : (JSON.parse(d.state) as string[])[0];
    const since = prevState === state && d.since_ms !== null ? d.since_ms : now;
    this.store.updateDevice(device, { state: key, since_ms: since });
    this.emit(deviceTopic(this.prefix, device, "state"), statePayload(device, { state, condition, reason }, since, now), true, "state");
  }
}
