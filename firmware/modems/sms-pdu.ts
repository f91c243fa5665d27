/**
 * SMS in PDU mode, 3GPP TS 27.005 (the same on every family): receive (+CMTI → AT+CMGR → decode →
 * AT+CMGD, concatenated parts reassembled), send (encodeSubmit → AT+CMGS=<length> → ">" → PDU +
 * Ctrl-Z → +CMGS: <mr>) and status reports (+CDS, matched to the send by TP-MR).
 */
import type { AtEngine, AtResult, Clock } from "../at/index.js";
import { CTRL_Z, splitParams } from "../at/index.js";
import { decodePdu, encodeSubmit, tpduLength, type Abandoned } from "../core/pdu/index.js";
import type { Done, Sms, SmsMessage, SmsSendOptions, SmsSent, SmsStorage, StatusReport } from "./capabilities.js";
import { SmsSession } from "./sms-session.js";
import { asciiBytes, fail, intAt, modemError, paramsOf, quoted, step, type Settings } from "./steps.js";

/** Sends awaiting a status report, most recent last; the oldest is dropped past this many. */
const MAX_OUTSTANDING = 16;

interface Outstanding {
  reference: number;
  to: string;
}

export class PduSms implements Sms {
  private engine: AtEngine;
  private clock: Clock;
  private s: Settings;
  /** Reassembles the parts (sms-session.ts: the one order of expiry and reassembly every SMS path uses). */
  private session: SmsSession;
  private messageHandler: ((m: SmsMessage) => void) | null = null;
  private reportHandler: ((r: StatusReport) => void) | null = null;
  private outstanding: Outstanding[] = [];
  /** Concatenation reference of the next multi-part send (TS 23.040 §9.2.3.24.1). */
  private concatRef = 1;

  constructor(engine: AtEngine, clock: Clock, s: Settings) {
    this.engine = engine;
    this.clock = clock;
    this.s = s;
    this.session = new SmsSession(s.reassemblyTimeout);
    // 27.005 §3.4.1 +CMTI: <mem>,<index> (AT+CNMI <mt>=1): a message was stored.
    engine.onUrc("+CMTI:", (lines: string[]): void => {
      const index = intAt(splitParams(lines[0] as string), 1);
      if (index >= 0) this.readOne(index);
    });
    // 27.005 §3.4.1 +CDS: <length><CR><LF><pdu> (AT+CNMI <ds>=1, PDU mode).
    engine.onUrc(
      "+CDS:",
      (lines: string[]): void => {
        this.statusReport(lines.length > 1 ? (lines[1] as string) : "");
      },
      { lines: 2 },
    );
  }

  onMessage(handler: (m: SmsMessage) => void): void {
    this.messageHandler = handler;
  }

  onStatusReport(handler: (r: StatusReport) => void): void {
    this.reportHandler = handler;
  }

  start(cb: Done<void>): void {
    const e = this.engine;
    const mem = quoted(this.s.smsStorage);
    // 27.005 §3.2.3 AT+CMGF=0: PDU mode.
    step(e, "AT+CMGF=0", null, cb, () => {
      // 27.005 §3.2.2 AT+CPMS=<mem1>,<mem2>,<mem3>: read, write and receive in one storage.
      step(e, "AT+CPMS=" + mem + "," + mem + "," + mem, { prefix: "+CPMS:" }, cb, () => {
        // 27.005 §3.4.1 AT+CNMI=2,1,0,1,0: +CMTI for stored SMS-DELIVER, +CDS for status reports.
        step(e, "AT+CNMI=2,1,0,1,0", null, cb, () => {
          this.storage((o) => {
            if (!o.ok) return cb(o);
            if (o.value.total > 0 && o.value.used >= o.value.total) {
              // A full storage rejects new messages (TP-FCS 0xD3): drain it.
              this.readAll((r) => {
                cb(r.ok ? { ok: true, value: undefined } : r);
              });
              return;
            }
            cb({ ok: true, value: undefined });
          });
        });
      });
    });
  }

