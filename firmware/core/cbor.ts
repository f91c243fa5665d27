/**
 * A small CBOR codec (RFC 8949) for the device protocol's binary envelopes: unsigned and negative
 * integers, byte and text strings, arrays, maps with text or integer keys, false/true/null/
 * undefined and floats (decode: half, single, double; encode: integers, else double).
 * Definite lengths only; indefinite-length items and tags other than none are "unsupported".
 * Same two error kinds as the PDU codec: "incomplete" (input ends early) and "malformed".
 *
 * Portable like the rest of firmware/core: number[] octets, strings through a TextCodec
 * (UTF-16 on Node/XS, UTF-8 byte strings on Espruino/Lua), no exceptions across the API.
 */
import { incomplete, malformed, toErrorInfo, type PduErrorInfo } from "./errors.js";
import { textToUtf8, utf8ToCodePointsStrict, type TextCodec } from "./text.js";

/** A byte string (major type 2), kept apart from arrays of numbers. */
export class CborBytes {
  bytes: number[];
  constructor(bytes: number[]) {
    this.bytes = bytes;
  }
}

export type CborValue = number | string | boolean | null | undefined | CborBytes | CborValue[] | CborMap;
export interface CborMap {
  [key: string]: CborValue;
}

/** Limits against hostile input. Defaults: depth 16, 1024 items per array/map, 65536 octets per string. */
export interface CborLimits {
  maxDepth?: number;
  maxItems?: number;
  maxString?: number;
}

export type CborDecodeResult = { ok: true; value: CborValue } | { ok: false; error: PduErrorInfo };
export type CborEncodeResult = { ok: true; bytes: number[] } | { ok: false; error: PduErrorInfo };

interface Cursor {
  b: number[];
  pos: number;
  text: TextCodec;
  maxDepth: number;
  maxItems: number;
  maxString: number;
}

function u8(c: Cursor, what: string): number {
  if (c.pos >= c.b.length) throw incomplete("CBOR " + what, c.pos);
  const v = c.b[c.pos] as number;
  c.pos++;
  return v;
}

/** The argument of an initial byte (RFC 8949 §3: additional information 0-27). */
function argument(c: Cursor, info: number, at: number): number {
  if (info < 24) return info;
  if (info === 24) return u8(c, "argument");
  if (info === 25) return u8(c, "argument") * 256 + u8(c, "argument");
  if (info === 26) {
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + u8(c, "argument");
    return v;
  }
  if (info === 27) {
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 256 + u8(c, "argument");
    // Beyond 2^53 a number loses precision on JavaScript runtimes (RFC 8949 §3.1 allows 64 bits).
    if (v > 9007199254740991) throw malformed("cbor-unsupported", "CBOR integer above 2^53", at);
    return v;
  }
  // 28-30 are reserved, 31 is indefinite length (RFC 8949 §3, §3.2).
  throw malformed(info === 31 ? "cbor-unsupported" : "cbor-invalid", info === 31 ? "indefinite-length CBOR item" : "reserved CBOR additional information", at);
}

