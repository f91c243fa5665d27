/**
 * The mock network (docs/mock-network.md): SIM registry, attach state, MT/MO UDP, and the SMSC.
 *
 * API for products (through `ctx.network`):
 * - `upsertSim({sid, uniqueName, kind, blocked?})` (on create and every change of unique name/status;
 *   `blocked` refuses attach with 403/83705 and detaches), `removeSim`, `resolve(sidOrUniqueName)`, `state`.
 * - `sendIp(simSid, devicePort, payload, {onSent(deviceIp), onFailed(code, message)}, ref?)`: an MT IP
 *   Command (`ref`: its resource, named by the events about it). Not attached → onFailed(83401, …); else a
 *   real datagram from the SIM's `mo` socket to the one mapped for `devicePort` (after latency / paging /
 *   sleep window); onSent when it leaves (lost or unmapped is still "sent", as on a real network).
 * - `onMoIp(kind, (sim, {payload, devicePort, deviceIp}) => void)`: datagrams to a SIM's `mo` address.
 * - `sendSms(simSid, {originator, text?, dataHex?, receipt?, ref?}, {onSent?, onDelivered?, onFailed?})`: an
 *   MT SMS (IncludeSid already applied; check `smsFits(text)` / binary ≤ 140 bytes first), as SMS-DELIVER
 *   TPDUs queued in the SIM's SMSC (smsc.ts) until it can take them; onDelivered on the DELIVER-REPORT of
 *   the last part (when `receipt`); onFailed("no-delivery-report" | "rejected" | "expired", message).
 * - `onMoSms(destination, handler)` / `onMoSmsToNumber(handler)`: reassembled SMS-SUBMITs to "000"/"2936",
 *   or to any other dialable number; `numbers` (numbers.ts): the SIMs' phone numbers.
 * - Conditions (conditions.ts): network-wide and per SIM; loss draws from Math.random or a seeded generator.
 * - Detach parks the SIM's sockets (`mo`, `smsc`): the device keeps its addresses, what it sends meanwhile is
 *   dropped (reason "detached"); `reattach` attaches again with the last mapping. `powerOff` detaches and
 *   refuses attaches until `powerOn`, which attaches again as a booting device would.
 * Time: everything scheduled goes through the cloud's Clock (a fake one in tests); only next-turn work
 * (`later(0, …)`) uses setImmediate, which orders work rather than waiting.
 * Events (docs/mock-network.md "Events"): sim.attached, sim.detached, sim.power, sim.powered,
 * sim.conditions, sim.msisdn, network.changed, ip.sent, ip.lost, ip.failed, ip.received, sms.deliver.sent,
 * sms.delivered, sms.failed, sms.submit.received, sms.status_report.sent, sms.lost — traffic with its bytes
 * (`hex`, `tpdu`; event-fields.ts) and, for MT traffic, its resource as `ref`.
 */
import { createSocket, type Socket } from "node:dgram";
import type { EventBus } from "../events.js";
import { ConditionTable, DEFAULT_POWER, mtFate, type Conditions, type Power, type SimConditions } from "./conditions.js";
import { hexField, powerJson } from "./event-fields.js";
import { PhoneNumbers } from "./numbers.js";
import { Smsc, type MoSmsHandler, type SmsHandlers, type SmsMessage } from "./smsc.js";
import type { Clock } from "../../../firmware/hal/clock.js";
import { NodeClock } from "../../clock/node-clock.js";

export { smsFits, smsTextLength, MAX_BINARY_SMS_BYTES } from "./smsc.js";
export type { MoSms, MoSmsHandler, SmsHandlers, SmsMessage } from "./smsc.js";
export type { Conditions, Power, SimConditions } from "./conditions.js";
export { MsisdnTakenError, E164 } from "./numbers.js";
export { EVENT_HEX_BYTES, hexField, powerJson } from "./event-fields.js";

export type SimKind = "supersim" | "wireless" | "huawei";

