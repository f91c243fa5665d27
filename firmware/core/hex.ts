/** Hex text ⇄ octet arrays without regex or runtime-specific APIs (portable to Espruino and Lua). */
import { malformed } from "./errors.js";

const DIGITS = "0123456789ABCDEF";

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/**
 * Parses hex text into octets. Whitespace is not accepted: callers trim. Throws PduError
 * "invalid-hex" (with the octet offset of the bad digit) or "odd-length".
 */
export function hexToBytes(hex: string): number[] {
  const n = hex.length;
  if (n % 2 !== 0) throw malformed("odd-length", "hex input has an odd number of digits (" + n + "), last digit", (n - 1) >>> 1);
  const out: number[] = [];
  for (let i = 0; i < n; i += 2) {
    const hi = nibble(hex.charCodeAt(i));
    const lo = nibble(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw malformed("invalid-hex", "non-hex digit in input", i >>> 1);
    out.push((hi << 4) | lo);
  }
  return out;
}

export function byteHex(b: number): string {
  return DIGITS.charAt((b >>> 4) & 15) + DIGITS.charAt(b & 15);
}

/** Uppercase hex of octets [start, end). */
export function bytesToHex(bytes: number[], start?: number, end?: number): string {
  const s = start === undefined ? 0 : start;
  const e = end === undefined ? bytes.length : end;
  let out = "";
  for (let i = s; i < e; i++) out += byteHex(bytes[i] as number);
  return out;
}

/** The octet at `i`, or 0 past the end (Lua has no undefined-as-number, so reads stay in range). */
export function octetAt(bytes: number[], i: number): number {
  const v = bytes[i];
  return v === undefined ? 0 : v;
}
