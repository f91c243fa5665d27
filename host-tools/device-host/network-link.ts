/**
 * A Node device host's attachment to the mock network (docs/mock-network.md), shared by the simulated
 * device and the virtual modem: real UDP sockets on 127.0.0.1 (udp.ts) play the device ports and the
 * SMS endpoint, and an attach call tells the network simulator where they are. A CloudLink calls the
 * mock cloud's admin route; a StaticLink serves tests that play the network with their own UDP sockets.
 */
import { EventEmitter } from "node:events";

export interface AttachRequest {
  /** Device port → "127.0.0.1:<real port>". */
  ports: Record<string, string>;
  /** Where the modem takes SMS TPDUs from the network. */
  sms: string;
}

export interface AttachInfo {
  device_ip: string;
  /** The address that stands for 100.64.0.1 for this SIM. */
  mo: string;
  /** Where the modem sends SMS TPDUs. */
  smsc?: string;
}

export interface NetworkLink {
  attach(req: AttachRequest): Promise<AttachInfo>;
  detach(): Promise<void>;
}

/** A network played by the caller: fixed mo/smsc addresses; every attach is recorded and emitted as "attach". */
export class StaticLink extends EventEmitter implements NetworkLink {
  last: AttachRequest | undefined;
  attached = false;
  constructor(readonly info: AttachInfo) {
    super();
  }
  async attach(req: AttachRequest): Promise<AttachInfo> {
    this.last = { ports: { ...req.ports }, sms: req.sms };
    this.attached = true;
    this.emit("attach", this.last);
    return this.info;
  }
  async detach(): Promise<void> {
    this.attached = false;
    this.emit("detach");
  }
}

export interface CloudLinkOptions {
  /** The mock cloud's base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  /** SIM SID or unique name. */
  sim: string;
  accountSid?: string;
  authToken?: string;
}

export class CloudError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "CloudError";
  }
}

/** Attaches through `POST /_mock/sims/{sid|name}/attach` and detaches through `…/detach` (the mock cloud's network admin routes). */
export class CloudLink implements NetworkLink {
  constructor(readonly options: CloudLinkOptions) {}

  private async post(path: string, body: unknown): Promise<unknown> {
    const o = this.options;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (o.accountSid !== undefined && o.authToken !== undefined) {
      headers.authorization = "Basic " + Buffer.from(`${o.accountSid}:${o.authToken}`).toString("base64");
    }
    const url = new URL(`/_mock/sims/${encodeURIComponent(o.sim)}/${path}`, o.url);
    let res: Response;
    try {
      res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CloudError(`cannot reach the mock cloud at ${o.url} to ${path} SIM '${o.sim}': ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new CloudError(`${path} for SIM ${o.sim} failed: HTTP ${res.status} ${text}`, res.status);
    return text === "" ? {} : JSON.parse(text);
  }

  async attach(req: AttachRequest): Promise<AttachInfo> {
    const r = (await this.post("attach", req)) as Partial<AttachInfo>;
    if (typeof r.mo !== "string") throw new CloudError(`attach answer lacks "mo": ${JSON.stringify(r)}`);
    return { device_ip: r.device_ip ?? "10.64.0.2", mo: r.mo, smsc: r.smsc };
  }

  async detach(): Promise<void> {
    await this.post("detach", {});
  }

  /** The SIM's SID: `sim` itself when it is one, else looked up by unique name (Super SIM, then Wireless). */
  async simSid(): Promise<string | null> {
    const o = this.options;
    if (/^(HS|DE)[0-9a-f]{32}$/.test(o.sim)) return o.sim;
    const headers: Record<string, string> = {};
    if (o.accountSid !== undefined && o.authToken !== undefined) {
      headers.authorization = "Basic " + Buffer.from(`${o.accountSid}:${o.authToken}`).toString("base64");
    }
    for (const path of [`/supersim/v1/Sims/${encodeURIComponent(o.sim)}`, `/wireless/v1/Sims/${encodeURIComponent(o.sim)}`]) {
      try {
        const res = await fetch(new URL(path, o.url), { headers });
        if (!res.ok) continue;
        const body = (await res.json()) as { sid?: unknown };
        if (typeof body.sid === "string") return body.sid;
      } catch {
        return null;
      }
    }
    return null;
  }
}
