/**
 * GSM 7-bit default alphabet: septet packing (3GPP TS 23.038 §6.1.2.1) and the mapping between
 * septets and Unicode code points through the locking and single shift tables (§6.2.1,
 * Annex A).
 */
import { GSM7_DEFAULT, GSM7_DEFAULT_EXT, lockingShiftTable, singleShiftTable } from "./gsm7-tables.js";

/** The escape septet to the (single shift) extension table, TS 23.038 §6.2.1.1. */
export const ESC = 0x1b;

/** Packs septets after `fillBits` zero bits; spare bits of the last octet are zero. */
export function packSeptets(septets: number[], fillBits: number): number[] {
  const totalBits = fillBits + septets.length * 7;
  const n = (totalBits + 7) >>> 3;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  for (let i = 0; i < septets.length; i++) {
    const bit = fillBits + i * 7;
    const idx = bit >>> 3;
    const shift = bit & 7;
    const v = (septets[i] as number) & 0x7f;
    out[idx] = ((out[idx] as number) | (v << shift)) & 0xff;
    if (shift > 1) out[idx + 1] = ((out[idx + 1] as number) | (v >>> (8 - shift))) & 0xff;
  }
  return out;
}

function lockingOrDefault(id: number): number[] {
  const t = lockingShiftTable(id);
  return t === undefined ? GSM7_DEFAULT : t;
}

function singleOrDefault(id: number): number[] {
  const t = singleShiftTable(id);
  return t === undefined ? GSM7_DEFAULT_EXT : t;
}

/** Reused by unpackToCodePoints; grows (by appends) to the longest text decoded so far. */
const SCRATCH: number[] = [];

/**
 * Unpacks and maps in one pass: the code points of `count` septets at `skipBits` bits after
 * `start`, through the given tables (TS 23.038 §6.1.2.1.1 packing, least significant bit first). The caller guarantees that
 * `octets` holds ceil((skipBits + 7·count) / 8) octets from `start`. Locking/single are national
 * language ids (0 = default tables); an id without a table falls back to the default one
 * (§6.2.1.2.4/5).
 *
 * The code points are gathered in a reused array and copied out once at their final length: one
 * allocation per call instead of the array growing as it is filled.
 */
export function unpackToCodePoints(octets: number[], start: number, count: number, skipBits: number, locking: number, single: number): number[] {
  const base = lockingOrDefault(locking);
  const ext = singleOrDefault(single);
  if (count <= 0) return []; // nothing to read (and no octet may be touched past the data)
  const out = SCRATCH;
  let n = 0;
  let escaped = false;
  // A bit accumulator: octets go in least significant bit first, septets come out 7 bits at a time
  // (TS 23.038 §6.1.2.1.1); the first `skipBits` are fill bits.
  let pos = start + (skipBits >>> 3);
  let acc = (octets[pos] as number) >>> (skipBits & 7);
  let bits = 8 - (skipBits & 7);
  pos++;
  for (let i = 0; i < count; i++) {
    if (bits < 7) {
      acc = acc | ((octets[pos] as number) << bits);
      pos++;
      bits += 8;
    }
    const s = acc & 0x7f;
    acc = acc >>> 7;
    bits -= 7;
    if (escaped) {
      escaped = false;
      const cp = ext[s] as number;
      if (s === ESC) out[n++] = 0x20; // ESC ESC: shown as a space (TS 23.038 §6.2.1.1)
      else if (cp >= 0) out[n++] = cp;
      else out[n++] = base[s] as number; // undefined in the shift table: the base character (§6.2.1.1)
    } else if (s === ESC) {
      escaped = true;
    } else {
      out[n++] = base[s] as number;
    }
  }
  if (escaped) out[n++] = 0x20; // a dangling escape is shown as a space (§6.2.1.1)
  return out.slice(0, n);
}

/**
 * The septet of `cp` in `table`, or -1. A linear search (Array indexOf, native on every runtime) rather
 * than a reverse map: a device would keep each map (one entry per character) in RAM for good. The
 * escape septet 0x1B is -1 in every table, so it never matches; a code point in two cells gets the
 * first (the table's own character before a duplicate).
 */
function septetOf(table: number[], cp: number): number {
  return table.indexOf(cp);
}

/**
 * Code points → septets with the given tables, or null when some code point has no septet.
 * Characters of the locking table are preferred over escaped ones.
 */
export function codePointsToSeptets(cps: number[], locking: number, single: number): number[] | null {
  const base = lockingOrDefault(locking);
  const ext = singleOrDefault(single);
  const out: number[] = [];
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    const b = septetOf(base, cp);
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const e = septetOf(ext, cp);
    if (e < 0) return null;
    out.push(ESC, e);
  }
  return out;
}

/** Septets needed for one code point (1, 2 when escaped, 0 when unmappable). */
export function septetCost(cp: number, locking: number, single: number): number {
  if (septetOf(lockingOrDefault(locking), cp) >= 0) return 1;
  return septetOf(singleOrDefault(single), cp) >= 0 ? 2 : 0;
}
