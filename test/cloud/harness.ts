/** Shared test harness for the mock cloud: a started cloud, the official client, UDP sockets, a webhook server. */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startCloud, type CloudHandle, type CloudOptions } from "../../host-tools/cloud/index.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";

export type Client = ReturnType<typeof twilioClient>;

export async function cloudAndClient(o: CloudOptions = {}): Promise<{ cloud: CloudHandle; client: Client }> {
  const cloud = await startCloud({ callbacks: { timeoutMs: 2000, totalMs: 4000 }, ...o });
  const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
  return { cloud, client };
}

/** JSON call to a /_mock/ route with the cloud's credentials. */
export async function admin(cloud: CloudHandle, path: string, body?: unknown, method = body === undefined ? "GET" : "POST"): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(cloud.url + path, {
    method,
    headers: {
      authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A UDP socket on loopback with a bounded "next datagram" wait. */
export class Udp {
  readonly queue: { msg: Buffer; port: number }[] = [];
  private waiter: (() => void) | null = null;
  private constructor(readonly socket: Socket) {
    socket.on("message", (msg, r) => {
      this.queue.push({ msg, port: r.port });
      this.waiter?.();
    });
  }
  static async open(): Promise<Udp> {
    const s = createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    return new Udp(s);
  }
  get addr(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }
  async next(timeoutMs = 3000): Promise<{ msg: Buffer; port: number }> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no datagram within " + timeoutMs + " ms");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.queue.shift() as { msg: Buffer; port: number };
  }
  send(data: Buffer, to: string): Promise<void> {
    const [host, port] = to.split(":");
    return new Promise((r, j) => this.socket.send(data, Number(port), host, (e) => (e ? j(e) : r())));
  }
  close(): void {
    this.socket.close();
  }
}

export interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** An HTTP server recording requests; `status` decides the answer, or `answers` for one path (no query). */
export class Hooks {
  readonly hits: Hit[] = [];
  status = 200;
  /** Path → the answer given there (status, body, content type), instead of `status` and "ok". */
  readonly answers = new Map<string, { status: number; body: string; type?: string }>();
  private waiters: (() => void)[] = [];
  private constructor(readonly server: Server) {}
  static async open(): Promise<Hooks> {
    let self: Hooks | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const h = self as Hooks;
        h.hits.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const a = h.answers.get((req.url ?? "").split("?")[0] as string);
        res.statusCode = a?.status ?? h.status;
        if (a?.type !== undefined) res.setHeader("content-type", a.type);
        res.end(a?.body ?? "ok");
        for (const w of h.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    self = new Hooks(server);
    return self;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** Waits until at least `n` hits matching `pred` arrived (bounded). */
  async waitFor(n: number, pred: (h: Hit) => boolean = () => true, timeoutMs = 5000): Promise<Hit[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.hits.filter(pred);
      if (got.length >= n) return got;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${got.length}/${n} webhook hits within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let iccidSeq = 0;
/** A fresh valid-looking ICCID. */
export function iccid(): string {
  iccidSeq++;
  return "8988307" + String(Date.now() % 1e9).padStart(9, "0") + String(iccidSeq).padStart(4, "0");
}

/** Registers a SIM, creates a Fleet (SMS enabled) and makes the SIM active. */
export async function activeSim(client: Client, fleetOpts: Record<string, unknown> = {}, name?: string) {
  const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "HA00000000000000000000000000000000", smsCommandsEnabled: true, ...fleetOpts });
  const reg = await client.supersim.v1.sims.create({ iccid: iccid(), registrationCode: "123456" });
  const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", ...(name ? { uniqueName: name } : {}) });
  return { fleet, sim };
}

let wirelessSeq = 0;
/** A Programmable Wireless SIM made with the mock-only admin route; `json` is the created Sim as answered. */
export async function wirelessSim(cloud: CloudHandle, status = "active", extra: Record<string, unknown> = {}): Promise<{ sid: string; name: string; json: Record<string, unknown> }> {
  const name = `wl-${++wirelessSeq}-${Date.now() % 100000}`;
  const r = await admin(cloud, "/_mock/wireless/sims", { unique_name: name, iccid: iccid(), status, ...extra });
  if (r.status !== 201) throw new Error(`creating a Wireless SIM answered ${r.status}: ${JSON.stringify(r.json)}`);
  return { sid: r.json.sid as string, name, json: r.json };
}

/** Attaches a SIM with an `sms` socket that plays its modem; returns the socket and the SMSC address. */
export async function attachSmsSocket(cloud: CloudHandle, sim: string): Promise<{ modem: Udp; smsc: string }> {
  const modem = await Udp.open();
  const r = await admin(cloud, `/_mock/sims/${sim}/attach`, { ports: {}, sms: modem.addr });
  if (r.status !== 200) {
    modem.close();
    throw new Error(`attach answered ${r.status}: ${JSON.stringify(r.json)}`);
  }
  return { modem, smsc: r.json.smsc as string };
}

/** SMS-DELIVER-REPORT for RP-ACK: first octet 0x00 (TP-MTI 00 from the MS), TP-PI 0 (TS 23.040 §9.2.2.1a). */
export const DELIVER_REPORT = Buffer.from([0x00, 0x00]);
/** SMS-DELIVER-REPORT for RP-ERROR: TP-FCS 0xD0 "(U)SIM SMS storage full" (§9.2.3.22), TP-PI 0. */
export const DELIVER_REPORT_ERROR = Buffer.from([0x00, 0xd0, 0x00]);
