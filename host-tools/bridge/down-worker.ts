/**
 * The downlink worker: takes stored requests (`accepted`, or `retry` once due), resolves the device's platform,
 * plans the send by the routing policy (routing.ts: transport, payload, size, From), calls the platform and
 * publishes `down/queued` — or `rejected` / `failed` / `expired` with a reason. Requests run independently
 * (up to `CONCURRENCY` at once), so a bad one never holds up the ones behind it. 5xx / timeouts are retried
 * with exponential backoff (`retryBase`, ×2, ±20%, ≤ 60 s, `retryMax` times); Messaging SMS sends get one
 * retry after `messagingRetry` ms; 4xx is final.
 */
import { DEFAULT_DEVICE_PORT } from "../../firmware/core/limits.js";
import type { Clock } from "../../firmware/hal/clock.js";
import { callbackQuery } from "./callback-token.js";
import type { BridgeConfig } from "./config.js";
import { Rejection, type DownRequest } from "./down-request.js";
import type { Engine } from "./engine.js";
import type { Metrics } from "./metrics.js";
import { NextTurn } from "./next-turn.js";
import { platformProblem } from "./platform-health.js";
import { PlatformError, type Platforms, type Target } from "./platforms.js";
import { addressOf, callbackPath, isUnknownDevice, planSend, type RoutingConfig } from "./routing.js";
import type { DownlinkRow, Store } from "./store.js";
import { waitBounded } from "./wait-bounded.js";

const CONCURRENCY = 32;

/** What the worker needs, and no more. */
export interface DownWorkerDeps {
  /** The stored requests and the devices' platforms. */
  store: Pick<Store, "open" | "tx" | "dueDownlinks" | "nextRetryAt" | "downlinkByRow" | "updateDownlink" | "device" | "touchDevice">;
  /** Moves a request forward and publishes its event (Engine.advance). */
  advance: Engine["advance"];
  /** A device the bridge sent to: its silence counts from now (DeviceStates.seen). */
  seen: (device: string) => void;
  metrics: Pick<Metrics, "inc">;
  platforms: Pick<Platforms, "resolve" | "send">;
  clock: Clock;
  /** The bridge's URL as the platforms reach it, for the status callbacks. */
  publicUrl: () => string;
  /** The routing settings and the retry policy. */
  policy: RoutingConfig & Pick<BridgeConfig, "retryBase" | "retryMax" | "messagingRetry">;
  /** The key that binds a callback URL's query (callback-token.ts callbackKey), and Huawei's URL token. */
  callbackKey: string;
  huaweiToken: string;
}

export class DownWorker {
  private readonly running = new Set<number>();
  private readonly pumping = new NextTurn(() => this.pump());
  private timer: number | null = null;
  private timerAt = Infinity;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly store: DownWorkerDeps["store"];
  private readonly clock: Clock;

  constructor(private readonly d: DownWorkerDeps) {
    this.store = d.store;
    this.clock = d.clock;
  }

  /** Asks for a pump soon (next turn). */
  kick(): void {
    if (!this.stopped) this.pumping.request();
  }

