/**
 * SMS in the modem (3GPP TS 27.005, PDU mode): message storages with a capacity, new-message
 * indications per AT+CNMI, and the mock network's SMS path (docs/mock-network.md): SMS-DELIVER and
 * SMS-STATUS-REPORT TPDUs arrive as datagrams, SMS-SUBMIT and SMS-DELIVER-REPORT leave as datagrams.
 */
import type { Socket } from "node:dgram";
import { bytesToHex } from "../../firmware/core/hex.js";
import { writeSmsc } from "../../firmware/core/pdu/address.js";
import { deliverReport, FCS_MEMORY_EXCEEDED } from "../../firmware/core/pdu/deliver-report.js";
import { decodePdu } from "../pdu/index.js";
import { addressOf, bindLoopback, closeSocket, parseAddress } from "../device-host/udp.js";
import { CMS } from "./types.js";
import type { VirtualModem } from "./virtual-modem.js";

/** Type of address 0x91: international number, ISDN numbering plan (TS 24.008 §10.5.4.7). */
const TON_INTERNATIONAL_ISDN = 0x91;

/** 27.005 §3.1 <stat> in PDU mode: 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT. */
export type SmsStat = 0 | 1 | 2 | 3;

export interface StoredSms {
  stat: SmsStat;
  /** Hex, starting with the SMSC field. */
  pdu: string;
  /** TPDU octets (without the SMSC field), the <length> of +CMGR/+CMGL. */
  length: number;
}

export const STORAGES = ["SM", "ME"] as const;
export type StorageName = (typeof STORAGES)[number];

export class SmsStorage {
  readonly slots = new Map<number, StoredSms>();
  constructor(readonly name: StorageName, readonly capacity: number) {}
  used(): number {
    return this.slots.size;
  }
  /** Stores at the lowest free index (1-based); undefined when full. */
  put(m: StoredSms): number | undefined {
    for (let i = 1; i <= this.capacity; i++) {
      if (!this.slots.has(i)) {
        this.slots.set(i, m);
        return i;
      }
    }
    return undefined;
  }
}

/** The SMSC field (27.005 §3.1 <pdu>, TS 24.011 RP-address) for an international number, as hex. */
export function smscField(number: string): string {
  return bytesToHex(writeSmsc(number, TON_INTERNATIONAL_ISDN));
}

/** Whether `number` fits the SMSC field: at most 20 semi-octet digits after an optional '+' (TS 24.011 §8.2.5.1). */
export function isSmscNumber(number: string): boolean {
  try {
    smscField(number);
    return true;
  } catch {
    return false;
  }
}

/** An SMS-DELIVER-REPORT as a datagram: RP-ACK, or RP-ERROR with `failureCause` (firmware/core/pdu/deliver-report.ts). */
function deliverReportDatagram(failureCause?: number): Buffer {
  return Buffer.from(deliverReport(failureCause));
}

export class SmsService {
  readonly storages: Record<StorageName, SmsStorage>;
  /** AT+CPMS <mem1> (read, delete), <mem2> (write, send), <mem3> (receive). */
  cpms: [StorageName, StorageName, StorageName] = ["SM", "SM", "SM"];
  /** AT+CNMI <mode>,<mt>,<bm>,<ds>,<bfr>. */
  cnmi: number[] = [2, 1, 0, 0, 0];
  cmgf = 0;
  /** AT+CSMP <fo>,<vp>,<pid>,<dcs> (text mode parameters; kept for the read command). */
  csmp = [17, 167, 0, 0];
  /** The number the modem stores as SMSC (AT+CSCA) and puts before received TPDUs. */
  smscNumber = "+15555550100";
  private mr = 0;
  private udp: Socket | undefined;

  constructor(private readonly modem: VirtualModem, capacity: number) {
    this.storages = { SM: new SmsStorage("SM", capacity), ME: new SmsStorage("ME", capacity) };
  }

  /** The real address the network sends TPDUs to. */
  get address(): string {
    return this.udp === undefined ? "127.0.0.1:0" : addressOf(this.udp);
  }

  async start(): Promise<void> {
    this.udp = await bindLoopback();
    this.udp.on("message", (msg) => this.receive(msg));
  }

  async close(): Promise<void> {
    if (this.udp !== undefined) await closeSocket(this.udp);
    this.udp = undefined;
  }

  resetSettings(): void {
    this.cnmi = [...this.modem.dialect.cnmiDefault];
    this.cmgf = 0;
    this.cpms = ["SM", "SM", "SM"];
  }

