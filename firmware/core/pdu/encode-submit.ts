/**
 * SMS-SUBMIT TPDU encoding (3GPP TS 23.040 §9.2.2.2) and the field helpers every TPDU encoder shares
 * (encode.ts has the other types). What a device needs to send an SMS: encodeSubmit (submit.ts)
 * builds on this alone.
 */
import { malformed } from "../errors.js";
import { codePointsToSeptets } from "../gsm7.js";
import type { TextCodec } from "../text.js";
import { defaultToa, writeAddress } from "./address.js";
import { decodeDcs, makeDcs } from "./dcs.js";
import type { Alphabet, Pdu, PduType } from "./types.js";
import { writeUserData } from "./user-data.js";
import { vpfOf, writeValidity } from "./validity.js";

/** What encodePdu takes: the decoded shape, with everything but `type` optional. */
export type PduInput = Partial<Pdu> & { type: PduType };

export function bit(flag: boolean | undefined, mask: number, base: number): number {
  if (flag === undefined) return base;
  return flag ? base | mask : base & ~mask & 0xff;
}

export function need<T>(v: T | undefined, field: string): T {
  if (v === undefined) throw malformed("missing-field", "'" + field + "' is required", 0);
  return v;
}

/** The alphabet of the user data: from TP-DCS when given, else chosen from the content. */
function alphabetOf(p: PduInput, text: TextCodec): { alphabet: Alphabet; dcs: number } {
  if (p.dcs !== undefined) {
    const info = decodeDcs(p.dcs);
    if (info.compressed) throw malformed("unsupported", "compressed user data (TS 23.042) cannot be encoded", 0);
    return { alphabet: info.alphabet, dcs: p.dcs };
  }
  if (p.text === undefined) return { alphabet: "8bit", dcs: makeDcs("8bit", undefined) };
  const udh = p.udh;
  const locking = udh !== undefined && udh.locking_shift !== undefined ? udh.locking_shift : 0;
  const single = udh !== undefined && udh.single_shift !== undefined ? udh.single_shift : 0;
  const gsm = codePointsToSeptets(text.toCodePoints(p.text), locking, single) !== null;
  const alphabet: Alphabet = gsm ? "gsm7" : "ucs2";
  return { alphabet: alphabet, dcs: makeDcs(alphabet, undefined) };
}

/** TP-PID, TP-DCS, TP-UDL, TP-UD in that order (with the optional VP between for SUBMIT). */
export function userDataFields(p: PduInput, text: TextCodec): { dcs: number; ud: number[] } {
  const a = alphabetOf(p, text);
  const ud = writeUserData({ alphabet: a.alphabet, udh: p.udh, text: p.text, dataHex: p.data_hex }, text);
  return { dcs: a.dcs, ud: ud };
}

export function udhiBit(p: PduInput, fo: number): number {
  return p.udh !== undefined ? fo | 0x40 : fo & ~0x40 & 0xff;
}

/** The SMS-SUBMIT TPDU (§9.2.2.2) of `p`, without the SMSC field. Throws PduError (malformed) for a missing field. */
export function submitTpdu(p: PduInput, text: TextCodec): number[] {
  const dest = need(p.destination, "destination");
  let fo = p.first_octet !== undefined ? p.first_octet : 0;
  fo = (fo & ~0x1b & 0xff) | 0x01 | (vpfOf(p.validity_period) << 3); // MTI 01, TP-VPF (§9.2.3.1, §9.2.3.3)
  fo = bit(p.reject_duplicates, 0x04, fo);
  fo = bit(p.status_report_request, 0x20, fo);
  fo = bit(p.reply_path, 0x80, fo);
  const u = userDataFields(p, text);
  fo = udhiBit(p, fo);
  const toa = p.destination_toa !== undefined ? p.destination_toa : defaultToa(dest);
  return [fo, p.message_ref !== undefined ? p.message_ref & 0xff : 0]
    .concat(writeAddress(dest, toa, text, "destination"))
    .concat([p.pid !== undefined ? p.pid : 0, u.dcs])
    .concat(writeValidity(p.validity_period))
    .concat(u.ud);
}