function take(c: Cursor, n: number, what: string): number[] {
  if (n > c.maxString) throw malformed("cbor-too-large", "CBOR " + what + " of " + n + " octets exceeds the limit", c.pos);
  if (c.pos + n > c.b.length) throw incomplete("CBOR " + what, c.b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(c.b[c.pos + i] as number);
  c.pos += n;
  return out;
}


function half(h: number): number {
  // IEEE 754 binary16 (RFC 8949 §3.3, Appendix D).
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: number;
  if (exp === 0) v = mant * Math.pow(2, -24);
  else if (exp !== 31) v = (mant + 1024) * Math.pow(2, exp - 25);
  else v = mant === 0 ? Infinity : NaN;
  return (h & 0x8000) !== 0 ? -v : v;
}

function float(c: Cursor, octets: number): number {
  const b = take(c, octets, "float");
  if (octets === 4) {
    const bits = (((b[0] as number) << 24) >>> 0) + ((b[1] as number) << 16) + ((b[2] as number) << 8) + (b[3] as number);
    const sign = bits >= 0x80000000 ? -1 : 1;
    const exp = Math.floor(bits / 0x800000) & 0xff;
    const mant = bits % 0x800000;
    if (exp === 0) return sign * mant * Math.pow(2, -149);
    if (exp === 255) return mant === 0 ? sign * Infinity : NaN;
    return sign * (mant + 0x800000) * Math.pow(2, exp - 150);
  }
  const hi = (((b[0] as number) << 24) >>> 0) + ((b[1] as number) << 16) + ((b[2] as number) << 8) + (b[3] as number);
  const lo = (((b[4] as number) << 24) >>> 0) + ((b[5] as number) << 16) + ((b[6] as number) << 8) + (b[7] as number);
  const sign = hi >= 0x80000000 ? -1 : 1;
  const exp = Math.floor(hi / 0x100000) & 0x7ff;
  const mant = (hi % 0x100000) * 4294967296 + lo;
  if (exp === 0) return sign * mant * Math.pow(2, -1074);
  if (exp === 2047) return mant === 0 ? sign * Infinity : NaN;
  return sign * (mant + 4503599627370496) * Math.pow(2, exp - 1075);
}

function item(c: Cursor, depth: number): CborValue {
  const at = c.pos;
  const ib = u8(c, "initial byte");
  const major = ib >>> 5;
  const info = ib & 31;
  if (depth > c.maxDepth) throw malformed("cbor-too-deep", "CBOR nesting deeper than " + c.maxDepth, at);
  if (major === 7) {
    // Simple values and floats (RFC 8949 §3.3).
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return undefined;
    if (info === 25) return half(argument(c, 25, at));
    if (info === 26) return float(c, 4);
    if (info === 27) return float(c, 8);
    throw malformed(info === 31 ? "cbor-unsupported" : "cbor-invalid", "unsupported CBOR simple value " + info, at);
  }
  const n = argument(c, info, at);
  if (major === 0) return n;
  if (major === 1) return -1 - n;
  if (major === 2) return new CborBytes(take(c, n, "byte string"));
  if (major === 3) {
    const cps = utf8ToCodePointsStrict(take(c, n, "text string"));
    if (cps === null) throw malformed("cbor-invalid", "CBOR text string is not UTF-8", at); // RFC 8949 §3.1 major type 3
    return c.text.fromCodePoints(cps);
  }
  if (major === 6) throw malformed("cbor-unsupported", "CBOR tags are not supported", at);
  if (n > c.maxItems) throw malformed("cbor-too-large", "CBOR container of " + n + " items exceeds the limit", at);
  if (major === 4) {
    const arr: CborValue[] = [];
    for (let i = 0; i < n; i++) arr.push(item(c, depth + 1));
    return arr;
  }
  const map: CborMap = {};
  for (let i = 0; i < n; i++) {
    const kAt = c.pos;
    const k = item(c, depth + 1);
    if (typeof k !== "string" && typeof k !== "number") throw malformed("cbor-invalid", "CBOR map key must be a text string or an integer", kAt);
    const key = typeof k === "number" ? "" + k : k;
    if (key === "__proto__") throw malformed("cbor-invalid", "CBOR map key __proto__ is refused", kAt);
    map[key] = item(c, depth + 1);
  }
  return map;
}

/** Decodes exactly one CBOR item filling `bytes`; never throws. */
export function decodeCbor(bytes: number[], text: TextCodec, limits: CborLimits | undefined): CborDecodeResult {
  const l = limits === undefined ? {} : limits;
  const c: Cursor = {
    b: bytes,
    pos: 0,
    text: text,
    maxDepth: l.maxDepth !== undefined ? l.maxDepth : 16,
    maxItems: l.maxItems !== undefined ? l.maxItems : 1024,
    maxString: l.maxString !== undefined ? l.maxString : 65536,
  };
  try {
    const value = item(c, 0);
    if (c.pos !== bytes.length) throw malformed("cbor-trailing", "octets after the CBOR item", c.pos);
    return { ok: true, value: value };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

function head(out: number[], major: number, n: number): void {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 256) out.push(m | 24, n);
  else if (n < 65536) out.push(m | 25, n >>> 8, n & 255);
  else if (n < 4294967296) out.push(m | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  else {
    const hi = Math.floor(n / 4294967296);
    const lo = n % 4294967296;
    out.push(m | 27, (hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, (lo >>> 24) & 255, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
  }
}

function doubleBytes(v: number): number[] {
  // IEEE 754 binary64 by arithmetic (no DataView on every runtime).
  const sign = v < 0 || (v === 0 && 1 / v < 0) ? 1 : 0;
  let a = sign === 1 ? -v : v;
  let exp: number;
  let mant: number;
  if (a !== a) {
    exp = 2047;
    mant = 2251799813685248;
  } else if (a === Infinity) {
    exp = 2047;
    mant = 0;
  } else if (a === 0) {
    exp = 0;
    mant = 0;
  } else {
    exp = Math.floor(Math.log(a) / 0.6931471805599453); // ln 2
    if (Math.pow(2, exp) > a) exp--;
    if (Math.pow(2, exp + 1) <= a) exp++;
    if (exp < -1022) {
      mant = a / Math.pow(2, -1074);
      exp = 0;
    } else {
      a = a / Math.pow(2, exp) - 1;
      mant = a * 4503599627370496;
      exp = exp + 1023;
    }
    mant = Math.round(mant);
  }
  const hi = sign * 2147483648 + exp * 1048576 + Math.floor(mant / 4294967296);
  const lo = mant % 4294967296;
  return [0xfb, (hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, (lo >>> 24) & 255, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
}

/** Bytewise lexicographic order of encoded keys; a shorter key sorts first (RFC 8949 §4.2.1). */
function compareEncoded(a: { bytes: number[] }, b: { bytes: number[] }): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = (a.bytes[i] as number) - (b.bytes[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function put(out: number[], v: CborValue, text: TextCodec, depth: number): void {
  if (depth > 16) throw malformed("cbor-too-deep", "value nested deeper than 16", 0);
  if (v === false) out.push(0xf4);
  else if (v === true) out.push(0xf5);
  else if (v === null) out.push(0xf6);
  else if (v === undefined) out.push(0xf7);
  else if (typeof v === "number") {
    if (Math.floor(v) === v && v >= -9007199254740991 && v <= 9007199254740991) {
      if (v >= 0) head(out, 0, v);
      else head(out, 1, -1 - v);
    } else {
      const d = doubleBytes(v);
      for (let i = 0; i < d.length; i++) out.push(d[i] as number);
    }
  } else if (typeof v === "string") {
    const b = textToUtf8(v, text);
    head(out, 3, b.length);
    for (let i = 0; i < b.length; i++) out.push(b[i] as number);
  } else if (v instanceof CborBytes) {
    head(out, 2, v.bytes.length);
    for (let i = 0; i < v.bytes.length; i++) out.push(v.bytes[i] as number);
  } else if (Array.isArray(v)) {
    head(out, 4, v.length);
    for (let i = 0; i < v.length; i++) put(out, v[i], text, depth + 1);
  } else {
    // Deterministic encoding (RFC 8949 §4.2.1): keys sorted by their encoded bytes, so every
    // runtime emits the same octets whatever order its objects keep (Lua's is arbitrary).
    const keys: { key: string; bytes: number[] }[] = [];
    for (const k in v) {
      const kb: number[] = [];
      put(kb, k, text, depth + 1);
      keys.push({ key: k, bytes: kb });
    }
    keys.sort(compareEncoded);
    head(out, 5, keys.length);
    for (let i = 0; i < keys.length; i++) {
      const e = keys[i] as { key: string; bytes: number[] };
      for (let j = 0; j < e.bytes.length; j++) out.push(e.bytes[j] as number);
      put(out, v[e.key], text, depth + 1);
    }
  }
}

/** Encodes a value deterministically (RFC 8949 §4.2.1: preferred serialization, sorted map keys); never throws. */
export function encodeCbor(v: CborValue, text: TextCodec): CborEncodeResult {
  try {
    const out: number[] = [];
    put(out, v, text, 0);
    return { ok: true, bytes: out };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}