  storage(i: 0 | 1 | 2): SmsStorage {
    return this.storages[this.cpms[i]];
  }

  isFull(s: SmsStorage): boolean {
    return this.modem.faults.storageFull || s.used() >= s.capacity;
  }

  /** Stores in <mem2> (AT+CMGW); the index, or a +CMS error code. */
  write(m: StoredSms): number | { cms: number } {
    const s = this.storage(1);
    if (this.isFull(s)) return { cms: CMS.memoryFull };
    return s.put(m) ?? { cms: CMS.memoryFull };
  }

  private toNetwork(tpdu: Buffer): boolean {
    const smsc = this.modem.sockets.attachInfo?.smsc;
    if (this.udp === undefined || smsc === undefined) return false;
    const a = parseAddress(smsc);
    this.udp.send(tpdu, a.port, a.host);
    return true;
  }

  /**
   * Sends an SMS-SUBMIT (PDU with SMSC field, as AT+CMGS takes it) after setting TP-MR;
   * resolves to the message reference or a +CMS error code. 27.005 §3.5.1.
   */
  submit(hex: string, declaredLength: number): number | { cms: number } {
    const clean = hex.replace(/\s+/g, "");
    if (!/^([0-9A-Fa-f]{2})+$/.test(clean)) return { cms: CMS.invalidPduParameter };
    const octets = Buffer.from(clean, "hex");
    const smscLen = octets[0] as number;
    const tpdu = Buffer.from(octets.subarray(1 + smscLen));
    if (tpdu.length !== declaredLength || tpdu.length < 2 || ((tpdu[0] as number) & 0x03) !== 0x01) return { cms: CMS.invalidPduParameter };
    try {
      decodePdu(tpdu.toString("hex"), { smsc: false, direction: "mo" });
    } catch {
      return { cms: CMS.invalidPduParameter };
    }
    if (!this.modem.state.registered) return { cms: CMS.noNetworkService };
    const mr = this.mr;
    this.mr = (this.mr + 1) & 0xff;
    tpdu[1] = mr; // TP-MR is set by the mobile (TS 23.040 §9.2.3.6)
    if (!this.toNetwork(tpdu)) return { cms: CMS.noNetworkService };
    this.modem.emit("sms-submit", tpdu);
    return mr;
  }

  /** A TPDU from the network: SMS-DELIVER (MTI 0) or SMS-STATUS-REPORT (MTI 2). */
  private receive(tpdu: Buffer): void {
    if (!this.modem.state.registered || tpdu.length < 1) return; // not reachable: the SMSC retries
    const mti = (tpdu[0] as number) & 0x03;
    const pdu = smscField(this.smscNumber) + tpdu.toString("hex").toUpperCase();
    const urcs = this.cnmi[0] !== 0;
    if (mti === 0) {
      const mt = this.cnmi[1] ?? 0;
      if (mt === 2 || mt === 3) {
        // 27.005 §3.4.1 <mt>=2: routed to the TE as +CMT, not stored; the modem acknowledges itself (+CSMS 0).
        if (urcs) this.modem.urc([`+CMT: ,${tpdu.length}`, pdu]);
        this.toNetwork(deliverReportDatagram());
        this.modem.emit("sms-deliver", tpdu);
        return;
      }
      const s = this.storage(2);
      const index = this.isFull(s) ? undefined : s.put({ stat: 0, pdu, length: tpdu.length });
      if (index === undefined) {
        this.toNetwork(deliverReportDatagram(FCS_MEMORY_EXCEEDED));
        this.modem.emit("sms-rejected", tpdu);
        return;
      }
      if (mt === 1 && urcs) this.modem.urc(`+CMTI: "${s.name}",${index}`);
      this.toNetwork(deliverReportDatagram());
      this.modem.emit("sms-deliver", tpdu);
      return;
    }
    if (mti === 2) {
      const ds = this.cnmi[3] ?? 0;
      if (ds === 1 && urcs) this.modem.urc([`+CDS: ${tpdu.length}`, pdu]);
      else if (ds === 2) {
        const s = this.storage(2);
        const index = this.isFull(s) ? undefined : s.put({ stat: 0, pdu, length: tpdu.length });
        if (index !== undefined && urcs) this.modem.urc(`+CDSI: "${s.name}",${index}`);
      }
      this.modem.emit("sms-status-report", tpdu);
    }
  }
}
