/**
 * TPDU decoding, 3GPP TS 23.040 §9.2.2 (one function per message type), with the optional
 * leading SMSC field of 27.005 PDU mode.
 */
import { malformed, toErrorInfo, warning, type PduErrorInfo, type PduWarning } from "../errors.js";
import { bytesToHex, hexToBytes } from "../hex.js";
import type { TextCodec } from "../text.js";
import { readAddress, readSmsc } from "./address.js";
import { decodeDcs } from "./dcs.js";
import { Reader } from "./reader.js";
import { readTimestamp } from "./timestamp.js";
import { readUdh } from "./udh.js";
import type { Direction, Pdu, PduType } from "./types.js";
import { addWarnings, readUserData } from "./user-data.js";
import { readValidity } from "./validity.js";

export interface DecodeOptions {
  /** True when the hex starts with the SMSC field, as AT+CMGR / +CMT return it. */
  smsc: boolean;
  /**
   * Which side sent the TPDU. "auto" reads MTI 0 as SMS-DELIVER, 1 as SMS-SUBMIT and 2 as
   * SMS-STATUS-REPORT; "mt" and "mo" follow TS 23.040 §9.2.3.1 exactly.
   */
  direction: Direction | "auto";
  text: TextCodec;
}

export type DecodeResult = { ok: true; pdu: Pdu } | { ok: false; error: PduErrorInfo };

const STATUS_TEXT = ["completed", "temporary-error", "permanent-error", "temporary-error-final"];

/** TP-MTI × direction → type (TS 23.040 §9.2.3.1). */
function typeOf(mti: number, direction: Direction | "auto"): PduType | null {
  if (mti === 0) return direction === "mo" ? "deliver-report" : "deliver";
  if (mti === 1) return direction === "mt" ? "submit-report" : "submit";
  if (mti === 2) return direction === "mo" ? "command" : "status-report";
  return null; // 3 is reserved
}

function readDcs(r: Reader, pdu: Pdu): { alphabet: "gsm7" | "8bit" | "ucs2" | "reserved"; compressed: boolean } {
  const dcs = r.u8("data coding scheme");
  const info = decodeDcs(dcs);
  pdu.dcs = dcs;
  pdu.dcs_info = info;
  return info;
}

/** SMS-DELIVER, §9.2.2.1. Built as one literal so every DELIVER has the same shape (fast on V8); readUserData fills in udl. */
function deliver(r: Reader, smsc: string | null, fo: number, text: TextCodec): Pdu {
  const oaAt = r.pos;
  const oa = readAddress(r, "originating address", text);
  const pid = r.u8("protocol identifier");
  const dcs = r.u8("data coding scheme");
  const info = decodeDcs(dcs);
  const timestamp = readTimestamp(r, "service centre time stamp");
  const pdu: Pdu = {
    type: "deliver",
    smsc: smsc,
    originator: oa,
    originator_toa: r.bytes[oaAt + 1] as number,
    first_octet: fo,
    more_messages: (fo & 0x04) === 0, // TP-MMS: 0 = more messages are waiting (§9.2.3.2)
    reply_path: (fo & 0x80) !== 0,
    status_report_indication: (fo & 0x20) !== 0,
    pid: pid,
    dcs: dcs,
    dcs_info: info,
    timestamp: timestamp,
    udl: 0, // set by readUserData
  };
  readUserData(r, pdu, (fo & 0x40) !== 0, info.alphabet, info.compressed, text);
  return pdu;
}

/** SMS-SUBMIT, §9.2.2.2. One literal, as for DELIVER. */
function submit(r: Reader, smsc: string | null, fo: number, text: TextCodec): Pdu {
  const mr = r.u8("message reference");
  const daAt = r.pos;
  const da = readAddress(r, "destination address", text);
  const pid = r.u8("protocol identifier");
  const dcs = r.u8("data coding scheme");
  const info = decodeDcs(dcs);
  const vp = readValidity(r, (fo >>> 3) & 3);
  const pdu: Pdu = {
    type: "submit",
    smsc: smsc,
    destination: da,
    destination_toa: r.bytes[daAt + 1] as number,
    first_octet: fo,
    reject_duplicates: (fo & 0x04) !== 0,
    reply_path: (fo & 0x80) !== 0,
    status_report_request: (fo & 0x20) !== 0,
    message_ref: mr,
    pid: pid,
    dcs: dcs,
    dcs_info: info,
    validity_period: vp,
    udl: 0, // set by readUserData
  };
  readUserData(r, pdu, (fo & 0x40) !== 0, info.alphabet, info.compressed, text);
  return pdu;
}

/** Reads TP-PI and its extension octets (bit 7 = another PI octet follows, §9.2.3.27). */
function readPi(r: Reader, pdu: Pdu): number {
  const pi = r.u8("parameter indicator");
  pdu.parameter_indicator = pi;
  let ext = pi;
  while ((ext & 0x80) !== 0) ext = r.u8("parameter indicator extension");
  return pi;
}

/** The fields TP-PI announces: TP-PID, TP-DCS, TP-UDL + TP-UD (§9.2.3.27). */
function piFields(r: Reader, pdu: Pdu, fo: number, text: TextCodec, pi: number): void {
  if ((pi & 1) !== 0) pdu.pid = r.u8("protocol identifier");
  let alphabet: "gsm7" | "8bit" | "ucs2" | "reserved" = "gsm7";
  let compressed = false;
  if ((pi & 2) !== 0) {
    const d = readDcs(r, pdu);
    alphabet = d.alphabet;
    compressed = d.compressed;
  }
  if ((pi & 4) !== 0) {
    readUserData(r, pdu, (fo & 0x40) !== 0, alphabet, compressed, text);
  }
}

