/**
 * Small capability interfaces every modem driver offers (the TinyGSM capability split, with typed
 * results instead of positional ints): Network, Sms, Udp, Power. Callbacks only (device code);
 * each callback is called once with an Outcome. See docs/modems.md for the support matrix.
 */
import type { ModemFamily } from "../core/limits.js";
import type { TextCodec } from "../core/text.js";

export type { ModemFamily };

/**
 * What went wrong:
 *   at          the modem answered ERROR, +CME ERROR or +CMS ERROR (`code` is <err>, -1 for ERROR)
 *   timeout     no final result code in time, or a URC that never came (+QIOPEN, registration)
 *   rejected    the modem answered, but the answer says no (+QIOPEN: <id>,<err>, +CAOPEN: <cid>,<result>)
 *   unsupported the family cannot do this (a receive mode, a power hook that was not given)
 *   pdu         an SMS PDU could not be encoded or decoded (`code` -1, the codec's code in `message`)
 *   protocol    an answer that does not parse (a missing +CMGS: <mr>, a short payload)
 */
export type ModemErrorKind = "at" | "timeout" | "rejected" | "unsupported" | "pdu" | "protocol";

export interface ModemError {
  kind: ModemErrorKind;
  /** The AT command concerned, "" when none. */
  command: string;
  /** <err> of +CME/+CMS ERROR, the modem's socket error code, or -1. */
  code: number;
  message: string;
}

export interface Failure {
  ok: false;
  error: ModemError;
}
export type Outcome<T> = { ok: true; value: T } | Failure;
export type Done<T> = (outcome: Outcome<T>) => void;

/** 27.007 §10.1.22 (+CEREG) / §7.2 (+CREG) <stat>, by name. */
export type RegistrationStat = "not-registered" | "home" | "searching" | "denied" | "unknown" | "roaming";

export interface Registration {
  stat: RegistrationStat;
  /** stat is "home" or "roaming". */
  registered: boolean;
  /** Tracking area code as the modem printed it (hex), "" when absent. */
  area: string;
  /** Cell id (hex), "" when absent. */
  cell: string;
}

export interface Signal {
  /** 27.007 §8.5 <rssi>: 0..31, 99 = not known. */
  rssi: number;
  /** rssi in dBm (-113 + 2·rssi); meaningless when `known` is false. */
  dbm: number;
  known: boolean;
}

export interface Identity {
  imei: string;
  imsi: string;
  iccid: string;
}

export interface Network {
  /** Checks the modem answers and sets it up: AT, ATE0, AT+CMEE=2, AT+CPIN? (SIM ready). */
  init(cb: Done<void>): void;
  /** Enables registration URCs (AT+CEREG=2) and polls AT+CEREG? until home or roaming. */
  register(cb: Done<Registration>): void;
  /** Defines the PDP context with the APN and activates data (family-specific commands). */
  attach(cb: Done<void>): void;
  signal(cb: Done<Signal>): void;
  identity(cb: Done<Identity>): void;
  /** Called on every +CEREG URC. One handler; a later call replaces it. */
  onRegistration(handler: (r: Registration) => void): void;
}

/** One received short message, whole (concatenated parts joined). */
export interface SmsMessage {
  /** TP-OA, e.g. "000" (Super SIM) or "+31612345678". */
  from: string;
  /** The text in the runtime's representation (ModemOptions.text); absent for 8-bit data. */
  text?: string;
  /** 8-bit user data as hex; absent for text. */
  dataHex?: string;
  /** TP-SCTS of the first part (ISO 8601). */
  timestamp: string;
  /** How many PDUs it came in. */
  parts: number;
  alphabet: "gsm7" | "ucs2" | "8bit" | "reserved";
}

export interface SmsSendOptions {
  /** Ask for a status report (TP-SRR, 3GPP TS 23.040 §9.2.3.5). Default false. */
  statusReport?: boolean;
  /** "auto" (default), "gsm7", "ucs2" (firmware/core/pdu encodeSubmit). */
  alphabet?: "auto" | "gsm7" | "ucs2";
  /** 8-bit data as hex, sent instead of `text` (which is then ignored). Default: none. */
  dataHex?: string;
}

export interface SmsSent {
  /** TP-MR of each part as the modem reported it (+CMGS: <mr>, 27.005 §3.5.1). */
  references: number[];
}

/** An SMS-STATUS-REPORT (3GPP TS 23.040 §9.2.2.3), matched to the message it reports on. */
export interface StatusReport {
  /** TP-MR: the reference +CMGS returned for that part. */
  reference: number;
  /** TP-ST (§9.2.3.15); 0x00..0x1F = delivered. */
  status: number;
  delivered: boolean;
  /** TP-RA, the recipient. */
  recipient: string;
  /** The destination of the matching send, "" when no outstanding send had this reference. */
  to: string;
}

export interface SmsStorage {
  used: number;
  total: number;
}

