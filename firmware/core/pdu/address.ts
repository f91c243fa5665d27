/**
 * TP addresses (3GPP TS 23.040 §9.1.2.5) and the SMSC address of 27.005 PDU mode (TS 24.011
 * §8.2.5.1 RP-address, length in octets).
 */
import { malformed } from "../errors.js";
import { codePointsToSeptets, packSeptets, unpackToCodePoints } from "../gsm7.js";
import type { TextCodec } from "../text.js";
import type { Reader } from "./reader.js";

/** Semi-octet digits: 0-9, then '*', '#', 'a', 'b', 'c' for 0xA-0xE (TS 23.040 §9.1.2.3). 0xF is filler. */
const BCD = "0123456789*#abc";

/** Type-of-number "alphanumeric" (TS 23.040 §9.1.2.5, bits 6-4 = 101). */
export const TON_ALPHANUMERIC = 5;
export const TON_INTERNATIONAL = 1;
/** TS 23.040 §9.1.2.5: the address value is at most 10 octets, i.e. 20 digits. */
const MAX_DIGITS = 20;

/** Character codes of BCD.charAt(i). */
const BCD_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 42, 35, 97, 98, 99];

/** The digits of `count` semi-octets, with '+' first for an international number (§9.1.2.5). */
function digitsFrom(octets: number[], start: number, count: number, toa: number, text: TextCodec): string {
  const codes: number[] = [];
  if (((toa >>> 4) & 7) === TON_INTERNATIONAL) codes.push(43);
  for (let i = 0; i < count; i++) {
    const b = octets[start + (i >>> 1)] as number;
    const d = (i & 1) === 0 ? b & 15 : b >>> 4;
    if (d !== 15) codes.push(BCD_CODES[d] as number); // filler inside the declared length is skipped
  }
  return text.fromCodePoints(codes);
}

/**
 * Reads a TP-OA / TP-DA / TP-RA: length in semi-octets, TOA, value (TS 23.040 §9.1.2.5). Returns the
 * value; the TOA is the octet after the length (the caller reads it there: no object per address).
 */
export function readAddress(r: Reader, field: string, text: TextCodec): string {
  const at = r.pos;
  const len = r.u8of(field, " length");
  if (len > MAX_DIGITS) throw malformed("address-too-long", field + " length " + len + " exceeds 20 semi-octets", at);
  const toa = r.u8of(field, " type");
  const start = r.need((len + 1) >>> 1, field);
  if (((toa >>> 4) & 7) === TON_ALPHANUMERIC) {
    // Alphanumeric: GSM 7-bit septets packed in the semi-octets (TS 23.040 §9.1.2.5).
    return text.fromCodePoints(unpackToCodePoints(r.bytes, start, Math.floor((len * 4) / 7), 0, 0, 0));
  }
  return digitsFrom(r.bytes, start, len, toa, text);
}

/**
 * Reads the SMSC field that AT+CMGR / +CMT put before the TPDU (27.005 §3.1 <pdu>): its number, or
 * null when the length octet is 0. The TOA is the octet after the length, as for readAddress.
 */
export function readSmsc(r: Reader, text: TextCodec): string | null {
  const at = r.pos;
  const len = r.u8("SMSC length");
  if (len === 0) return null;
  // RP-Destination/Originator address: TOA + at most 10 octets (TS 24.011 §8.2.5.1/.2).
  if (len > 11) throw malformed("invalid-smsc", "SMSC length " + len + " exceeds 11 octets", at);
  const toa = r.u8("SMSC type");
  const start = r.need(len - 1, "SMSC address");
  return digitsFrom(r.bytes, start, (len - 1) * 2, toa, text);
}

function digitValue(c: string): number {
  const i = BCD.indexOf(c);
  return i;
}

function packDigits(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) {
    const lo = digitValue(digits.charAt(i));
    const hi = i + 1 < digits.length ? digitValue(digits.charAt(i + 1)) : 15;
    out.push(lo | (hi << 4));
  }
  return out;
}

function stripPlus(value: string): string {
  return value.charAt(0) === "+" ? value.substring(1) : value;
}

/** True when every character is a semi-octet digit (after an optional leading '+'). */
export function isDialable(value: string): boolean {
  const d = stripPlus(value);
  for (let i = 0; i < d.length; i++) if (digitValue(d.charAt(i)) < 0) return false;
  return true;
}

/** The TOA an encoder uses when the caller gives none: 0x91 for '+…', 0xD0 for text, else 0x81. */
export function defaultToa(value: string): number {
  if (!isDialable(value)) return 0xd0;
  return value.charAt(0) === "+" ? 0x91 : 0x81;
}

/** Encodes a TP address; throws "invalid-address" for values the TOA cannot carry. */
export function writeAddress(value: string, toa: number, text: TextCodec, field: string): number[] {
  if (((toa >>> 4) & 7) === TON_ALPHANUMERIC) {
    const septets = codePointsToSeptets(text.toCodePoints(value), 0, 0);
    if (septets === null) throw malformed("invalid-address", field + " has characters outside GSM 7-bit", 0);
    const octets = packSeptets(septets, 0);
    const semi = Math.floor((septets.length * 7 + 3) / 4);
    if (semi > MAX_DIGITS) throw malformed("address-too-long", field + " is longer than 11 GSM 7-bit characters", 0);
    return [semi, toa].concat(octets);
  }
  const digits = stripPlus(value);
  if (!isDialable(value)) throw malformed("invalid-address", field + " '" + value + "' is not a number", 0);
  if (digits.length > MAX_DIGITS) throw malformed("address-too-long", field + " has more than 20 digits", 0);
  return [digits.length, toa].concat(packDigits(digits));
}

/** Encodes the SMSC field; null gives the single octet 00 ("use the stored SMSC", 27.005 §3.1). */
export function writeSmsc(value: string | null, toa: number | undefined): number[] {
  if (value === null) return [0];
  if (value === "" && toa !== undefined) return [1, toa]; // a type octet with no digits
  if (!isDialable(value)) throw malformed("invalid-smsc", "SMSC '" + value + "' is not a number", 0);
  const digits = stripPlus(value);
  if (digits.length > 20) throw malformed("invalid-smsc", "SMSC has more than 20 digits", 0);
  const t = toa === undefined ? defaultToa(value) : toa;
  const octets = packDigits(digits);
  return [octets.length + 1, t].concat(octets);
}