/** SMS-STATUS-REPORT, §9.2.2.3. */
function statusReport(r: Reader, pdu: Pdu, fo: number, text: TextCodec): void {
  pdu.more_messages = (fo & 0x04) === 0;
  pdu.status_report_qualifier = (fo & 0x20) !== 0 ? "command" : "submit"; // TP-SRQ §9.2.3.26
  pdu.message_ref = r.u8("message reference");
  const raAt = r.pos;
  pdu.recipient = readAddress(r, "recipient address", text);
  pdu.recipient_toa = r.bytes[raAt + 1] as number;
  pdu.timestamp = readTimestamp(r, "service centre time stamp");
  pdu.discharge_time = readTimestamp(r, "discharge time");
  const st = r.u8("status");
  pdu.status = st;
  // TP-ST bits 6-5 give the class of outcome; 0x80-0xFF are reserved (§9.2.3.15).
  pdu.status_text = st >= 0x80 ? "reserved" : (STATUS_TEXT[(st >>> 5) & 3] as string);
  if (r.remaining() > 0) piFields(r, pdu, fo, text, readPi(r, pdu)); // TP-PI onwards is optional
}

/** SMS-SUBMIT-REPORT (§9.2.2.2a) and SMS-DELIVER-REPORT (§9.2.2.1a). */
function report(r: Reader, pdu: Pdu, fo: number, text: TextCodec, withTimestamp: boolean): void {
  // TP-FCS is present only in the RP-ERROR variant, which the TPDU itself does not mark. The
  // octet is read as TP-FCS when it cannot be a TP-PI: bit 7 set (FCS values are 0x80-0xFF,
  // §9.2.3.22) or any of TP-PI's reserved bits 6-3 set (§9.2.3.27).
  if (r.remaining() > 1 && ((r.bytes[r.pos] as number) & 0xf8) !== 0) pdu.failure_cause = r.u8("failure cause");
  const pi = readPi(r, pdu);
  if (withTimestamp) pdu.timestamp = readTimestamp(r, "service centre time stamp");
  piFields(r, pdu, fo, text, pi);
}

/** SMS-COMMAND, §9.2.2.4. */
function command(r: Reader, pdu: Pdu, fo: number, text: TextCodec): void {
  pdu.status_report_request = (fo & 0x20) !== 0;
  pdu.message_ref = r.u8("message reference");
  pdu.pid = r.u8("protocol identifier");
  pdu.command_type = r.u8("command type");
  pdu.message_number = r.u8("message number");
  const daAt = r.pos;
  pdu.destination = readAddress(r, "destination address", text);
  pdu.destination_toa = r.bytes[daAt + 1] as number;
  const at = r.pos;
  const cdl = r.u8("command data length");
  const w: PduWarning[] = [];
  // §9.2.3.20: at most 157 octets; the octets it announces are still read when present
  if (cdl > 157) w.push(warning("cdl-too-long", "command data length " + cdl + " exceeds 157", at));
  const cdAt = r.pos;
  pdu.command_data_hex = bytesToHex(r.take(cdl, "command data"));
  // TP-UDHI: TP-CD starts with a header (§9.2.2.4, §9.2.3.24); command_data_hex keeps all of TP-CD
  if ((fo & 0x40) !== 0) {
    if (cdl === 0) w.push(warning("udhi-empty", "TP-UDHI is set but the command data is empty", at));
    else pdu.udh = readUdh(r.bytes, cdAt, cdAt + cdl, w).udh;
  }
  addWarnings(pdu, w);
}

function decodeBytes(bytes: number[], end: number, options: DecodeOptions): Pdu {
  const r = new Reader(bytes, 0, end);
  let smsc: string | null = null;
  let smscToa: number | undefined = undefined;
  if (options.smsc) {
    smsc = readSmsc(r, options.text);
    if (smsc !== null) smscToa = r.bytes[1] as number; // the octet after the SMSC length
  }
  const foAt = r.pos;
  const fo = r.u8("first octet");
  const type = typeOf(fo & 3, options.direction);
  if (type === null) throw malformed("reserved-mti", "message type indicator 3 is reserved", foAt);
  const text = options.text;
  let pdu: Pdu;
  if (type === "deliver") pdu = deliver(r, smsc, fo, text);
  else if (type === "submit") pdu = submit(r, smsc, fo, text);
  else {
    pdu = { type: type, smsc: smsc, first_octet: fo };
    if (type === "status-report") statusReport(r, pdu, fo, text);
    else if (type === "command") command(r, pdu, fo, text);
    else report(r, pdu, fo, text, type === "submit-report");
  }
  if (smscToa !== undefined) pdu.smsc_toa = smscToa;
  // The length fields are authoritative (TP-UDL §9.2.3.16, TP-CDL §9.2.3.20): what follows is not read
  if (r.remaining() > 0) addWarnings(pdu, [warning("trailing-octets", r.remaining() + " octets follow the TPDU", r.pos)]);
  return pdu;
}

/**
 * Decodes a PDU given as octets — the first `length` of them (default: all); never throws and
 * never keeps a reference to `bytes`, so a caller may reuse one buffer for every call.
 */
export function decodeOctets(bytes: number[], options: DecodeOptions, length?: number): DecodeResult {
  try {
    return { ok: true, pdu: decodeBytes(bytes, length !== undefined ? length : bytes.length, options) };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

/** Decodes a PDU given as hex; never throws. */
export function decodePdu(hex: string, options: DecodeOptions): DecodeResult {
  try {
    const bytes = hexToBytes(hex);
    return { ok: true, pdu: decodeBytes(bytes, bytes.length, options) };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}
