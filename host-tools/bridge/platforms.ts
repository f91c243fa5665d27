/**
 * Platform APIs for downlinks: Super SIM IpCommands / SmsCommands, Programmable Wireless Commands and
 * Messaging through the official `twilio` client (host-tools/platform/twilio-client.ts: `baseUrl` absent = the
 * real platform), Huawei OceanConnect device commands over HTTP. Every call is bounded by a timeout
 * (`platformTimeout`), in real time on Node's timers: it bounds a wait for a real HTTP answer, which an
 * injected test clock does not make come sooner or later. The Huawei token's lifetime runs on the clock.
 * Errors are PlatformError: `retryable` for 5xx, 429, timeouts and connection failures; 4xx is final.
 */
import type twilio from "twilio";
import type { Clock } from "../../firmware/hal/clock.js";
import { twilioClient } from "../platform/twilio-client.js";
import type { BridgeConfig } from "./config.js";
import type { HuaweiCommand } from "./down-request.js";
import { addressOf, isPhoneDevice, type Transport } from "./routing.js";
import type { Platform } from "./uplink.js";

export interface Target {
  platform: Platform;
  /** Super SIM / Wireless SIM SID, phone number (E.164 with +), or Huawei deviceId. */
  address: string;
  sim_sid: string | null;
}

export interface SendRequest {
  target: Target;
  transport: Transport;
  payload: string;
  payloadType: "text" | "binary";
  devicePort: number;
  callbackUrl: string;
  /** Huawei: {serviceId, method, paras}. */
  huawei?: HuaweiCommand;
  /** Seconds left until expires_at (Huawei expireTime, Messaging ValidityPeriod). */
  expiresInS: number | null;
  /** Messaging: From number or Messaging Service SID (MG…). */
  from?: string;
}

export class PlatformError extends Error {
  override name = "PlatformError";
  /** The platform whose call failed (set by Platforms). */
  platform: Platform | null = null;
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: number | string | null,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function fromTwilio(e: unknown): PlatformError {
  if (e instanceof PlatformError) return e;
  const x = e as { status?: unknown; code?: unknown; message?: string };
  if (typeof x.status === "number") {
    const s = x.status;
    return new PlatformError(x.message ?? `HTTP ${s}`, s, typeof x.code === "number" ? x.code : null, s >= 500 || s === 429);
  }
  return new PlatformError(`connection failed: ${x.message ?? String(e)}`, null, null, true);
}

/** Told the outcome of every API call: null = the platform answered 2xx. */
export type CallObserver = (platform: Platform, err: PlatformError | null) => void;

export class Platforms {
  private client: twilio.Twilio | null = null;
  private huaweiToken: { token: string; until: number } | null = null;

  constructor(
    private readonly cfg: BridgeConfig,
    private readonly clock: Pick<Clock, "now">,
    private readonly observe: CallObserver = () => undefined,
  ) {}

  /** Runs one platform call, reports its outcome and tags its error with the platform. */
  private async call<T>(platform: Platform, f: () => Promise<T>): Promise<T> {
    let r: T;
    try {
      r = await f();
    } catch (e) {
      const err = e instanceof PlatformError ? e : fromTwilio(e);
      err.platform = platform;
      this.observe(platform, err);
      throw err;
    }
    this.observe(platform, null);
    return r;
  }

  private tw(): twilio.Twilio {
    const t = this.cfg.twilio;
    if (t.accountSid === "" || t.authToken === "") throw new PlatformError("twilio.accountSid and twilio.authToken are not configured", null, "not-configured", false);
    this.client ??= twilioClient({ baseUrl: t.baseUrl, accountSid: t.accountSid, authToken: t.authToken });
    return this.client;
  }

