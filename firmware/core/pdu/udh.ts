/** TP-User-Data-Header, 3GPP TS 23.040 §9.2.3.24. */
import { malformed } from "../errors.js";
import { bytesToHex, hexToBytes, octetAt } from "../hex.js";
import type { RawIe, Udh } from "./types.js";

/** Information element identifiers, TS 23.040 §9.2.3.24 (Table). */
export const IEI_CONCAT8 = 0x00;
export const IEI_PORTS8 = 0x04;
export const IEI_PORTS16 = 0x05;
export const IEI_CONCAT16 = 0x08;
export const IEI_SINGLE_SHIFT = 0x24;
export const IEI_LOCKING_SHIFT = 0x25;

/**
 * Parses the header at ud[base] (UDHL) .. ud[base + UDHL]; the user data ends at `udEnd`.
 * Offsets are those of the whole input. Returns the header and its length including UDHL.
 */
export function readUdh(ud: number[], base: number, udEnd: number): { udh: Udh; length: number } {
  const udhl = ud[base] as number;
  if (base + udhl + 1 > udEnd) throw malformed("invalid-udh", "UDH length " + udhl + " exceeds the user data", base);
  const udh: Udh = {};
  const raw: RawIe[] = [];
  let i = base + 1;
  const end = base + udhl + 1;
  while (i < end) {
    if (i + 2 > end) throw malformed("invalid-udh", "UDH information element header overruns the UDH", i);
    const iei = ud[i] as number;
    const len = ud[i + 1] as number;
    const d = i + 2;
    if (d + len > end) throw malformed("invalid-udh", "UDH element " + iei + " overruns the UDH", i);
    const b0 = octetAt(ud, d);
    const b1 = octetAt(ud, d + 1);
    const b2 = octetAt(ud, d + 2);
    const b3 = octetAt(ud, d + 3);
    // §9.2.3.24.1 / .8: a sequence number of 0 or above the total makes the element ignored,
    // so such elements are kept raw rather than read as concatenation.
    if (iei === IEI_CONCAT8 && len === 3 && b2 >= 1 && b2 <= b1) {
      udh.concat = { ref: b0, total: b1, seq: b2, ref_bits: 8 };
    } else if (iei === IEI_CONCAT16 && len === 4 && b3 >= 1 && b3 <= b2) {
      udh.concat = { ref: (b0 << 8) | b1, total: b2, seq: b3, ref_bits: 16 };
    } else if (iei === IEI_PORTS8 && len === 2) {
      udh.ports = { dest: b0, src: b1, bits: 8 }; // §9.2.3.24.3
    } else if (iei === IEI_PORTS16 && len === 4) {
      udh.ports = { dest: (b0 << 8) | b1, src: (b2 << 8) | b3, bits: 16 }; // §9.2.3.24.4
    } else if (iei === IEI_SINGLE_SHIFT && len === 1) {
      udh.single_shift = b0; // §9.2.3.24.15
    } else if (iei === IEI_LOCKING_SHIFT && len === 1) {
      udh.locking_shift = b0; // §9.2.3.24.16
    } else {
      raw.push({ iei: iei, data: bytesToHex(ud, d, d + len) });
    }
    i = d + len;
  }
  if (raw.length > 0) udh.ies = raw;
  return { udh: udh, length: udhl + 1 };
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
