/** TP-User-Data-Header, 3GPP TS 23.040 §9.2.3.24. */
import { malformed, warning, type PduWarning } from "../errors.js";
import { bytesToHex, hexToBytes, octetAt } from "../hex.js";
import type { RawIe, Udh } from "./types.js";

/** Information element identifiers, TS 23.040 §9.2.3.24 (Table). */
export const IEI_CONCAT8 = 0x00;
export const IEI_PORTS8 = 0x04;
export const IEI_PORTS16 = 0x05;
export const IEI_CONCAT16 = 0x08;
export const IEI_SINGLE_SHIFT = 0x24;
export const IEI_LOCKING_SHIFT = 0x25;

/** The concatenation / port / shift elements have fixed lengths (§9.2.3.24.1, .3, .4, .8, .15, .16); 0 = any. */
function fixedLength(iei: number): number {
  if (iei === IEI_CONCAT8) return 3;
  if (iei === IEI_CONCAT16) return 4;
  if (iei === IEI_PORTS8) return 2;
  if (iei === IEI_PORTS16) return 4;
  if (iei === IEI_SINGLE_SHIFT || iei === IEI_LOCKING_SHIFT) return 1;
  return 0;
}

/**
 * Parses the header at ud[base] (UDHL) .. ud[base + UDHL]; the user data ends at `udEnd`. Offsets are
 * those of the whole input. Returns the header, its declared length including UDHL (the text starts
 * after it), and whether that length runs past the user data.
 *
 * What cannot be right is reported in `warnings` and the rest is read, as handsets do: a header longer
 * than the user data is read up to the end of the user data (never beyond TP-UDL); an element whose
 * length runs past the header ends the parsing (the elements before it are kept); an element of a known
 * kind with a length its definition does not allow, or a concatenation element the spec says to ignore,
 * is kept raw in `ies`.
 */
export function readUdh(ud: number[], base: number, udEnd: number, warnings: PduWarning[]): { udh: Udh; length: number; overrun: boolean } {
  const udhl = ud[base] as number;
  let end = base + udhl + 1;
  const overrun = end > udEnd;
  if (overrun) {
    // §9.2.3.24: the header is part of the user data, whose length TP-UDL gives (§9.2.3.16)
    warnings.push(warning("udh-exceeds-ud", "UDH length " + udhl + " runs past the user data", base));
    end = udEnd;
  }
  const udh: Udh = {};
  const raw: RawIe[] = [];
  let i = base + 1;
  while (i < end) {
    if (i + 2 > end || i + 2 + (ud[i + 1] as number) > end) {
      // §9.2.3.24: each element is IEI, IEDL and IEDL octets, within UDHL
      warnings.push(warning("ie-overrun", "UDH element " + (ud[i] as number) + " runs past the header", i));
      break;
    }
    const iei = ud[i] as number;
    const len = ud[i + 1] as number;
    const d = i + 2;
    const b0 = octetAt(ud, d);
    const b1 = octetAt(ud, d + 1);
    const b2 = octetAt(ud, d + 2);
    const b3 = octetAt(ud, d + 3);
    const fixed = fixedLength(iei);
    if (fixed !== 0 && len !== fixed) {
      warnings.push(warning("ie-length", "UDH element " + iei + " has length " + len + ", not " + fixed, i));
      raw.push({ iei: iei, data: bytesToHex(ud, d, d + len) });
    } else if (iei === IEI_CONCAT8 || iei === IEI_CONCAT16) {
      const total = iei === IEI_CONCAT8 ? b1 : b2;
      const seq = iei === IEI_CONCAT8 ? b2 : b3;
      // §9.2.3.24.1 / .8: a sequence number of 0 or above the total makes the element ignored,
      // so such elements are kept raw rather than read as concatenation.
      if (seq < 1 || seq > total) {
        warnings.push(warning("concat-ignored", "concatenation element with part " + seq + " of " + total, i));
        raw.push({ iei: iei, data: bytesToHex(ud, d, d + len) });
      } else if (iei === IEI_CONCAT8) udh.concat = { ref: b0, total: total, seq: seq, ref_bits: 8 };
      else udh.concat = { ref: (b0 << 8) | b1, total: total, seq: seq, ref_bits: 16 };
    } else if (iei === IEI_PORTS8) {
      udh.ports = { dest: b0, src: b1, bits: 8 }; // §9.2.3.24.3
    } else if (iei === IEI_PORTS16) {
      udh.ports = { dest: (b0 << 8) | b1, src: (b2 << 8) | b3, bits: 16 }; // §9.2.3.24.4
    } else if (iei === IEI_SINGLE_SHIFT) {
      udh.single_shift = b0; // §9.2.3.24.15
    } else if (iei === IEI_LOCKING_SHIFT) {
      udh.locking_shift = b0; // §9.2.3.24.16
    } else {
      raw.push({ iei: iei, data: bytesToHex(ud, d, d + len) });
    }
    i = d + len;
  }
  if (raw.length > 0) udh.ies = raw;
  return { udh: udh, length: udhl + 1, overrun: overrun };
}

/** Builds UDHL + elements in a fixed order: concat, ports, shifts, other elements. */
export function writeUdh(udh: Udh): number[] {
  let body: number[] = [];
  const c = udh.concat;
  if (c !== undefined) {
    if (c.ref_bits === 16) body = body.concat([IEI_CONCAT16, 4, (c.ref >>> 8) & 0xff, c.ref & 0xff, c.total, c.seq]);
    else body = body.concat([IEI_CONCAT8, 3, c.ref & 0xff, c.total, c.seq]);
  }
  const p = udh.ports;
  if (p !== undefined) {
    if (p.bits === 8) body = body.concat([IEI_PORTS8, 2, p.dest & 0xff, p.src & 0xff]);
    else body = body.concat([IEI_PORTS16, 4, (p.dest >>> 8) & 0xff, p.dest & 0xff, (p.src >>> 8) & 0xff, p.src & 0xff]);
  }
  if (udh.single_shift !== undefined) body = body.concat([IEI_SINGLE_SHIFT, 1, udh.single_shift]);
  if (udh.locking_shift !== undefined) body = body.concat([IEI_LOCKING_SHIFT, 1, udh.locking_shift]);
  const ies = udh.ies;
  if (ies !== undefined) {
    for (let i = 0; i < ies.length; i++) {
      const ie = ies[i] as RawIe;
      const data = hexToBytes(ie.data);
      body = body.concat([ie.iei, data.length]).concat(data);
    }
  }
  if (body.length > 139) throw malformed("invalid-udh", "UDH is longer than the user data can hold", 0);
  return [body.length].concat(body);
}
