/**
 * SMS-SUBMIT from text or data: alphabet choice, national language shift tables and segmentation
 * into concatenated parts (3GPP TS 23.040 §9.2.3.24.1, TS 23.038 §6.2.1.2.4).
 */
import { malformed, toErrorInfo, type PduErrorInfo } from "../errors.js";
import { codePointsToSeptets, septetCost } from "../gsm7.js";
import { lockingShiftTable, NATIONAL_LANGUAGES, singleShiftTable } from "../gsm7-tables.js";
import { hexToBytes, bytesToHex } from "../hex.js";
import { MAX_SMS_OCTETS, MAX_SMS_SEPTETS } from "../limits.js";
import type { TextCodec } from "../text.js";
import { writeSmsc } from "./address.js";
import { makeDcs } from "./dcs.js";
import { submitTpdu, type PduInput } from "./encode-submit.js";
import type { Alphabet, Udh, ValidityPeriod } from "./types.js";
import { relativeFromMinutes } from "./validity.js";

export interface SubmitOptions {
  /** Destination: "+31612345678" (international), "2936" / "000" (short codes), or text (alphanumeric). Required. */
  to: string;
  /** The message text. Exactly one of `text` and `dataHex`. */
  text?: string;
  /** 8-bit data as hex. */
  dataHex?: string;
  /** "auto" (default): GSM 7-bit when the text fits its tables (trying `language`'s shift tables, then each national language), else UCS2. */
  alphabet?: "auto" | "gsm7" | "ucs2" | "8bit";
  /** National language id for GSM 7-bit (TS 23.038 Annex A: 1 Turkish, 2 Spanish, 3 Portuguese). Default: none, except that "auto" tries them when the default table cannot carry the text. */
  language?: number;
  /** SMSC number for the SMSC field. Default: none (field 00: the modem's stored SMSC). */
  smsc?: string;
  /** Prefix each PDU with the SMSC field, as AT+CMGS in PDU mode expects (27.005 §3.5.1). Default: true. */
  includeSmsc?: boolean;
  /** Ask for a status report (TP-SRR). Default: false. */
  statusReport?: boolean;
  /** Relative validity period in minutes, rounded up to the next TP-VP step (§9.2.3.12.1). Default: none. */
  validityMinutes?: number;
  /** TP-MR of the first part, incremented per part (the modem usually overrides it). Default: 0. */
  messageRef?: number;
  /** Concatenation reference shared by all parts. Default: 0; callers should vary it per message. */
  ref?: number;
  /** Use the 16-bit reference element (IEI 0x08) instead of the 8-bit one (IEI 0x00). Default: false. */
  concat16?: boolean;
  /** Application port addressing (IEI 0x04 when both ports < 256 and bits is 8, else 0x05). Default: none. */
  ports?: { dest: number; src: number; bits?: number };
  /** Message class 0-3 in TP-DCS. Default: none. */
  messageClass?: number;
  /** TP-PID. Default: 0. */
  pid?: number;
  /** TP-RD. Default: false. */
  rejectDuplicates?: boolean;
  /** Largest number of parts allowed. Default: 255 (the element's limit). */
  maxParts?: number;
}

export type SubmitResult = { ok: true; parts: string[] } | { ok: false; error: PduErrorInfo };

interface Plan {
  alphabet: Alphabet;
  locking: number;
  single: number;
}

function fitsGsm(cps: number[], locking: number, single: number): boolean {
  return codePointsToSeptets(cps, locking, single) !== null;
}

/** Picks the alphabet and shift tables (TS 23.038 §6.2.1.2.4: single shift first, then locking). */
function plan(o: SubmitOptions, cps: number[]): Plan {
  const a = o.alphabet === undefined ? "auto" : o.alphabet;
  if (o.dataHex !== undefined || a === "8bit") return { alphabet: "8bit", locking: 0, single: 0 };
  if (a === "ucs2") return { alphabet: "ucs2", locking: 0, single: 0 };
  // TS 23.038 §6.2.1.2.4: the receiver reads the text through the tables of the language id the UDH names;
  // an id without known tables would be announced with text encoded in the default ones.
  if (o.language !== undefined && o.language !== 0 && singleShiftTable(o.language) === undefined && lockingShiftTable(o.language) === undefined)
    throw malformed("unsupported-language", "national language " + o.language + " has no shift tables here (1 Turkish, 2 Spanish, 3 Portuguese)", 0);
  const langs = o.language !== undefined ? [o.language] : a === "auto" ? NATIONAL_LANGUAGES : [];
  if (o.language === undefined && fitsGsm(cps, 0, 0)) return { alphabet: "gsm7", locking: 0, single: 0 };
  for (let i = 0; i < langs.length; i++) {
    const id = langs[i] as number;
    if (fitsGsm(cps, 0, id)) return { alphabet: "gsm7", locking: 0, single: id };
    if (lockingShiftTable(id) !== undefined && fitsGsm(cps, id, id)) return { alphabet: "gsm7", locking: id, single: id };
  }
  if (a === "gsm7") throw malformed("unencodable-text", "text has characters outside the GSM 7-bit tables", 0);
  return { alphabet: "ucs2", locking: 0, single: 0 };
}

function baseUdh(o: SubmitOptions, p: Plan): Udh {
  const udh: Udh = {};
  if (o.ports !== undefined) {
    const bits = o.ports.bits !== undefined ? o.ports.bits : o.ports.dest < 256 && o.ports.src < 256 ? 8 : 16;
    udh.ports = { dest: o.ports.dest, src: o.ports.src, bits: bits };
  }
  if (p.single !== 0) udh.single_shift = p.single;
  if (p.locking !== 0) udh.locking_shift = p.locking;
  return udh;
}