export interface Sms {
  /** PDU mode and indications: AT+CMGF=0, AT+CPMS, AT+CNMI; reads what the storage holds when full. */
  start(cb: Done<void>): void;
  /** Whole messages after +CMTI → AT+CMGR → decode → AT+CMGD (and reassembly). */
  onMessage(handler: (m: SmsMessage) => void): void;
  onStatusReport(handler: (r: StatusReport) => void): void;
  /** Encodes SMS-SUBMIT parts and sends each with AT+CMGS=<length>. */
  send(to: string, text: string, options: SmsSendOptions | null, cb: Done<SmsSent>): void;
  /** Reads, handles and deletes every stored message (AT+CMGL=4); the count read. */
  readAll(cb: Done<number>): void;
  /** The receive storage's use (AT+CPMS?). */
  storage(cb: Done<SmsStorage>): void;
}

/**
 * push: the payload comes with the URC (BG96 access mode 1, SIM7080 <recv_mode> 1);
 * buffer: the URC only announces data, the driver reads it (AT+QIRD, AT+CARECV, AT+USORF).
 */
export type RxMode = "push" | "buffer";

export interface UdpOpenOptions {
  /** Local port to listen on (IP Commands' device port). 0: any (SIM7080 push sockets). */
  localPort: number;
  mode: RxMode;
  /** Remote port for families that open a connected socket (SIM7080 AT+CAOPEN). Default DEFAULT_DEVICE_PORT (core/limits.ts). */
  remotePort?: number;
}

export interface UdpSocket {
  /** The modem's connection / socket id. */
  id: number;
  /** The local port, 0 when the modem picked one it does not report. */
  localPort: number;
  mode: RxMode;
}

export interface Datagram {
  socket: number;
  /** Sender address, "" when the modem does not report it (SIM7080 AT+CARECV). */
  host: string;
  /** Sender port, 0 when not reported. */
  port: number;
  data: number[];
}

export interface Udp {
  /** The receive modes this family offers. */
  modes: RxMode[];
  open(options: UdpOpenOptions, cb: Done<UdpSocket>): void;
  /** Sends `data` to ModemOptions.remoteHost (100.64.0.1) : `port`; the value is the octets sent. */
  send(socket: UdpSocket, data: number[], port: number, cb: Done<number>): void;
  /** Reads one buffered datagram (buffer mode); null when none is waiting. */
  read(socket: UdpSocket, cb: Done<Datagram | null>): void;
  close(socket: UdpSocket, cb: Done<void>): void;
  /** Every datagram received, in push and buffer mode alike. */
  onDatagram(handler: (d: Datagram) => void): void;
  /** Forgets every socket without a command (the modem was reset or powered off; Power does this). */
  forgetAll(): void;
}

/** Board hooks: toggle PWRKEY / RESET pins and call `done` when the pulse is over. */
export interface PowerHooks {
  on?: (done: () => void) => void;
  off?: (done: () => void) => void;
  reset?: (done: () => void) => void;
}

export interface Power {
  /** The `on` hook, then AT until the modem answers (ModemOptions.bootTimeout), then Network.init. */
  powerOn(cb: Done<void>): void;
  /** The family's power-down command (AT+QPOWD=1, AT+CPOWD=1, AT+CPWROFF), then the `off` hook. */
  powerOff(cb: Done<void>): void;
  /** The `reset` hook, else AT+CFUN=1,1 (27.007 §8.2); then as powerOn. */
  reset(cb: Done<void>): void;
}

export interface ModemOptions {
  /** APN of the PDP context. Default "super" (Twilio Super SIM). */
  apn?: string;
  /** PDP context id. Default 1. */
  contextId?: number;
  /** Where UDP goes. Default DEFAULT_MO_HOST (core/limits.ts), the Super SIM commands address. */
  remoteHost?: string;
  /** How long register() waits, in ms. Default 180000. */
  registrationTimeout?: number;
  /** Interval between AT+CEREG? polls and boot probes, in ms. Default 1000. */
  pollInterval?: number;
  /** How long powerOn/reset wait for the modem to answer AT, in ms. Default 15000. */
  bootTimeout?: number;
  /** Timeout of AT+CMGS, in ms. Default 60000 (Quectel documents up to 120 s). */
  smsTimeout?: number;
  /** Timeout of socket and PDP activation commands, in ms. Default 150000 (BG96 AT+QIACT / +QIOPEN). */
  dataTimeout?: number;
  /** SMS storage for reading and receiving (27.005 §3.2.2 <mem1>, <mem3>). Default "SM". */
  smsStorage?: string;
  /** Give up on a concatenated SMS this long after its first part, in ms. Default 120000. */
  reassemblyTimeout?: number;
  /** Strings of the runtime: utf16Text (Node, XS) or utf8Text (Espruino, Lua). Default utf16Text. */
  text?: TextCodec;
  /** Board power hooks. Default none. */
  power?: PowerHooks;
  /** Failures outside any call (a URC-triggered read that failed, an abandoned SMS). Default: dropped. */
  onError?: (e: ModemError) => void;
}

/** A driver: one object per capability. */
export interface Modem {
  family: ModemFamily;
  network: Network;
  sms: Sms;
  udp: Udp;
  power: Power;
}