  private pump(): void {
    if (this.stopped || !this.store.open) return;
    const now = this.clock.now();
    const free = CONCURRENCY - this.running.size;
    if (free > 0) {
      for (const row of this.store.dueDownlinks(now, CONCURRENCY * 2)) {
        if (this.running.size >= CONCURRENCY) break;
        if (this.running.has(row.rowid)) continue;
        this.running.add(row.rowid);
        void this.process(row).finally(() => {
          this.running.delete(row.rowid);
          this.kick();
          if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
      }
    }
    this.arm();
  }

  /** One timer, for the earliest retry. */
  private arm(): void {
    const at = this.store.nextRetryAt();
    if (at === null || at >= this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.kick();
    }, at - this.clock.now());
  }

  private async target(device: string): Promise<Target | null> {
    const d = this.store.device(device);
    if (d?.platform) {
      const platform = d.platform as Target["platform"];
      return { platform, sim_sid: d.sim_sid, address: addressOf(platform, device, d.sim_sid) };
    }
    const t = await this.d.platforms.resolve(device);
    if (t && t.platform !== "huawei") this.store.touchDevice(device, t.platform, t.sim_sid);
    return t;
  }

  private async process(row: DownlinkRow): Promise<void> {
    const { advance } = this.d;
    const now = this.clock.now();
    const tx = (f: () => void): void => {
      if (this.store.open) this.store.tx(f);
    };
    if (row.expires_ms !== null && now >= row.expires_ms) {
      tx(() => advance(row, "expired", { error: { code: "expired", message: "expires_at passed before the platform accepted the request" } }));
      return;
    }
    const req = JSON.parse(row.request) as DownRequest;
    let target: Target | null = null;
    try {
      target = await this.target(row.device);
      if (!target) throw new Rejection("unknown_device", `no SIM or device named ${row.device} on the configured platforms`);
      const plan = planSend(req, row.id, row.device, target.platform, this.d.policy);
      const transport = plan.transport;
      let callbackUrl = `${this.d.publicUrl()}${callbackPath(target.platform, transport)}?${callbackQuery(this.d.callbackKey, row.rowid, row.id)}`;
      if (target.platform === "huawei" && this.d.huaweiToken !== "") callbackUrl += `&k=${this.d.huaweiToken}`;
      const ref = await this.d.platforms.send({
        ...plan, target, devicePort: req.device_port ?? DEFAULT_DEVICE_PORT, callbackUrl,
        expiresInS: row.expires_ms === null ? null : (row.expires_ms - this.clock.now()) / 1000,
      });
      tx(() => {
        const cur = this.store.downlinkByRow(row.rowid) as DownlinkRow;
        this.store.updateDownlink(row.rowid, { platform: target?.platform ?? null, transport, attempts: row.attempts + 1, platform_ref: cur.platform_ref ?? ref }, this.clock.now());
        advance({ ...cur, platform_ref: cur.platform_ref ?? ref }, "queued", {}, cur.platform_ref ?? ref);
        this.d.seen(row.device);
      });
    } catch (err) {
      if (!this.store.open) return;
      tx(() => this.failure(row, target, err));
    }
  }

  private failure(row: DownlinkRow, target: Target | null, err: unknown): void {
    const { advance, metrics, policy } = this.d;
    const cur = this.store.downlinkByRow(row.rowid) as DownlinkRow;
    if (err instanceof Rejection) {
      metrics.inc("simcmd_bridge_rejects_total", { reason: err.code });
      advance(cur, "rejected", { error: { code: err.code, message: err.message } });
      return;
    }
    if (!(err instanceof PlatformError)) {
      advance(cur, "failed", { error: { code: "bridge", message: (err as Error).message ?? String(err) } });
      return;
    }
    const platform = err.platform ?? target?.platform ?? "twilio";
    metrics.inc("simcmd_bridge_platform_errors_total", { platform, class: err.retryable ? "retryable" : "final" });
    // refused credentials, an unreachable or failing platform: its state says so, the device is not at fault
    const deviceFault = platformProblem(err) === null;
    if (isUnknownDevice(platform, err)) {
      metrics.inc("simcmd_bridge_rejects_total", { reason: "unknown_device" });
      advance(cur, "rejected", { error: { code: "unknown_device", message: err.message } });
      return;
    }
    const attempts = cur.attempts + 1;
    const messaging = platform === "twilio-messaging";
    const canRetry = err.retryable && (messaging ? attempts < 2 : attempts <= policy.retryMax);
    if (!canRetry) {
      advance(cur, "failed", { error: { code: err.code, status: err.status, message: err.message }, attempts }, cur.platform_ref, deviceFault);
      return;
    }
    const base = messaging ? policy.messagingRetry : Math.min(60_000, policy.retryBase * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
    metrics.inc("simcmd_bridge_retries_total", { platform });
    this.store.updateDownlink(row.rowid, { status: "retry", attempts, next_ms: Math.round(this.clock.now() + base) }, this.clock.now());
  }

  /** Resolves when nothing is being processed (bounded). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return waitBounded(this.idleWaiters, timeoutMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
  }
}
