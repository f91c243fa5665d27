/**
 * The SMSC of one SIM (docs/mock-network.md "SMS over the mock network"): one bare binary TPDU per
 * datagram. MT: a queue of messages, one SMS-DELIVER outstanding at a time, resent after `smsRetryMs`
 * without a DELIVER-REPORT (at most `smsMaxResends` times), kept while the SIM is detached — until the head
 * of the queue expires (`smsValidityMs` after it was queued; a timer fires then even if nothing else
 * happens). MO: SMS-SUBMITs reassembled and handed to the handler of their destination (Network.moSmsHandler);
 * STATUS-REPORT per part when TP-SRR is set.
 */
import { randomInt } from "node:crypto";
import { codePointsToSeptets } from "../../../firmware/core/gsm7.js";
import { MAX_SMS_OCTETS } from "../../../firmware/core/limits.js";
import { decodePdu, encodePdu, encodeSubmit, Reassembler, type Pdu, type PduInput } from "../../pdu/index.js";
import { mtFate } from "./conditions.js";
import { hexField } from "./event-fields.js";
import type { Endpoint, Network, NetSim, NetTimer } from "./index.js";

/** The most bytes of a binary (8-bit data) SMS. */
export const MAX_BINARY_SMS_BYTES = MAX_SMS_OCTETS;

export interface SmsMessage {
  /** TP-OA of the SMS-DELIVER: "000" (Super SIM) or "2936" (Wireless). */
  originator: string;
  /** Text (GSM 7-bit when it fits, else UCS2); or `dataHex` (8-bit data). */
  text?: string;
  dataHex?: string;
  /** Whether the modem's DELIVER-REPORT makes it `delivered` (onDelivered). Default true. */
  receipt?: boolean;
  /** The resource it belongs to (Command SID, Message SID), carried as `ref` by the SMSC's events about it. */
  ref?: string;
}

export interface SmsHandlers {
  onSent?(): void;
  onDelivered?(): void;
  /** reason: "no-delivery-report" | "rejected" | "expired" | "encode-error" | "closed". */
  onFailed?(reason: string, message: string): void;
}

export interface MoSms {
  destination: string;
  text?: string;
  dataHex?: string;
  parts: Pdu[];
}

export type MoSmsHandler = (sim: NetSim, m: MoSms) => void;

/** True when `text` fits one SMS: 160 GSM 7-bit septets (extension chars count 2) or 70 UCS2 code units. */
export function smsFits(text: string): boolean {
  try {
    return encodeSubmit({ to: "000", text, includeSmsc: false, maxParts: 1 }).length === 1;
  } catch {
    return false;
  }
}

/**
 * How long a text is the way the platforms count it: GSM 7-bit default-alphabet septets (an extension-table
 * character costs 2, TS 23.038 §6.2.1.1) when every character is in that alphabet, else UCS-2 code units.
 */
export function smsTextLength(text: string): { alphabet: "gsm7" | "ucs2"; length: number } {
  const cps: number[] = [];
  for (const ch of text) cps.push(ch.codePointAt(0) as number);
  const septets = codePointsToSeptets(cps, 0, 0);
  return septets === null ? { alphabet: "ucs2", length: text.length } : { alphabet: "gsm7", length: septets.length };
}

interface Pending {
  parts: Buffer[];
  next: number;
  sends: number;
  sent: boolean;
  receipt: boolean;
  handlers: SmsHandlers;
  expiresAt: number;
  /** `{ref}` of the message for its events, or nothing. */
  tag: { ref?: string };
}

function scts(d: Date): string {
  return d.toISOString().slice(0, 19) + "+00:00";
}

/** SMS-DELIVER TPDUs (binary, no SMSC field) for a message, segmented with the concat UDH when needed. */
export function deliverTpdus(m: SmsMessage, now: Date, ref: number): Buffer[] {
  const submits = encodeSubmit({ to: "000", text: m.text, dataHex: m.dataHex, includeSmsc: false, ref });
  return submits.map((hex) => {
    const s = decodePdu(hex, { smsc: false, direction: "mo" });
    const d: PduInput = { type: "deliver", originator: m.originator, pid: 0, dcs: s.dcs, timestamp: scts(now), udh: s.udh, text: s.text, data_hex: s.data_hex };
    return Buffer.from(encodePdu(d, { smsc: false }), "hex");
  });
}

