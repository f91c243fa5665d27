/**
 * Device state, the alarm-panel model (retained `{prefix}/devices/{device}/state`):
 * - conditions: `fault` (a failed delivery; cleared by the next success or a reset) and `no_communication`
 *   (no uplink for `noCommunication` seconds, or the platform reported the SIM detached; cleared by an uplink);
 * - operator actions on `{prefix}/devices/{device}/state/set` (`mask`, `acknowledge`, `reset`, as text or
 *   `{"action": …}`): masked hides every condition until reset; acknowledged marks the current condition as
 *   seen (it returns to normal when the condition clears); reset clears mask, acknowledgement and fault.
 * Payload `{device, state, condition, reason, since, at}`; published (through the outbox) only on change.
 */
import type { Clock } from "../../firmware/hal/clock.js";
import { iso } from "../clock/node-clock.js";
import type { Emit } from "./emit.js";
import type { DeviceRow, Store } from "./store.js";
import { deviceTopic } from "./topics.js";

export class DeviceStates {
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

  checkSilence(): void {
    const now = this.clock.now();
    for (const d of this.store.devices()) {
      if (d.no_comm === null && d.last_up_ms !== null && now - d.last_up_ms >= this.noCommMs)
        this.update(d.device, { no_comm: `no uplink for ${Math.round((now - d.last_up_ms) / 1000)} s` });
    }
  }

  /** A device the bridge sent to: silence is counted from now if it never spoke. */
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

  /** Returns false for an unknown action. */
  operator(device: string, raw: string): boolean {
    let action = raw.trim();
    if (action.startsWith("{")) {
      try {
        action = String((JSON.parse(action) as { action?: unknown }).action ?? "");
      } catch {
        return false;
      }
    }
    if (action === "mask") this.update(device, { operator: "masked" });
    else if (action === "acknowledge") {
      const d = this.store.device(device);
      if (d && (d.fault !== null || d.no_comm !== null) && d.operator !== "masked") this.update(device, { operator: "acknowledged" });
      else this.update(device, {});
    } else if (action === "reset") this.update(device, { operator: null, fault: null });
    else return false;
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
    this.emit(deviceTopic(this.prefix, device, "state"), { device, state, condition, reason, since: iso(since), at: iso(now) }, true, "state");
  }
}
