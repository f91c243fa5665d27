/**
 * What the Huawei-style product does on the mock network: command delivery to devices, their answers, and
 * the status notifications to each command's callbackUrl.
 *
 * Device protocol (mock's choice, JSON in one UDP datagram each way; CoAP/LwM2M framing is not simulated):
 * - platform → device: to the device's port 5683 (configurable), from its `mo` socket:
 *     {"mid": 3, "commandId": "…", "serviceId": "…", "method": "…", "paras": {…}}
 * - device → platform, to the `mo` address the attach answer gave:
 *     {"commandId": "…", "ack": true}                                  → DELIVERED (or {"mid": 3, "ack": true})
 *     {"commandId": "…", "result": "SUCCESS"|"FAIL", "paras": {…}}     → status SUCCESSFUL | FAILED, resultDetail = paras
 *   A result without an earlier ack counts as both. Anything else (not JSON, unknown id) is ignored (event).
 *
 * Lifecycle, as OceanConnect's device command API describes it: created PENDING. A device is served one command at a time, oldest first
 * ("the latter command only after the response of the previous"). Attached → the datagram goes out → SENT;
 * no ack within `ackTimeoutMs` → sent again, at most `maxRetransmit` times → TIMEOUT. Not attached:
 * expireTime 0 → TIMEOUT after `ackTimeoutMs` (immediate delivery never reaches a sleeping device);
 * expireTime > 0 → stays PENDING until the device attaches, or EXPIRED when expireTime passes.
 *
 * Notifications: `POST callbackUrl` JSON `{"deviceId", "commandId", "result": {"resultCode", "resultDetail"}}`
 * with the resultCode spelling of the NB-IoT command status change notification: SENT, DELIVERED, SUCCESS,
 * FAIL (and TIMEOUT, EXPIRED), strictly in that order per command; one retry after a non-2xx/timeout (5 s),
 * then `huawei.notify.failed`. With `longResultCodes` the platform spells SUCCESSFUL / FAILED instead (the
 * command statuses of the query API, also seen in notifications in the field). The stored command status
 * (GET …/deviceCommands) is always SUCCESSFUL / FAILED.
 */
import { jsonDepthProblem } from "../../../http/json-depth.js";
import type { CloudContext } from "../../context.js";
import type { MoIp, NetSim, NetTimer, SimKind } from "../../mock-network/index.js";
import { WebhookAbort, WebhookAgents } from "../../webhook-request.js";
import { commandRow, countIssue, nextPending, updateCommand, type CommandUpdate, type HuaweiCommandRow } from "./store.js";

/** The network's SIM kind for Huawei devices. */
export const HUAWEI_KIND: SimKind = "huawei";

/** The statuses after which nothing happens to a command. */
export const FINAL: ReadonlySet<string> = new Set(["SUCCESSFUL", "FAILED", "TIMEOUT", "EXPIRED", "CANCELED"]);

export interface HuaweiTiming {
  ackTimeoutMs: number;
  devicePort: number;
  /** Notify SUCCESSFUL / FAILED instead of the document's SUCCESS / FAIL. */
  longResultCodes: boolean;
  notifyTimeoutMs: number;
}

/** Command status → the resultCode the status change notification spells it with. */
/** Bytes of a notification's response read at most; the rest is dropped with the connection. */
const NOTIFY_RESPONSE_MAX = 64 * 1024;
const DOCUMENT_RESULT_CODES: Record<string, string> = { SUCCESSFUL: "SUCCESS", FAILED: "FAIL" };

export class HuaweiEngine {
  readonly timing: HuaweiTiming = { ackTimeoutMs: 10000, devicePort: 5683, longResultCodes: false, notifyTimeoutMs: 5000 };
  /** deviceId → the command in flight (sent, waiting for its ack). */
  private readonly inflight = new Map<string, { commandId: string; mid: number; timer: NetTimer | null }>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Keep-alive connections to the notification receivers. */
  private readonly agents = new WebhookAgents();
  private mid = 0;
  private closed = false;

  constructor(private readonly ctx: CloudContext) {
    ctx.events.on((e) => {
      if (e.type === "sim.attached" && typeof e.sim_sid === "string") this.kick(e.sim_sid);
    });
  }

  close(): void {
    this.closed = true;
    this.agents.close();
  }

  private set(commandId: string, status: string, extra: CommandUpdate = {}): HuaweiCommandRow | undefined {
    const row = updateCommand(this.ctx, commandId, { ...extra, status });
    if (row) this.ctx.events.emit(`huawei_command.${status.toLowerCase()}`, { sim_sid: row.device_id, command_id: commandId });
    return row;
  }

  /** Moves a command to a new status and notifies; final states free the device for the next command. */
  private move(commandId: string, status: string, detail: unknown = null, extra: CommandUpdate = {}): void {
    const cur = commandRow(this.ctx, commandId);
    if (!cur || FINAL.has(cur.status)) return;
    const code = this.timing.longResultCodes ? status : (DOCUMENT_RESULT_CODES[status] ?? status);
    const row = this.set(commandId, status, { result_code: code, result_detail: detail === null ? null : JSON.stringify(detail), ...extra });
    if (!row) return;
    this.notify(row, code, detail);
    const f = this.inflight.get(row.device_id);
    if (f?.commandId === commandId && (FINAL.has(status) || status === "DELIVERED")) {
      this.ctx.network.cancel(f.timer);
      this.inflight.delete(row.device_id);
      this.kick(row.device_id);
    }
  }

  /** A freshly created command (status PENDING). */
  submit(row: HuaweiCommandRow): void {
    const expiresIn = row.expires_ms - this.ctx.now().getTime();
    if (row.expire_time > 0) this.armExpiry(row.command_id, expiresIn);
    if (!this.ctx.network.isAttached(row.device_id) && row.expire_time === 0) {
      this.ctx.network.later(this.timing.ackTimeoutMs, () => this.move(row.command_id, "TIMEOUT"));
      return;
    }
    this.kick(row.device_id);
  }

