/** TP-Validity-Period, 3GPP TS 23.040 §9.2.3.12. */
import { malformed } from "../errors.js";
import { bytesToHex, hexToBytes } from "../hex.js";
import type { Reader } from "./reader.js";
import { readTimestamp, writeTimestamp } from "./timestamp.js";
import type { ValidityPeriod } from "./types.js";

/** TP-VPF values (first octet bits 4-3), §9.2.3.3. */
export const VPF_NONE = 0;
export const VPF_ENHANCED = 1;
export const VPF_RELATIVE = 2;
export const VPF_ABSOLUTE = 3;

/** Seconds for a relative TP-VP octet (§9.2.3.12.1 table). */
export function relativeSeconds(v: number): number {
  if (v <= 143) return (v + 1) * 5 * 60;
  if (v <= 167) return 12 * 3600 + (v - 143) * 30 * 60;
  if (v <= 196) return (v - 166) * 86400;
  return (v - 192) * 7 * 86400;
}

/** The smallest relative TP-VP octet whose period is at least `minutes` (capped at 255 = 63 weeks). */
export function relativeFromMinutes(minutes: number): number {
  for (let v = 0; v < 256; v++) if (relativeSeconds(v) >= minutes * 60) return v;
  return 255;
}

function bcdSwapped(b: number): number {
  return (b & 15) * 10 + (b >>> 4);
}

function enhanced(octets: number[]): ValidityPeriod {
  // §9.2.3.12.3: octet 1 = extension bit 7, single shot bit 6, format bits 2-0.
  const first = octets[0] as number;
  const vp: ValidityPeriod = { format: "enhanced", octets: bytesToHex(octets), single_shot: (first & 0x40) !== 0 };
  const f = first & 7;
  if (f === 1) vp.seconds = relativeSeconds(octets[1] as number);
  else if (f === 2) vp.seconds = octets[1] as number;
  else if (f === 3) vp.seconds = bcdSwapped(octets[1] as number) * 3600 + bcdSwapped(octets[2] as number) * 60 + bcdSwapped(octets[3] as number);
  return vp;
}

export function readValidity(r: Reader, vpf: number): ValidityPeriod {
  if (vpf === VPF_RELATIVE) {
    const v = r.u8("validity period");
    return { format: "relative", value: v, seconds: relativeSeconds(v) };
  }
  if (vpf === VPF_ABSOLUTE) return { format: "absolute", time: readTimestamp(r, "validity period") };
  if (vpf === VPF_ENHANCED) return enhanced(r.take(7, "validity period"));
  return { format: "none" };
}

/** VPF bits for a validity period. */
export function vpfOf(vp: ValidityPeriod | undefined): number {
  if (vp === undefined) return VPF_NONE;
  if (vp.format === "relative") return VPF_RELATIVE;
  if (vp.format === "absolute") return VPF_ABSOLUTE;
  if (vp.format === "enhanced") return VPF_ENHANCED;
  return VPF_NONE;
}

export function writeValidity(vp: ValidityPeriod | undefined): number[] {
  if (vp === undefined || vp.format === "none") return [];
  if (vp.format === "relative") {
    if (vp.value < 0 || vp.value > 255 || Math.floor(vp.value) !== vp.value) throw malformed("invalid-validity", "relative validity period must be 0-255", 0);
    return [vp.value];
  }
  if (vp.format === "absolute") return writeTimestamp(vp.time, "validity period");
  const o = hexToBytes(vp.octets);
  if (o.length !== 7) throw malformed("invalid-validity", "enhanced validity period must be 7 octets", 0);
  return o;
}
