/**
 * What the modem knows about itself and the network: V.250 settings, identity (IMEI, IMSI, ICCID),
 * 27.007 registration (+CREG/+CGREG/+CEREG with their URCs), functionality level, signal and PDP contexts.
 */
import type { VirtualModem } from "./virtual-modem.js";

export interface Identity {
  imei: string;
  imsi: string;
  iccid: string;
  msisdn: string;
  /** Registration state when attached: 5 (roaming, as Super SIMs are) or 1 (home). */
  homeStat: 1 | 5;
  operator: string;
  /** MCC+MNC for AT+COPS numeric format. */
  plmn: string;
}

export interface PdpContext {
  cid: number;
  type: string;
  apn: string;
  active: boolean;
}

export type RegCommand = "+CREG" | "+CGREG" | "+CEREG";

/** Luhn check digit for a 14-digit IMEI body. */
function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export const DEFAULT_IDENTITY: Identity = {
  imei: luhn("86769804123456"),
  imsi: "001010123456789",
  iccid: "8988307000001234567",
  msisdn: "+10000000001",
  homeStat: 5,
  operator: "Mock Network",
  plmn: "00101",
};

export class ModemState {
  readonly identity: Identity;
  settings = { echo: true, verbose: true, quiet: false, cmee: 0, s3: 0x0d, s4: 0x0a, s5: 0x08 };
  /** 27.007 §7.2 / §10.1.20 / §10.1.22 <stat>. */
  stat: number;
  regUrc: Record<RegCommand, number> = { "+CREG": 0, "+CGREG": 0, "+CEREG": 0 };
  /** 27.007 §8.2 <fun>. */
  cfun = 1;
  /** 27.007 §8.5 <rssi> 0–31 (99 unknown). */
  rssi = 20;
  copsFormat = 0;
  deviceIp = "0.0.0.0";
  readonly pdp = new Map<number, PdpContext>();

  constructor(private readonly modem: VirtualModem, identity: Partial<Identity> = {}) {
    this.identity = { ...DEFAULT_IDENTITY, ...identity };
    this.stat = this.identity.homeStat;
    this.pdp.set(1, { cid: 1, type: "IP", apn: "super", active: false });
  }

  /** AT&F / ATZ / power-on values. */
  resetSettings(): void {
    this.settings = { echo: true, verbose: true, quiet: false, cmee: 0, s3: 0x0d, s4: 0x0a, s5: 0x08 };
    this.regUrc = { "+CREG": 0, "+CGREG": 0, "+CEREG": 0 };
    this.modem.sms?.resetSettings();
  }

  get registered(): boolean {
    return this.cfun === 1 && (this.stat === 1 || this.stat === 5);
  }

  /** Changes <stat> and sends +CREG/+CGREG/+CEREG URCs as AT+C*REG=<n> asked. */
  setRegistration(stat: number): void {
    if (stat === this.stat) return;
    this.stat = stat;
    if (!this.registered) for (const c of this.pdp.values()) c.active = false;
    for (const cmd of Object.keys(this.regUrc) as RegCommand[]) {
      const n = this.regUrc[cmd];
      if (n > 0) this.modem.urc(`${cmd}: ${this.regFields(cmd, n, false)}`);
    }
    this.modem.emit("registration", stat);
  }

  /** The fields after "+CEREG: " (read form starts with <n>). 27.007 §10.1.22. */
  regFields(_cmd: RegCommand, n: number, read: boolean): string {
    const head = read ? `${n},${this.stat}` : `${this.stat}`;
    if (n < 2 || !(this.stat === 1 || this.stat === 5)) return head;
    // <lac>/<tac>, <ci>, <AcT> 7 (E-UTRAN; LTE-M reports 7 too, 27.007 §7.3).
    return `${head},"1A2B","01A2D101",7`;
  }

  /** AT+CFUN=<fun>: 0 minimum / 4 flight mode deregister; 1 registers again. */
  setFunctionality(fun: number): void {
    this.cfun = fun;
    this.setRegistration(fun === 1 ? this.identity.homeStat : 0);
  }

  context(cid: number): PdpContext {
    let c = this.pdp.get(cid);
    if (c === undefined) {
      c = { cid, type: "IP", apn: "", active: false };
      this.pdp.set(cid, c);
    }
    return c;
  }
}