  private armExpiry(commandId: string, ms: number): void {
    // a wait past what the clock's timers take runs early and arms again for what is left
    this.ctx.network.later(Math.max(0, ms), () => {
      const r = commandRow(this.ctx, commandId);
      if (!r || r.status !== "PENDING") return;
      const left = r.expires_ms - this.ctx.now().getTime();
      if (left > 0) return this.armExpiry(commandId, left);
      this.move(commandId, "EXPIRED");
    });
  }

  /** Sends the device's oldest PENDING command when nothing is in flight and the device is attached. */
  kick(deviceId: string): void {
    if (this.closed || this.inflight.has(deviceId) || !this.ctx.network.isAttached(deviceId)) return;
    const next = nextPending(this.ctx, deviceId);
    if (!next) return;
    this.inflight.set(deviceId, { commandId: next.command_id, mid: ++this.mid & 0xffff, timer: null });
    this.transmit(next);
  }

  private transmit(row: HuaweiCommandRow): void {
    const f = this.inflight.get(row.device_id);
    if (!f || f.commandId !== row.command_id) return;
    const payload = Buffer.from(
      JSON.stringify({ mid: f.mid, commandId: row.command_id, serviceId: row.service_id, method: row.method, paras: JSON.parse(row.paras) as unknown }),
    );
    const now = this.ctx.now().getTime();
    countIssue(this.ctx, row.command_id, now);
    const armAck = (): void => {
      f.timer = this.ctx.network.later(this.timing.ackTimeoutMs, () => {
        const cur = commandRow(this.ctx, row.command_id);
        if (!cur || FINAL.has(cur.status) || cur.status === "DELIVERED") return;
        if (cur.issued_times <= cur.max_retransmit) return this.transmit(cur);
        this.move(row.command_id, "TIMEOUT");
      });
    };
    this.ctx.network.sendIp(row.device_id, this.timing.devicePort, payload, {
      onSent: () => {
        const cur = commandRow(this.ctx, row.command_id);
        if (cur?.status === "PENDING") this.move(row.command_id, "SENT", null, { execute_ms: this.ctx.now().getTime() });
        armAck();
      },
      onFailed: () => armAck(),
    }, row.command_id);
  }

  /** A datagram from a device to its `mo` address. */
  onMo(sim: NetSim, m: MoIp): void {
    let msg: { commandId?: unknown; mid?: unknown; ack?: unknown; result?: unknown; paras?: unknown };
    try {
      const text = m.payload.toString("utf8");
      if (jsonDepthProblem(text) !== null) throw new Error("nested too deep");
      msg = JSON.parse(text) as typeof msg;
      if (typeof msg !== "object" || msg === null) throw new Error("not an object");
    } catch {
      this.ctx.events.emit("huawei.mo.ignored", { sim_sid: sim.sid, reason: "not a JSON object" });
      return;
    }
    const f = this.inflight.get(sim.sid);
    const commandId = typeof msg.commandId === "string" ? msg.commandId : f !== undefined && msg.mid === f.mid ? f.commandId : null;
    const row = commandId === null ? undefined : commandRow(this.ctx, commandId);
    if (!row || row.device_id !== sim.sid) {
      this.ctx.events.emit("huawei.mo.ignored", { sim_sid: sim.sid, reason: "unknown command" });
      return;
    }
    const now = this.ctx.now().getTime();
    if ((msg.ack === true || msg.result !== undefined) && (row.status === "SENT" || row.status === "PENDING"))
      this.move(row.command_id, "DELIVERED", null, { delivered_ms: now });
    if (msg.result !== undefined) {
      const ok = msg.result === "SUCCESS" || msg.result === "SUCCESSFUL" || msg.result === 0;
      this.move(row.command_id, ok ? "SUCCESSFUL" : "FAILED", msg.paras ?? null);
    }
  }

  /** Queues the notification behind the command's earlier ones. */
  private notify(row: HuaweiCommandRow, resultCode: string, detail: unknown): void {
    if (row.callback_url === null || this.closed) return;
    const url = row.callback_url;
    const body = JSON.stringify({ deviceId: row.device_id, commandId: row.command_id, result: { resultCode, resultDetail: detail } });
    const prev = this.chains.get(row.command_id) ?? Promise.resolve();
    const next = prev.then(() => this.post(url, body, row, resultCode));
    this.chains.set(row.command_id, next);
    void next.finally(() => {
      if (this.chains.get(row.command_id) === next) this.chains.delete(row.command_id);
    });
  }

  private async post(url: string, body: string, row: HuaweiCommandRow, resultCode: string): Promise<void> {
    let error = "";
    for (let attempt = 1; attempt <= 2 && !this.closed; attempt++) {
      try {
        // a bound on waiting for the receiver's answer (real I/O): real time, whatever the cloud's clock does
        const status = await this.agents.request(url, "POST", { "content-type": "application/json" }, body, NOTIFY_RESPONSE_MAX, this.timing.notifyTimeoutMs);
        if (status >= 200 && status < 300) {
          this.ctx.events.emit("huawei.notify.succeeded", { sim_sid: row.device_id, command_id: row.command_id, result_code: resultCode, attempts: attempt });
          return;
        }
        error = `HTTP ${status}`;
      } catch (e) {
        error = e instanceof WebhookAbort ? "timeout" : `connection failed: ${(e as Error).message}`;
      }
    }
    if (!this.closed) this.ctx.events.emit("huawei.notify.failed", { sim_sid: row.device_id, command_id: row.command_id, result_code: resultCode, error });
  }
}