export class Smsc {
  readonly queue: Pending[] = [];
  private timer: NetTimer | null = null;
  /** While the SIM cannot take SMS: fires when the head of the queue expires. */
  private expiry: NetTimer | null = null;
  private inFlight = false;
  private readonly reassembler = new Reassembler({ timeoutMs: 120000, maxPending: 8 });

  constructor(
    private readonly net: Network,
    private readonly sid: string,
  ) {}

  enqueue(m: SmsMessage, handlers: SmsHandlers): { parts: number } {
    let parts: Buffer[];
    try {
      parts = deliverTpdus(m, new Date(this.net.now()), randomInt(256));
    } catch (e) {
      this.net.later(0, () => handlers.onFailed?.("encode-error", (e as Error).message));
      return { parts: 0 };
    }
    const tag = m.ref === undefined ? {} : { ref: m.ref };
    this.queue.push({ parts, next: 0, sends: 0, sent: false, receipt: m.receipt !== false, handlers, expiresAt: this.net.now() + this.net.conditions.smsValidityMs, tag });
    this.net.later(0, () => this.kick());
    return { parts: parts.length };
  }

  private endpoint(): { sock: NonNullable<ReturnType<Network["attachments"]["get"]>>["smsc"]; to: Endpoint } | null {
    const a = this.net.attachments.get(this.sid);
    if (!a || !a.smsc || !a.sms) return null;
    return { sock: a.smsc, to: a.sms };
  }

  /** Sends the head of the queue when the SIM can take it and nothing is outstanding. */
  kick(): void {
    if (this.inFlight) return;
    const now = this.net.now();
    while (this.queue.length > 0 && (this.queue[0] as Pending).expiresAt <= now) {
      const p = this.queue.shift() as Pending;
      this.net.events.emit("sms.failed", { sim_sid: this.sid, ...p.tag, reason: "expired" });
      p.handlers.onFailed?.("expired", "The SMS expired in the SMSC before the SIM attached");
    }
    const head = this.queue[0];
    this.net.cancel(this.expiry);
    this.expiry = null;
    if (!head) return;
    if (!this.endpoint()) {
      this.expiry = this.net.later(head.expiresAt - now, () => {
        this.expiry = null;
        this.kick();
      });
      return;
    }
    this.inFlight = true;
    const fate = mtFate(this.net.powerOf(this.sid), "sms", now);
    this.timer = this.net.later(fate.delayMs + this.net.latencyOf(this.sid), () => this.transmit(head));
  }

  private transmit(p: Pending): void {
    const ep = this.endpoint();
    if (!ep || this.queue[0] !== p) {
      this.inFlight = false;
      return;
    }
    p.sends++;
    const tpdu = p.parts[p.next] as Buffer;
    const afterSend = (): void => {
      if (!p.sent) {
        p.sent = true;
        p.handlers.onSent?.();
      }
      this.timer = this.net.later(this.net.conditions.smsRetryMs, () => this.noReport(p));
    };
    const sent = { sim_sid: this.sid, ...p.tag, part: p.next + 1, parts: p.parts.length, attempt: p.sends, tpdu: tpdu.toString("hex").toUpperCase() };
    if (this.net.lost(this.sid)) {
      this.net.events.emit("sms.lost", { ...sent, direction: "mt", reason: "loss" });
      afterSend();
      return;
    }
    ep.sock?.send(tpdu, ep.to.port, ep.to.host, () => {
      this.net.events.emit("sms.deliver.sent", sent);
      afterSend();
    });
  }

  private noReport(p: Pending): void {
    this.inFlight = false;
    if (this.queue[0] !== p) return;
    if (p.sends > this.net.conditions.smsMaxResends) {
      this.queue.shift();
      this.net.events.emit("sms.failed", { sim_sid: this.sid, ...p.tag, reason: "no-delivery-report", sends: p.sends });
      p.handlers.onFailed?.("no-delivery-report", `No delivery report after ${p.sends} attempts`);
    }
    this.kick();
  }

  /** Detached: stop waiting; the current part is sent again after the next attach. */
  pause(): void {
    this.net.cancel(this.timer);
    this.timer = null;
    this.inFlight = false;
  }

  close(): void {
    this.pause();
    this.net.cancel(this.expiry);
    this.expiry = null;
    this.queue.length = 0;
  }