  storage(cb: Done<SmsStorage>): void {
    // 27.005 §3.2.2 AT+CPMS? → +CPMS: <mem1>,<used1>,<total1>,…
    step(this.engine, "AT+CPMS?", { prefix: "+CPMS:" }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+CPMS:");
      const used = p === null ? -1 : intAt(p, 1);
      const total = p === null ? -1 : intAt(p, 2);
      if (used < 0 || total < 0) return cb(fail("protocol", "AT+CPMS?", -1, "no +CPMS: <mem1>,<used1>,<total1>"));
      cb({ ok: true, value: { used: used, total: total } });
    });
  }

  readAll(cb: Done<number>): void {
    // 27.005 §3.4.2 AT+CMGL=4 (PDU mode <stat> 4: all) → +CMGL: <index>,<stat>,[<alpha>],<length><CR><LF><pdu>…
    step(this.engine, "AT+CMGL=4", { prefix: "+CMGL:", timeout: 20000 }, cb, (r: AtResult) => {
      const indexes: number[] = [];
      for (let i = 0; i < r.lines.length; i++) {
        const l = r.lines[i] as string;
        if (l.substring(0, 6) !== "+CMGL:") continue;
        const index = intAt(splitParams(l), 0);
        const pdu = r.lines[i + 1];
        if (index < 0) continue;
        indexes.push(index);
        if (pdu !== undefined && pdu.substring(0, 1) !== "+") this.handlePdu(pdu, "AT+CMGL=4");
      }
      this.deleteAll(indexes, 0, (d) => {
        cb(d.ok ? { ok: true, value: indexes.length } : d);
      });
    });
  }

  private deleteAll(indexes: number[], i: number, cb: Done<void>): void {
    if (i >= indexes.length) return cb({ ok: true, value: undefined });
    // 27.005 §3.5.4 AT+CMGD=<index>
    step(this.engine, "AT+CMGD=" + indexes[i], null, cb, () => {
      this.deleteAll(indexes, i + 1, cb);
    });
  }

  /** +CMTI: reads the message at `index`, deletes it, hands it on. */
  private readOne(index: number): void {
    const cmd = "AT+CMGR=" + index;
    // 27.005 §3.4.3 AT+CMGR=<index> → +CMGR: <stat>,[<alpha>],<length><CR><LF><pdu>
    this.engine.send(cmd, { prefix: "+CMGR:" }, (r: AtResult) => {
      if (r.kind !== "ok") {
        this.s.onError(modemError(r.kind === "timeout" ? "timeout" : "at", cmd, -1, "reading SMS " + index + " failed: " + r.kind));
        return;
      }
      let pdu = "";
      for (let i = 0; i < r.lines.length; i++) {
        const l = r.lines[i] as string;
        if (l.substring(0, 6) === "+CMGR:" && i + 1 < r.lines.length) pdu = r.lines[i + 1] as string;
      }
      // 27.005 §3.5.4 AT+CMGD=<index>: delete before handing on, so a full storage cannot build up.
      this.engine.send("AT+CMGD=" + index, null, (d: AtResult) => {
        if (d.kind !== "ok") this.s.onError(modemError("at", "AT+CMGD=" + index, -1, "deleting SMS " + index + " failed: " + d.kind));
      });
      if (pdu !== "") this.handlePdu(pdu, cmd);
    });
  }

  private handlePdu(hex: string, command: string): void {
    const d = decodePdu(hex, { smsc: true, direction: "mt", text: this.s.text });
    if (!d.ok) return this.s.onError(modemError("pdu", command, -1, d.error.code + ": " + d.error.message));
    if (d.pdu.type !== "deliver") return this.s.onError(modemError("pdu", command, -1, "not an SMS-DELIVER: " + d.pdu.type));
    const abandoned: Abandoned[] = [];
    const whole = this.session.receive(d.pdu, this.clock.now(), abandoned);
    for (let i = 0; i < abandoned.length; i++) {
      const a = abandoned[i] as Abandoned;
      this.s.onError(modemError("pdu", command, -1, "concatenated SMS " + a.key + " given up (" + a.reason + "), missing parts " + a.missing.join(",")));
    }
    if (whole !== null && this.messageHandler !== null) this.messageHandler(whole);
  }

  private statusReport(hex: string): void {
    const d = decodePdu(hex, { smsc: true, direction: "mt", text: this.s.text });
    if (!d.ok) return this.s.onError(modemError("pdu", "+CDS", -1, d.error.code + ": " + d.error.message));
    const p = d.pdu;
    if (p.type !== "status-report" || p.message_ref === undefined) return this.s.onError(modemError("pdu", "+CDS", -1, "not an SMS-STATUS-REPORT"));
    const ref = p.message_ref;
    let to = "";
    for (let i = 0; i < this.outstanding.length; i++) {
      const o = this.outstanding[i] as Outstanding;
      if (o.reference === ref) {
        to = o.to;
        this.outstanding.splice(i, 1);
        break;
      }
    }
    const status = p.status !== undefined ? p.status : 0xff;
    const report: StatusReport = { reference: ref, status: status, delivered: status <= 0x1f, recipient: p.recipient !== undefined ? p.recipient : "", to: to };
    if (this.reportHandler !== null) this.reportHandler(report);
  }

  send(to: string, text: string, options: SmsSendOptions | null, cb: Done<SmsSent>): void {
    const o: SmsSendOptions = options !== null ? options : {};
    const wantReport = o.statusReport === true;
    const ref = this.concatRef;
    this.concatRef = (this.concatRef % 255) + 1;
    const enc =
      o.dataHex !== undefined
        ? encodeSubmit({ to: to, dataHex: o.dataHex, statusReport: wantReport, ref: ref }, this.s.text)
        : encodeSubmit({ to: to, text: text, alphabet: o.alphabet !== undefined ? o.alphabet : "auto", statusReport: wantReport, ref: ref }, this.s.text);
    if (!enc.ok) return cb(fail("pdu", "", -1, enc.error.code + ": " + enc.error.message));
    this.sendParts(to, enc.parts, 0, [], wantReport, cb);
  }

  private sendParts(to: string, parts: string[], i: number, refs: number[], wantReport: boolean, cb: Done<SmsSent>): void {
    if (i >= parts.length) return cb({ ok: true, value: { references: refs } });
    const hex = parts[i] as string;
    // 27.005 §3.5.1 AT+CMGS=<length> (TPDU octets, SMSC field excluded) → "> " → <pdu><ctrl-Z> → +CMGS: <mr>
    const cmd = "AT+CMGS=" + tpduLength(hex);
    step(this.engine, cmd, { prefix: "+CMGS:", payload: asciiBytes(hex), terminator: CTRL_Z, timeout: this.s.smsTimeout }, cb, (r: AtResult) => {
      const p = paramsOf(r.lines, "+CMGS:");
      const mr = p === null ? -1 : intAt(p, 0);
      if (mr < 0) return cb(fail("protocol", cmd, -1, "no +CMGS: <mr>"));
      refs.push(mr);
      if (wantReport) {
        this.outstanding.push({ reference: mr, to: to });
        if (this.outstanding.length > MAX_OUTSTANDING) this.outstanding.shift();
      }
      this.sendParts(to, parts, i + 1, refs, wantReport, cb);
    });
  }
}
