/**
 * A small JSON reader and writer for the Lua port (Lua has no JSON). Strings are byte strings:
 * the reader turns `\uXXXX` escapes (surrogate pairs included) into UTF-8 octets and copies other
 * bytes as they are; the writer copies bytes ≥ 0x80 as they are (so UTF-8 stays UTF-8) and
 * escapes `"`, `\` and control characters.
 *
 * Lua-specific choices:
 * - JSON null: a Lua table cannot hold nil, so `null` is read as undefined (the key disappears)
 *   and written from the sentinel JSON_NULL: put JSON_NULL where the output needs `null`.
 * - Numbers: integers without fraction or exponent are read as Lua integers (bitwise operators
 *   need them); integral floats are written without ".0".
 * - Objects are written with sorted keys (Lua's pairs order is arbitrary). An empty table is
 *   written as `[]` (Lua cannot tell an empty object from an empty array), except as the value
 *   of a key in OBJECT_KEYS, the PDU fields that are always objects (an empty `udh` is `{}`).
 */
import { utf8Text } from "../../core/text.js";

/** Written as JSON null. Compare by identity. */
export const JSON_NULL: object = { jsonNull: true };

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

const HEX = "0123456789abcdef";
/** The characters after `\` in a JSON escape (" \ / b f n r t) and what they stand for. */
const ESCAPES = [34, 92, 47, 98, 102, 110, 114, 116];
const ESCAPED = "\"\\/\b\f\n\r\t";

interface Reader {
  s: string;
  i: number;
  err: string | undefined;
}

function skipSpace(r: Reader): void {
  let c = r.s.charCodeAt(r.i);
  while (c === 32 || c === 9 || c === 10 || c === 13) {
    r.i++;
    c = r.s.charCodeAt(r.i);
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function readHex4(r: Reader): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const d = hexValue(r.s.charCodeAt(r.i + k));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  r.i += 4;
  return v;
}

function readString(r: Reader): string | undefined {
  r.i++; // opening quote
  const parts: string[] = [];
  let start = r.i;
  const n = r.s.length;
  while (r.i < n) {
    const c = r.s.charCodeAt(r.i);
    if (c === 34) {
      parts.push(r.s.substring(start, r.i));
      r.i++;
      return parts.join("");
    }
    if (c !== 92) {
      r.i++;
      continue;
    }
    parts.push(r.s.substring(start, r.i));
    const e = r.s.charCodeAt(r.i + 1);
    r.i += 2;
    if (e === 117) {
      let cp = readHex4(r);
      if (cp >= 0xd800 && cp <= 0xdbff && r.s.charCodeAt(r.i) === 92 && r.s.charCodeAt(r.i + 1) === 117) {
        const save = r.i;
        r.i += 2;
        const lo = readHex4(r);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + (cp - 0xd800) * 1024 + (lo - 0xdc00);
        } else {
          r.i = save;
        }
      }
      if (cp < 0) {
        r.err = "bad \\u escape";
        return undefined;
      }
      parts.push(utf8Text.fromCodePoints([cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp]));
    } else {
      const k = ESCAPES.indexOf(e);
      if (k < 0) {
        r.err = "bad escape";
        return undefined;
      }
      parts.push(ESCAPED.charAt(k));
    }
    start = r.i;
  }
  r.err = "unterminated string";
  return undefined;
}

function readNumber(r: Reader): number | undefined {
  const start = r.i;
  let c = r.s.charCodeAt(r.i);
  const negative = c === 45;
  if (negative) r.i++;
  let intValue = 0;
  let digits = 0;
  c = r.s.charCodeAt(r.i);
  while (c >= 48 && c <= 57) {
    intValue = intValue * 10 + (c - 48);
    digits++;
    r.i++;
    c = r.s.charCodeAt(r.i);
  }
  if (digits === 0) {
    r.err = "bad number";
    return undefined;
  }
  if (c !== 46 && c !== 101 && c !== 69 && digits < 16) {
    return negative ? -intValue : intValue;
  }
  while ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45) {
    r.i++;
    c = r.s.charCodeAt(r.i);
  }
  const v = parseFloat(r.s.substring(start, r.i));
  if (v !== v) {
    r.err = "bad number";
    return undefined;
  }
  return v;
}

function readLiteral(r: Reader, word: string, value: unknown): unknown {
  if (r.s.substring(r.i, r.i + word.length) !== word) {
    r.err = "unexpected token";
    return undefined;
  }
  r.i += word.length;
  return value;
}