  private async bounded<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PlatformError(`${what}: timeout after ${this.cfg.platformTimeout} ms`, null, "timeout", true)), this.cfg.platformTimeout);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (e) {
      throw fromTwilio(e);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Which platform serves `device` (a SIM unique name or SID, a phone number, a Huawei deviceId); null = unknown. */
  async resolve(device: string): Promise<Target | null> {
    if (isPhoneDevice(device)) return { platform: "twilio-messaging", address: addressOf("twilio-messaging", device, null), sim_sid: null };
    const t = this.cfg.twilio;
    if (t.accountSid !== "" && t.authToken !== "") {
      const c = this.tw();
      const probe = async <T>(platform: Platform, what: string, f: () => Promise<T>): Promise<T | null> => {
        try {
          return await this.call(platform, () => this.bounded(what, f()));
        } catch (e) {
          if (e instanceof PlatformError && e.status === 404) return null;
          throw e;
        }
      };
      const ss = await probe("twilio-supersim", "Super SIM lookup", () => c.supersim.v1.sims(device).fetch());
      if (ss) return { platform: "twilio-supersim", address: addressOf("twilio-supersim", device, ss.sid), sim_sid: ss.sid };
      const ws = await probe("twilio-wireless", "Wireless SIM lookup", () => c.wireless.v1.sims(device).fetch());
      if (ws) return { platform: "twilio-wireless", address: addressOf("twilio-wireless", device, ws.sid), sim_sid: ws.sid };
    }
    if (this.cfg.huawei.baseUrl) return { platform: "huawei", address: addressOf("huawei", device, null), sim_sid: null };
    return null;
  }

  /** Creates the command / message; resolves to its platform reference (HG…, HC…, DC…, SM…, Huawei commandId). */
  send(r: SendRequest): Promise<string> {
    return this.call(r.target.platform, () => this.create(r));
  }

  private async create(r: SendRequest): Promise<string> {
    const t = r.target;
    switch (t.platform) {
      case "twilio-supersim": {
        const c = this.tw();
        if (r.transport === "ip") {
          const x = await this.bounded("IpCommands create", c.supersim.v1.ipCommands.create({
            sim: t.address, payload: r.payload, devicePort: r.devicePort, payloadType: r.payloadType, callbackUrl: r.callbackUrl, callbackMethod: "POST",
          }));
          return x.sid;
        }
        const x = await this.bounded("SmsCommands create", c.supersim.v1.smsCommands.create({ sim: t.address, payload: r.payload, callbackUrl: r.callbackUrl, callbackMethod: "POST" }));
        return x.sid;
      }
      case "twilio-wireless": {
        const x = await this.bounded("Commands create", this.tw().wireless.v1.commands.create({
          sim: t.address, command: r.payload, commandMode: r.payloadType, callbackUrl: r.callbackUrl, callbackMethod: "POST", deliveryReceiptRequested: true,
        }));
        return x.sid;
      }
      case "twilio-messaging": {
        const from = r.from;
        if (from === undefined) throw new PlatformError("no From number for this Messaging downlink", null, "not-configured", false);
        const x = await this.bounded("Messages create", this.tw().messages.create({
          to: t.address, body: r.payload, statusCallback: r.callbackUrl, ...(from.startsWith("MG") ? { messagingServiceSid: from } : { from }),
          // expires_at: not sent by Twilio after the seconds left (ValidityPeriod takes 1–36,000 s)
          ...(r.expiresInS !== null ? { validityPeriod: Math.max(1, Math.min(36000, Math.ceil(r.expiresInS))) } : {}),
        }));
        return x.sid;
      }
      case "huawei":
        return this.huaweiSend(r);
    }
  }

  private async huaweiFetch(path: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.cfg.platformTimeout);
    try {
      const res = await fetch(`${this.cfg.huawei.baseUrl}${path}`, { ...init, signal: ac.signal });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = { error_desc: text.slice(0, 200) };
      }
      return { status: res.status, body };
    } catch (e) {
      throw new PlatformError(ac.signal.aborted ? `Huawei ${path}: timeout` : `Huawei ${path}: connection failed: ${(e as Error).message}`, null, ac.signal.aborted ? "timeout" : null, true);
    } finally {
      clearTimeout(timer);
    }
  }

  private huaweiError(r: { status: number; body: Record<string, unknown> }): PlatformError {
    const code = typeof r.body.error_code === "string" || typeof r.body.error_code === "number" ? r.body.error_code : null;
    return new PlatformError(String(r.body.error_desc ?? `HTTP ${r.status}`), r.status, code, r.status >= 500 || r.status === 429);
  }

  private async huaweiLogin(): Promise<string> {
    if (this.huaweiToken && this.huaweiToken.until > this.clock.now()) return this.huaweiToken.token;
    const h = this.cfg.huawei;
    const r = await this.huaweiFetch("/iocm/app/sec/v1.1.0/login", {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ appId: h.appId, secret: h.secret }).toString(),
    });
    if (r.status !== 200 || typeof r.body.accessToken !== "string") throw this.huaweiError(r);
    const ttl = typeof r.body.expiresIn === "number" ? r.body.expiresIn : 3600;
    this.huaweiToken = { token: r.body.accessToken, until: this.clock.now() + Math.max(60, ttl - 60) * 1000 };
    return r.body.accessToken;
  }

  private async huaweiSend(q: SendRequest): Promise<string> {
    const cmd = q.huawei ?? { serviceId: this.cfg.huawei.serviceId, method: "command", paras: {} };
    const body: Record<string, unknown> = { deviceId: q.target.address, command: cmd, callbackUrl: q.callbackUrl };
    if (q.expiresInS !== null) body.expireTime = Math.max(0, Math.min(2592000, Math.floor(q.expiresInS)));
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.huaweiLogin();
      const r = await this.huaweiFetch(`/iocm/app/cmd/v1.4.0/deviceCommands?appId=${encodeURIComponent(this.cfg.huawei.appId)}`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, app_key: this.cfg.huawei.appId }, body: JSON.stringify(body),
      });
      if (r.status === 401 && attempt === 0) {
        this.huaweiToken = null;
        continue;
      }
      if (r.status !== 200 && r.status !== 201) throw this.huaweiError(r);
      if (typeof r.body.commandId !== "string") throw new PlatformError("Huawei answered without a commandId", r.status, null, true);
      return r.body.commandId;
    }
    throw new PlatformError("Huawei login refused", 401, "100217", false);
  }
}