  /** A datagram from the modem to the `smsc` address. */
  onDatagram(msg: Buffer, from: Endpoint): void {
    const lost = (reason: string): void => void this.net.events.emit("sms.lost", { sim_sid: this.sid, ...this.reportTag(msg), direction: "mo", reason, ...hexField(msg, "tpdu") });
    if (!this.net.isAttached(this.sid)) return lost("detached");
    if (this.net.lost(this.sid)) return lost("loss");
    this.net.later(this.net.latencyOf(this.sid), () => this.handle(msg, from));
  }

  /** A DELIVER-REPORT belongs to the message in flight: `{ref}` of that message, else nothing. */
  private reportTag(msg: Buffer): { ref?: string } {
    const head = this.queue[0];
    if (!this.inFlight || head === undefined || msg.length > 176) return {};
    try {
      return decodePdu(msg.toString("hex"), { smsc: false, direction: "mo" }).type === "deliver-report" ? head.tag : {};
    } catch {
      return {};
    }
  }

  private handle(msg: Buffer, _from: Endpoint): void {
    let pdu: Pdu;
    try {
      pdu = decodePdu(msg.toString("hex"), { smsc: false, direction: "mo" });
    } catch (e) {
      this.net.events.emit("sms.malformed", { sim_sid: this.sid, error: (e as Error).message, tpdu: msg.toString("hex") });
      return;
    }
    if (pdu.type === "deliver-report") return this.onReport(pdu, msg);
    if (pdu.type === "submit") return this.onSubmit(pdu, msg);
    this.net.events.emit("sms.unexpected", { sim_sid: this.sid, pdu_type: pdu.type });
  }

  private onReport(pdu: Pdu, msg: Buffer): void {
    const p = this.queue[0];
    if (!p || !this.inFlight) return;
    this.net.cancel(this.timer);
    this.timer = null;
    this.inFlight = false;
    if (pdu.failure_cause !== undefined) {
      this.queue.shift();
      this.net.events.emit("sms.failed", { sim_sid: this.sid, ...p.tag, reason: "rejected", failure_cause: pdu.failure_cause, ...hexField(msg, "tpdu") });
      p.handlers.onFailed?.("rejected", `The device rejected the SMS (TP-FCS 0x${pdu.failure_cause.toString(16)})`);
    } else if (++p.next >= p.parts.length) {
      this.queue.shift();
      this.net.events.emit("sms.delivered", { sim_sid: this.sid, ...p.tag, parts: p.parts.length, receipt: p.receipt, ...hexField(msg, "tpdu") });
      if (p.receipt) p.handlers.onDelivered?.();
    } else {
      p.sends = 0;
    }
    this.kick();
  }

  private onSubmit(pdu: Pdu, msg: Buffer): void {
    const dest = (pdu.destination ?? "").replace(/^\+/, "");
    const handler = this.net.moSmsHandler(dest);
    this.net.events.emit("sms.submit.received", { sim_sid: this.sid, destination: dest, message_ref: pdu.message_ref ?? 0, routed: handler !== undefined, ...hexField(msg, "tpdu") });
    if (pdu.status_report_request) this.statusReport(pdu, handler !== undefined ? 0x00 : 0x41);
    if (!handler) return;
    const whole = this.reassembler.add(pdu, this.net.now(), []);
    const sim = this.net.sims.get(this.sid);
    if (!whole || !sim) return;
    handler(sim, { destination: dest, text: whole.text, dataHex: whole.data_hex, parts: whole.parts });
  }

  private statusReport(submit: Pdu, status: number): void {
    const ep = this.endpoint();
    if (!ep) return;
    const now = scts(new Date(this.net.now()));
    const hex = encodePdu(
      { type: "status-report", message_ref: submit.message_ref ?? 0, recipient: submit.destination ?? "", timestamp: now, discharge_time: now, status },
      { smsc: false },
    );
    const tpdu = Buffer.from(hex, "hex");
    const hexUpper = tpdu.toString("hex").toUpperCase();
    this.net.later(this.net.latencyOf(this.sid), () => {
      if (this.net.lost(this.sid)) {
        this.net.events.emit("sms.lost", { sim_sid: this.sid, direction: "mt", reason: "loss", tpdu: hexUpper });
        return;
      }
      ep.sock?.send(tpdu, ep.to.port, ep.to.host, () =>
        this.net.events.emit("sms.status_report.sent", { sim_sid: this.sid, message_ref: submit.message_ref ?? 0, status, tpdu: hexUpper }),
      );
    });
  }
}