function readValue(r: Reader, depth: number): unknown {
  skipSpace(r);
  if (depth > 64) {
    r.err = "nested too deep";
    return undefined;
  }
  const c = r.s.charCodeAt(r.i);
  if (c === 34) return readString(r);
  if (c === 123 || c === 91) return readContainer(r, depth, c === 91);
  if (c === 116) return readLiteral(r, "true", true);
  if (c === 102) return readLiteral(r, "false", false);
  if (c === 110) return readLiteral(r, "null", undefined);
  if (c === 45 || (c >= 48 && c <= 57)) return readNumber(r);
  r.err = "unexpected token";
  return undefined;
}

function readContainer(r: Reader, depth: number, isArray: boolean): unknown {
  r.i++;
  const arr: unknown[] = [];
  const obj: { [key: string]: unknown } = {};
  const close = isArray ? 93 : 125;
  skipSpace(r);
  if (r.s.charCodeAt(r.i) === close) {
    r.i++;
    return isArray ? arr : obj;
  }
  while (r.err === undefined) {
    skipSpace(r);
    let key = "";
    if (!isArray) {
      if (r.s.charCodeAt(r.i) !== 34) break;
      const k = readString(r);
      skipSpace(r);
      if (k === undefined || r.s.charCodeAt(r.i) !== 58) break;
      r.i++;
      key = k;
    }
    const v = readValue(r, depth + 1);
    if (r.err !== undefined) break;
    if (isArray) arr.push(v);
    else obj[key] = v;
    skipSpace(r);
    const sep = r.s.charCodeAt(r.i);
    r.i++;
    if (sep === close) return isArray ? arr : obj;
    if (sep !== 44) break;
  }
  if (r.err === undefined) r.err = isArray ? "bad array" : "bad object";
  return undefined;
}

/** Parses one JSON text. Never throws. */
export function parseJson(s: string): JsonResult {
  const r: Reader = { s: s, i: 0, err: undefined };
  const value = readValue(r, 0);
  skipSpace(r);
  if (r.err === undefined && r.i < s.length) r.err = "trailing characters";
  if (r.err !== undefined) {
    return { ok: false, message: r.err + " at offset " + r.i };
  }
  return { ok: true, value: value };
}

function writeString(s: string, out: string[]): void {
  out.push("\"");
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92) {
      out.push(s.substring(start, i));
      if (c === 34) out.push("\\\"");
      else if (c === 92) out.push("\\\\");
      else if (c === 10) out.push("\\n");
      else out.push("\\u00" + HEX.charAt(c >>> 4) + HEX.charAt(c & 15));
      start = i + 1;
    }
  }
  out.push(s.substring(start, n));
  out.push("\"");
}

function writeNumber(v: number, out: string[]): void {
  if (v !== v || v === Infinity || v === -Infinity) {
    out.push("null");
    return;
  }
  const asInt = math.tointeger(v);
  out.push(asInt !== undefined ? tostring(asInt) : string.format("%.17g", v));
}

/** Keys whose values are objects in the decoded PDU (core/pdu/types.ts), so an empty table there is `{}`. */
const OBJECT_KEYS: { [key: string]: boolean } = {
  udh: true,
  dcs_info: true,
  validity_period: true,
  concat: true,
  ports: true,
  mwi: true,
  error: true,
};

function isEmptyTable(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  for (const _k in v as { [key: string]: unknown }) return false;
  return true;
}

function writeValue(v: unknown, out: string[], asObject: boolean): void {
  if (asObject && isEmptyTable(v)) {
    out.push("{}");
  } else if (v === undefined || v === null || v === JSON_NULL) {
    out.push("null");
  } else if (typeof v === "string") {
    writeString(v, out);
  } else if (typeof v === "number") {
    writeNumber(v, out);
  } else if (typeof v === "boolean") {
    out.push(v ? "true" : "false");
  } else if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      writeValue(v[i], out, false);
    }
    out.push("]");
  } else if (typeof v === "object") {
    const o = v as { [key: string]: unknown };
    const keys: string[] = [];
    for (const k in o) keys.push(k);
    keys.sort();
    out.push("{");
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (i > 0) out.push(",");
      writeString(k, out);
      out.push(":");
      writeValue(o[k], out, OBJECT_KEYS[k] === true);
    }
    out.push("}");
  } else {
    out.push("null");
  }
}

/** Serializes a value as compact JSON (see the file comment for null, numbers and key order). */
export function stringifyJson(v: unknown): string {
  const out: string[] = [];
  writeValue(v, out, false);
  return out.join("");
}
