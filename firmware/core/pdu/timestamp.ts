/**
 * TP-SCTS / TP-DT / absolute TP-VP: seven swapped-BCD octets YY MM DD hh mm ss TZ (3GPP TS 23.040
 * §9.2.3.11). Rendered as ISO 8601 with the sender's offset, e.g. "2002-08-26T19:37:41+02:00".
 */
import { malformed } from "../errors.js";
import type { Reader } from "./reader.js";

const PARTS = ["year", "month", "day", "hour", "minute", "second"];

function bcd(b: number, field: string, part: number, at: number): number {
  const lo = b & 15;
  const hi = b >>> 4;
  if (lo > 9 || hi > 9) throw malformed("invalid-timestamp", field + " " + PARTS[part] + " has a non-decimal digit", at);
  return lo * 10 + hi; // semi-octets are swapped (TS 23.040 §9.1.2.3)
}

/** Reads 7 octets; two-digit years 90-99 are 19xx, others 20xx. */
export function readTimestamp(r: Reader, field: string): string {
  const at = r.need(7, field);
  const o = r.bytes;
  const yy = bcd(o[at] as number, field, 0, at);
  const mo = bcd(o[at + 1] as number, field, 1, at + 1);
  const dd = bcd(o[at + 2] as number, field, 2, at + 2);
  const hh = bcd(o[at + 3] as number, field, 3, at + 3);
  const mi = bcd(o[at + 4] as number, field, 4, at + 4);
  const ss = bcd(o[at + 5] as number, field, 5, at + 5);
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) {
    throw malformed("invalid-timestamp", field + " is not a valid date/time", at);
  }
  // Time zone in quarter hours; bit 3 of the first semi-octet is the sign (TS 23.040 §9.2.3.11).
  const tz = o[at + 6] as number;
  // A units semi-octet above 9 is read by its value, as deployed SMSCs send it and peers accept
  // it (oFono); the date and time digits above stay strict.
  const quarters = (tz & 7) * 10 + (tz >>> 4);
  const negative = (tz & 8) !== 0;
  const mins = quarters * 15;
  const oh = Math.floor(mins / 60);
  const om = mins % 60;
  // One string from its 25 ASCII codes (the same in every runtime's text) rather than 14
  // concatenations; each date and time digit is a semi-octet, low one first (§9.1.2.3).
  const c = 48; // "0"
  const y = o[at] as number;
  const m = o[at + 1] as number;
  const d = o[at + 2] as number;
  const h = o[at + 3] as number;
  const n = o[at + 4] as number;
  const s = o[at + 5] as number;
  return String.fromCharCode(
    yy >= 90 ? 49 : 50, yy >= 90 ? 57 : 48, c + (y & 15), c + (y >>> 4), 45, // YYYY-
    c + (m & 15), c + (m >>> 4), 45, c + (d & 15), c + (d >>> 4), 84, // MM-DDT
    c + (h & 15), c + (h >>> 4), 58, c + (n & 15), c + (n >>> 4), 58, c + (s & 15), c + (s >>> 4), // hh:mm:ss
    negative ? 45 : 43, c + Math.floor(oh / 10), c + (oh % 10), 58, c + Math.floor(om / 10), c + (om % 10), // ±hh:mm
  );
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function num(s: string, start: number, len: number): number {
  let v = 0;
  for (let i = start; i < start + len; i++) {
    const d = digit(s, i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

function swapped(v: number): number {
  return (v % 10 << 4) | Math.floor(v / 10);
}

/**
 * Encodes "YYYY-MM-DDThh:mm:ss±hh:mm" (the form readTimestamp produces; "Z" is +00:00).
 * The offset must be a whole number of quarter hours, at most ±19:45 (79 quarters).
 */
export function writeTimestamp(iso: string, field: string): number[] {
  const bad = malformed("invalid-timestamp", field + " '" + iso + "' is not YYYY-MM-DDThh:mm:ss±hh:mm", 0);
  if (iso.length !== 20 && iso.length !== 25) throw bad;
  const year = num(iso, 0, 4);
  const mo = num(iso, 5, 2);
  const dd = num(iso, 8, 2);
  const hh = num(iso, 11, 2);
  const mi = num(iso, 14, 2);
  const ss = num(iso, 17, 2);
  if (year < 1990 || year > 2089 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) throw bad;
  let negative = false;
  let quarters = 0;
  if (iso.length === 25) {
    const sign = iso.charAt(19);
    if (sign !== "+" && sign !== "-") throw bad;
    const oh = num(iso, 20, 2);
    const om = num(iso, 23, 2);
    if (oh < 0 || om < 0 || om % 15 !== 0) throw bad;
    quarters = oh * 4 + Math.floor(om / 15);
    if (quarters > 79) throw bad;
    negative = sign === "-";
  } else if (iso.charAt(19) !== "Z") {
    throw bad;
  }
  const tz = (quarters % 10 << 4) | Math.floor(quarters / 10) | (negative ? 8 : 0);
  return [swapped(year % 100), swapped(mo), swapped(dd), swapped(hh), swapped(mi), swapped(ss), tz];
}