function udhOctets(udh: Udh, concat: number): number {
  let n = concat;
  if (udh.ports !== undefined) n += udh.ports.bits === 8 ? 4 : 6;
  if (udh.single_shift !== undefined) n += 3;
  if (udh.locking_shift !== undefined) n += 3;
  return n === 0 ? 0 : n + 1; // + UDHL
}

/** Unit cost of each code point in the chosen alphabet: septets (GSM) or octets (UCS2). */
function costs(cps: number[], p: Plan): number[] {
  const out: number[] = [];
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    out.push(p.alphabet === "gsm7" ? septetCost(cp, p.locking, p.single) : cp > 0xffff ? 4 : 2);
  }
  return out;
}

/** Splits into runs whose cost fits `capacity`, never inside an escape pair or surrogate pair. */
function split(cost: number[], capacity: number): number[] {
  const ends: number[] = [];
  let used = 0;
  for (let i = 0; i < cost.length; i++) {
    const c = cost[i] as number;
    if (used + c > capacity) {
      ends.push(i);
      used = 0;
    }
    used += c;
  }
  ends.push(cost.length);
  return ends;
}

function buildParts(o: SubmitOptions, text: TextCodec): string[] {
  if ((o.text === undefined) === (o.dataHex === undefined)) throw malformed("missing-field", "give exactly one of 'text' and 'dataHex'", 0);
  const cps = o.text !== undefined ? text.toCodePoints(o.text) : [];
  const data = o.dataHex !== undefined ? hexToBytes(o.dataHex) : [];
  const p = plan(o, cps);
  const udh = baseUdh(o, p);
  const limit = p.alphabet === "gsm7" ? MAX_SMS_SEPTETS : MAX_SMS_OCTETS;
  const unit = p.alphabet === "gsm7" ? 7 : 8;
  const capacityWith = function (h: number): number {
    return limit - Math.floor((h * 8 + unit - 1) / unit);
  };
  const cost = p.alphabet === "8bit" ? [] : costs(cps, p);
  const total = p.alphabet === "8bit" ? data.length : sum(cost);
  let ends: number[];
  let concat = false;
  if (total <= capacityWith(udhOctets(udh, 0))) {
    ends = [p.alphabet === "8bit" ? data.length : cps.length];
  } else {
    concat = true;
    const cap = capacityWith(udhOctets(udh, o.concat16 === true ? 6 : 5));
    ends = p.alphabet === "8bit" ? chunkEnds(data.length, cap) : split(cost, cap);
  }
  const maxParts = o.maxParts !== undefined ? o.maxParts : 255;
  if (ends.length > maxParts || ends.length > 255) {
    throw malformed("too-many-parts", "message needs " + ends.length + " parts, more than " + Math.min(maxParts, 255), 0);
  }
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    const partUdh: Udh = {};
    if (concat) partUdh.concat = { ref: o.ref !== undefined ? o.ref : 0, total: ends.length, seq: i + 1, ref_bits: o.concat16 === true ? 16 : 8 };
    if (udh.ports !== undefined) partUdh.ports = udh.ports;
    if (udh.single_shift !== undefined) partUdh.single_shift = udh.single_shift;
    if (udh.locking_shift !== undefined) partUdh.locking_shift = udh.locking_shift;
    out.push(encodePart(o, p, partUdh, cps, data, start, end, i, text));
    start = end;
  }
  return out;
}

function sum(a: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

function chunkEnds(n: number, cap: number): number[] {
  const ends: number[] = [];
  for (let e = cap; e < n; e += cap) ends.push(e);
  ends.push(n);
  return ends;
}

function encodePart(o: SubmitOptions, p: Plan, udh: Udh, cps: number[], data: number[], start: number, end: number, index: number, text: TextCodec): string {
  const input: PduInput = {
    type: "submit",
    destination: o.to,
    message_ref: ((o.messageRef !== undefined ? o.messageRef : 0) + index) & 0xff,
    pid: o.pid !== undefined ? o.pid : 0,
    dcs: makeDcs(p.alphabet, o.messageClass),
    status_report_request: o.statusReport === true,
    reject_duplicates: o.rejectDuplicates === true,
    smsc: o.smsc !== undefined ? o.smsc : null,
  };
  if (udh.concat !== undefined || udh.ports !== undefined || udh.single_shift !== undefined || udh.locking_shift !== undefined) input.udh = udh;
  if (o.validityMinutes !== undefined) {
    const v = relativeFromMinutes(o.validityMinutes);
    const vp: ValidityPeriod = { format: "relative", value: v, seconds: 0 };
    input.validity_period = vp;
  }
  if (p.alphabet === "8bit") input.data_hex = bytesToHex(data, start, end);
  else input.text = text.fromCodePoints(cps.slice(start, end));
  const tpdu = submitTpdu(input, text);
  return bytesToHex(o.includeSmsc !== false ? writeSmsc(input.smsc === undefined ? null : input.smsc, undefined).concat(tpdu) : tpdu);
}

/** Encodes SMS-SUBMIT PDUs (one per part) as uppercase hex; never throws. */
export function encodeSubmit(o: SubmitOptions, text: TextCodec): SubmitResult {
  try {
    return { ok: true, parts: buildParts(o, text) };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

/** TPDU length for AT+CMGS=<length> (27.005 §3.5.1): octets after the SMSC field. */
export function tpduLength(hex: string): number {
  const smscLen = hex.length >= 2 ? hexToBytes(hex.substring(0, 2))[0] as number : 0;
  return Math.floor(hex.length / 2) - 1 - smscLen;
}