export interface NetSim {
  sid: string;
  uniqueName: string | null;
  kind: SimKind;
  blocked?: boolean;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface Attachment {
  deviceIp: string;
  ports: Map<number, Endpoint>;
  mo: Socket;
  moAddr: Endpoint;
  sms: Endpoint | null;
  smsc: Socket | null;
  smscAddr: Endpoint | null;
}

export interface IpHandlers {
  onSent(deviceIp: string): void;
  onFailed(code: number, message: string): void;
}

export interface MoIp {
  payload: Buffer;
  devicePort: number;
  deviceIp: string;
}

export type MoIpHandler = (sim: NetSim, m: MoIp) => void;

/** A scheduled piece of network work (`Network.later`); pass it to `Network.cancel`. */
export interface NetTimer {
  cancel(): void;
}

export const NOT_ATTACHED = { code: 83401, message: "The device was not attached to a cellular network" } as const;

/** Why an attach is refused (the admin routes answer it as a Twilio-shaped 409). */
export class AttachRefusedError extends Error {}

export function parseEndpoint(s: string): Endpoint | null {
  const m = /^(.+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
}

const fmt = (e: Endpoint): string => `${e.host}:${e.port}`;

export class Network {
  readonly sims = new Map<string, NetSim>();
  readonly attachments = new Map<string, Attachment>();
  readonly power = new Map<string, Power>();
  /** Loss and latency, network-wide and per SIM, and the SMSC's timing (conditions.ts). */
  readonly cond: ConditionTable;
  private readonly moIp = new Map<SimKind, MoIpHandler>();
  readonly moSms = new Map<string, MoSmsHandler>();
  private moSmsToNumber: MoSmsHandler | null = null;
  /** The SIMs' phone numbers (numbers.ts). */
  readonly numbers: PhoneNumbers;
  private readonly pending = new Set<NetTimer>();
  private readonly smscs = new Map<string, Smsc>();
  /** Detached SIMs' sockets and last mapping, kept for the next attach (reattach, powerOn). */
  private readonly parked = new Map<string, Attachment>();
  /** SIMs whose device is powered off. */
  private readonly off = new Set<string>();
  private closed = false;

  constructor(
    readonly events: EventBus,
    readonly udpHost = "127.0.0.1",
    conditions: Partial<Conditions> = {},
    /** The cloud's clock (CloudContext.clock). */
    readonly clock: Clock = new NodeClock(),
  ) {
    this.cond = new ConditionTable(conditions);
    this.numbers = new PhoneNumbers(events);
  }

  // ---- registry ----
  upsertSim(sim: NetSim): void {
    for (const [k, v] of this.sims) if (v.sid === sim.sid && k !== sim.sid) this.sims.delete(k);
    this.sims.set(sim.sid, { ...sim });
    if (sim.blocked && this.attachments.has(sim.sid)) this.detach(sim.sid);
  }

  removeSim(sid: string): void {
    this.detach(sid);
    this.closeParked(sid);
    this.off.delete(sid);
    this.cond.removeSim(sid);
    this.numbers.set(sid, null);
    this.sims.delete(sid);
    this.smscs.get(sid)?.close();
    this.smscs.delete(sid);
  }

  /** By SID, else by unique name (first match). */
  resolve(id: string): NetSim | undefined {
    const s = this.sims.get(id);
    if (s) return s;
    for (const v of this.sims.values()) if (v.uniqueName !== null && v.uniqueName === id) return v;
    return undefined;
  }

  /** The SIM that has this phone number (E.164). */
  byMsisdn(msisdn: string): NetSim | undefined {
    const sid = this.numbers.sidOf(msisdn);
    return sid === undefined ? undefined : this.sims.get(sid);
  }

  isAttached(sid: string): boolean {
    return this.attachments.has(sid);
  }

  powerOf(sid: string): Power {
    return this.power.get(sid) ?? { ...DEFAULT_POWER, since: this.clock.now() };
  }

  state(sid: string): Record<string, unknown> {
    const a = this.attachments.get(sid);
    const p = this.powerOf(sid);
    return {
      sim_sid: sid,
      msisdn: this.numbers.of(sid),
      attached: a !== undefined,
      device_ip: a?.deviceIp ?? null,
      mo: a ? fmt(a.moAddr) : null,
      smsc: a?.smscAddr ? fmt(a.smscAddr) : null,
      ports: a ? Object.fromEntries([...a.ports].map(([k, v]) => [String(k), fmt(v)])) : {},
      sms: a?.sms ? fmt(a.sms) : null,
      power: powerJson(p),
      powered: !this.off.has(sid),
      reattachable: this.parked.has(sid),
      conditions: this.simConditionsJson(sid),
      sms_queue: this.smscs.get(sid)?.queue.length ?? 0,
    };
  }

  /** The SIM's own conditions (null: the network-wide value applies). */
  simConditionsJson(sid: string): Record<string, unknown> {
    const c = this.cond.ofSim(sid);
    return { loss: c.loss, latency_ms: c.latencyMs, seed: c.seed };
  }

  /** The network-wide conditions. */
  get conditions(): Conditions {
    return this.cond.value;
  }

  /** Stable device IP in 10.64.0.0/16 for a SID. */
  deviceIpOf(sid: string): string {
    let h = 0;
    for (let i = 0; i < sid.length; i++) h = (h * 31 + sid.charCodeAt(i)) >>> 0;
    return `10.64.${(h >>> 8) & 0xff}.${Math.max(1, h & 0xff) === 255 ? 254 : Math.max(1, h & 0xff)}`;
  }

  // ---- timing helpers ----
  /** Current time on the network's clock, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** Runs `fn` after `ms` of the cloud's clock (≤ 0 → next tick, setImmediate); cancelled on close. */
  later(ms: number, fn: () => void): NetTimer {
    let cancel: () => void;
    const t: NetTimer = { cancel: () => cancel() };
    const run = (): void => {
      this.pending.delete(t);
      if (!this.closed) fn();
    };
    if (ms > 0) {
      const h = this.clock.setTimeout(run, ms);
      cancel = () => this.clock.clearTimeout(h);
    } else {
      const h = setImmediate(run);
      cancel = () => clearImmediate(h);
    }
    this.pending.add(t);
    return t;
  }

  cancel(t: NetTimer | null | undefined): void {
    if (!t) return;
    t.cancel();
    this.pending.delete(t);
  }

  /** Whether the next datagram of this SIM is lost. */
  lost(sid: string): boolean {
    return this.cond.lost(sid);
  }

  /** One-way latency for this SIM's datagrams, ms. */
  latencyOf(sid: string): number {
    return this.cond.latencyOf(sid);
  }

  // ---- attach / detach / power ----
  private bind(onMessage: (msg: Buffer, from: Endpoint) => void): Promise<{ socket: Socket; addr: Endpoint }> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(this.udpHost.includes(":") ? "udp6" : "udp4");
      socket.once("error", reject);
      socket.on("message", (msg, rinfo) => onMessage(msg, { host: rinfo.address, port: rinfo.port }));
      socket.bind(0, this.udpHost, () => {
        socket.off("error", reject);
        socket.on("error", (e) => this.events.emit("network.error", { error: e.message }));
        const a = socket.address();
        resolve({ socket, addr: { host: a.address, port: a.port } });
      });
    });
  }

  /**
   * Attaches (or re-maps) a SIM. Keeps its sockets when already attached, and takes back the parked ones of a
   * detached SIM. Throws AttachRefusedError while the SIM's device is powered off.
   */
  async attach(sid: string, ports: Map<number, Endpoint>, sms: Endpoint | null): Promise<Record<string, unknown>> {
    if (this.off.has(sid)) throw new AttachRefusedError(`The device of SIM ${sid} is powered off: power it on to attach`);
    let a = this.attachments.get(sid) ?? this.parked.get(sid);
    this.parked.delete(sid);
    if (a) this.attachments.set(sid, a);
    else {
      const mo = await this.bind((msg, from) => this.onMoDatagram(sid, msg, from));
      a = { deviceIp: this.deviceIpOf(sid), ports, mo: mo.socket, moAddr: mo.addr, sms: null, smsc: null, smscAddr: null };
      this.attachments.set(sid, a);
    }
    a.ports = ports;
    a.sms = sms;
    if (sms && !a.smsc) {
      const s = await this.bind((msg, from) => this.smscOf(sid).onDatagram(msg, from));
      a.smsc = s.socket;
      a.smscAddr = s.addr;
    }
    const out: Record<string, unknown> = { device_ip: a.deviceIp, mo: fmt(a.moAddr) };
    if (sms && a.smscAddr) out.smsc = fmt(a.smscAddr);
    this.events.emit("sim.attached", { sim_sid: sid, ...out });
    this.smscOf(sid).kick();
    return out;
  }

  /** Attaches again with the mapping the SIM had when it was detached; false when there is none. */
  async reattach(sid: string): Promise<Record<string, unknown> | false> {
    const p = this.parked.get(sid);
    if (!p) return false;
    return this.attach(sid, p.ports, p.sms);
  }

  /** Detaches; the sockets stay parked (what arrives on them is dropped) for the next attach. */
  detach(sid: string, reason = "detach"): boolean {
    const a = this.attachments.get(sid);
    if (!a) return false;
    this.attachments.delete(sid);
    this.parked.set(sid, a);
    const smsc = this.smscs.get(sid);
    smsc?.pause();
    smsc?.kick(); // waits for the next attach, or for the head of its queue to expire
    this.events.emit("sim.detached", { sim_sid: sid, reason });
    return true;
  }

  private closeParked(sid: string): void {
    const a = this.parked.get(sid);
    if (!a) return;
    this.parked.delete(sid);
    a.mo.close();
    a.smsc?.close();
  }

  isPoweredOn(sid: string): boolean {
    return !this.off.has(sid);
  }

  /** The device is switched off: detached, and no attach until powerOn. */
  powerOff(sid: string): void {
    if (this.off.has(sid)) return;
    this.detach(sid, "power_off");
    this.off.add(sid);
    this.events.emit("sim.powered", { sim_sid: sid, on: false });
  }

  /** The device is switched on: it attaches again with its last mapping, if it was ever attached. */
  async powerOn(sid: string): Promise<void> {
    if (!this.off.delete(sid)) return;
    this.events.emit("sim.powered", { sim_sid: sid, on: true });
    await this.reattach(sid);
  }

  setPower(sid: string, p: Partial<Omit<Power, "since">>): Power {
    const cur = this.powerOf(sid);
    const next: Power = { ...cur, ...p, since: this.clock.now() };
    this.power.set(sid, next);
    this.events.emit("sim.power", { sim_sid: sid, ...powerJson(next) });
    this.smscOf(sid).kick();
    return next;
  }

  /** Network-wide conditions; `seed` (null: Math.random) restarts the network's loss generator. */
  setConditions(c: Partial<Conditions> & { seed?: number | null }): Conditions {
    this.cond.set(c);
    const v = this.cond.value;
    this.events.emit("network.changed", { loss: v.loss, latency_ms: v.latencyMs, sms_retry_ms: v.smsRetryMs, seed: this.cond.seed });
    return v;
  }

  /** A SIM's own loss, latency and seed (null clears one: the network-wide value applies again; absent keeps it). */
  setSimConditions(sid: string, c: Partial<SimConditions>): SimConditions {
    const next = this.cond.setSim(sid, c);
    this.events.emit("sim.conditions", { sim_sid: sid, ...this.simConditionsJson(sid) });
    return next;
  }

  // ---- IP ----
  onMoIp(kind: SimKind, handler: MoIpHandler): void {
    this.moIp.set(kind, handler);
  }

  sendIp(simSid: string, devicePort: number, payload: Buffer, h: IpHandlers, ref?: string): void {
    const tag = ref === undefined ? {} : { ref };
    const fail = (): void => {
      this.events.emit("ip.failed", { sim_sid: simSid, ...tag, device_port: devicePort, error_code: NOT_ATTACHED.code, error_message: NOT_ATTACHED.message });
      h.onFailed(NOT_ATTACHED.code, NOT_ATTACHED.message);
    };
    if (!this.attachments.has(simSid)) {
      this.later(0, fail);
      return;
    }
    const fate = mtFate(this.powerOf(simSid), "ip", this.clock.now());
    this.later(fate.delayMs + this.latencyOf(simSid), () => {
      const a = this.attachments.get(simSid);
      if (!a) return fail();
      const dest = a.ports.get(devicePort);
      const reason = fate.drop ? fate.reason : dest === undefined ? "no-port-mapping" : this.lost(simSid) ? "loss" : null;
      const sent = { sim_sid: simSid, ...tag, device_port: devicePort, bytes: payload.length, ...hexField(payload) };
      if (reason || !dest) {
        this.events.emit("ip.lost", { ...sent, direction: "mt", reason });
        h.onSent(a.deviceIp);
        return;
      }
      a.mo.send(payload, dest.port, dest.host, (err) => {
        if (err) {
          this.events.emit("ip.lost", { ...sent, direction: "mt", reason: err.message });
        } else {
          this.events.emit("ip.sent", { ...sent, to: fmt(dest) });
        }
        h.onSent(a.deviceIp);
      });
    });
  }

  private onMoDatagram(sid: string, msg: Buffer, from: Endpoint): void {
    const lost = (reason: string): void => void this.events.emit("ip.lost", { sim_sid: sid, direction: "mo", reason, bytes: msg.length, ...hexField(msg) });
    if (!this.attachments.has(sid)) return lost("detached");
    if (this.lost(sid)) return lost("loss");
    this.later(this.latencyOf(sid), () => {
      const a = this.attachments.get(sid);
      const sim = this.sims.get(sid);
      if (!a || !sim) return;
      let devicePort = from.port;
      for (const [port, ep] of a.ports) if (ep.port === from.port && (ep.host === from.host || ep.host === "localhost")) devicePort = port;
      this.events.emit("ip.received", { sim_sid: sid, device_port: devicePort, bytes: msg.length, ...hexField(msg) });
      this.moIp.get(sim.kind)?.(sim, { payload: msg, devicePort, deviceIp: a.deviceIp });
    });
  }

  // ---- SMS ----
  smscOf(sid: string): Smsc {
    let s = this.smscs.get(sid);
    if (!s) {
      s = new Smsc(this, sid);
      this.smscs.set(sid, s);
    }
    return s;
  }

  onMoSms(destination: string, handler: MoSmsHandler): void {
    this.moSms.set(destination, handler);
  }

  /** Handles MO SMS to dialable numbers that have no handler of their own (person-to-person SMS). */
  onMoSmsToNumber(handler: MoSmsHandler): void {
    this.moSmsToNumber = handler;
  }

  /** Who takes an SMS-SUBMIT to `destination` (no leading '+'): its own handler, else the P2P one. */
  moSmsHandler(destination: string): MoSmsHandler | undefined {
    return this.moSms.get(destination) ?? (/^\d{3,15}$/.test(destination) ? (this.moSmsToNumber ?? undefined) : undefined);
  }

  sendSms(simSid: string, message: SmsMessage, handlers: SmsHandlers = {}): { parts: number } {
    return this.smscOf(simSid).enqueue(message, handlers);
  }

  close(): void {
    this.closed = true;
    for (const t of this.pending) t.cancel();
    this.pending.clear();
    for (const s of this.smscs.values()) s.close();
    for (const sid of [...this.attachments.keys()]) this.detach(sid);
    for (const sid of [...this.parked.keys()]) this.closeParked(sid);
  }
}
