/**
 * TP-UDL + TP-UD: reading and writing user data with its header, in GSM 7-bit (septets with fill
 * bits), 8-bit data and UCS2 (3GPP TS 23.040 §9.2.3.16, §9.2.3.24; TS 23.038 §6).
 */
import { malformed, warning, type PduWarning } from "../errors.js";
import { codePointsToSeptets, packSeptets, unpackToCodePoints } from "../gsm7.js";
import { bytesToHex, hexToBytes } from "../hex.js";
import { MAX_SMS_OCTETS, MAX_SMS_SEPTETS } from "../limits.js";
import type { TextCodec } from "../text.js";
import type { Reader } from "./reader.js";
import type { Alphabet, Pdu, Udh } from "./types.js";
import { readUdh, writeUdh } from "./udh.js";

/** Appends warnings to a decoded PDU (the field stays absent while there are none). */
export function addWarnings(pdu: Pdu, warnings: PduWarning[]): void {
  if (warnings.length === 0) return;
  const all = pdu.warnings !== undefined ? pdu.warnings : [];
  for (let i = 0; i < warnings.length; i++) all.push(warnings[i] as PduWarning);
  pdu.warnings = all;
}

/** UCS2 octets → code points; surrogate pairs joined, lone surrogates become U+FFFD (TS 23.038 §6.2.3). */
export function ucs2ToCodePoints(o: number[], start: number, end: number): number[] {
  const out: number[] = [];
  let i = start;
  while (i + 1 < end) {
    const u = ((o[i] as number) << 8) | (o[i + 1] as number);
    i += 2;
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < end) {
      const v = ((o[i] as number) << 8) | (o[i + 1] as number);
      if (v >= 0xdc00 && v <= 0xdfff) {
        out.push(0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00));
        i += 2;
        continue;
      }
    }
    out.push(u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
  }
  return out;
}

/** Code points → UCS2 (UTF-16BE) octets. */
export function codePointsToUcs2(cps: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      const hi = 0xd800 + (v >>> 10);
      const lo = 0xdc00 + (v & 0x3ff);
      out.push(hi >>> 8, hi & 0xff, lo >>> 8, lo & 0xff);
    } else {
      out.push(cp >>> 8, cp & 0xff);
    }
  }
  return out;
}

/**
 * Reads TP-UDL and TP-UD (§9.2.3.16, §9.2.3.24). Fails only when the input ends before the octets TP-UDL
 * announces; what is wrong but readable is decoded and reported (docs/pdu.md "Warnings"). Sets `udl` and
 * adds `udh`, `text` or `data_hex` and `warnings` when present, on the PDU itself (no intermediate object).
 */
export function readUserData(r: Reader, pdu: Pdu, udhi: boolean, alphabet: Alphabet, compressed: boolean, text: TextCodec): void {
  const at = r.pos;
  const udl = r.u8("user data length");
  pdu.udl = udl;
  const w: PduWarning[] = [];
  const septets = alphabet === "gsm7" && !compressed;
  if (septets ? udl > MAX_SMS_SEPTETS : udl > MAX_SMS_OCTETS) {
    // §9.2.3.16: at most 160 septets / 140 octets; the octets it announces are still read when present
    w.push(warning("udl-too-long", "user data length " + udl + " exceeds " + (septets ? MAX_SMS_SEPTETS + " septets" : MAX_SMS_OCTETS + " octets"), at));
  }
  const octetCount = septets ? Math.floor((udl * 7 + 7) / 8) : udl;
  const udStart = r.need(octetCount, "user data");
  const ud = r.bytes;
  const udEnd = udStart + octetCount;
  let headerOctets = 0;
  let overrun = false;
  let udh: Udh | undefined = undefined;
  if (udhi && udl === 0) {
    // TP-UDHI says the user data starts with a header (§9.2.3.23): with no user data there is none to read
    w.push(warning("udhi-empty", "TP-UDHI is set but the user data is empty", at));
  } else if (udhi) {
    const h = readUdh(ud, udStart, udEnd, w);
    udh = h.udh;
    pdu.udh = udh;
    headerOctets = h.length;
    overrun = h.overrun;
  }
  if (septets) {
    // After a header the text starts at the next septet boundary (fill bits, §9.2.3.24).
    const headerSeptets = Math.floor((headerOctets * 8 + 6) / 7);
    if (headerSeptets > udl && !overrun) w.push(warning("udh-exceeds-ud", "UDH of " + headerSeptets + " septets is longer than the user data length", udStart));
    const locking = udh !== undefined && udh.locking_shift !== undefined ? udh.locking_shift : 0;
    const single = udh !== undefined && udh.single_shift !== undefined ? udh.single_shift : 0;
    const count = headerSeptets > udl ? 0 : udl - headerSeptets;
    pdu.text = text.fromCodePoints(unpackToCodePoints(ud, udStart, count, headerSeptets * 7, locking, single));
  } else {
    const bodyStart = udStart + (headerOctets > udl ? udl : headerOctets);
    if (alphabet === "ucs2" && !compressed) {
      if ((udStart + udl - bodyStart) % 2 !== 0) w.push(warning("odd-ucs2-length", "UCS2 text of an odd number of octets", bodyStart));
      pdu.text = text.fromCodePoints(ucs2ToCodePoints(ud, bodyStart, udStart + udl));
    } else pdu.data_hex = bytesToHex(ud, bodyStart, udStart + udl);
  }
  if (w.length > 0) addWarnings(pdu, w);
}

export interface UserDataInput {
  alphabet: Alphabet;
  udh: Udh | undefined;
  text: string | undefined;
  dataHex: string | undefined;
}

/** Builds TP-UDL + TP-UD; returns the octets (UDL first) and whether a header is present. */
export function writeUserData(input: UserDataInput, text: TextCodec): number[] {
  const header = input.udh === undefined ? [] : writeUdh(input.udh);
  const udh = input.udh;
  if (input.alphabet === "gsm7") {
    if (input.text === undefined) throw malformed("inconsistent", "GSM 7-bit user data needs text", 0);
    const locking = udh !== undefined && udh.locking_shift !== undefined ? udh.locking_shift : 0;
    const single = udh !== undefined && udh.single_shift !== undefined ? udh.single_shift : 0;
    const s = codePointsToSeptets(text.toCodePoints(input.text), locking, single);
    if (s === null) throw malformed("unencodable-text", "text has characters outside the GSM 7-bit tables in use", 0);
    const headerSeptets = Math.floor((header.length * 8 + 6) / 7);
    const udl = headerSeptets + s.length;
    if (udl > MAX_SMS_SEPTETS) throw malformed("text-too-long", "user data of " + udl + " septets exceeds 160", 0);
    const fill = headerSeptets * 7 - header.length * 8;
    return [udl].concat(header, packSeptets(s, fill));
  }
  let body: number[];
  if (input.alphabet === "ucs2") {
    if (input.text === undefined) throw malformed("inconsistent", "UCS2 user data needs text", 0);
    body = codePointsToUcs2(text.toCodePoints(input.text));
  } else {
    if (input.dataHex === undefined) throw malformed("inconsistent", "8-bit user data needs data_hex", 0);
    body = hexToBytes(input.dataHex);
  }
  const udl = header.length + body.length;
  if (udl > MAX_SMS_OCTETS) throw malformed("text-too-long", "user data of " + udl + " octets exceeds 140", 0);
  return [udl].concat(header, body);
}
