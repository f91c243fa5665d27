/**
 * TPDU encoding from the decoded shape (types.ts): SMS-SUBMIT, SMS-DELIVER, SMS-STATUS-REPORT and
 * SMS-COMMAND (3GPP TS 23.040 §9.2.2). decode(encode(p)) gives p back for every p that decode
 * produced; fields that decode derives (udl, dcs_info, status_text) are ignored. SMS-SUBMIT and the
 * helpers every type shares live in encode-submit.ts, so device code that only sends (encodeSubmit)
 * carries neither these encoders nor the timestamp writer.
 */
import { malformed, toErrorInfo, type PduErrorInfo } from "../errors.js";
import { bytesToHex, hexToBytes } from "../hex.js";
import type { TextCodec } from "../text.js";
import { defaultToa, writeAddress, writeSmsc } from "./address.js";
import { bit, need, submitTpdu, udhiBit, userDataFields, type PduInput } from "./encode-submit.js";
import { writeTimestamp } from "./timestamp.js";

export type { PduInput } from "./encode-submit.js";

export interface EncodeOptions {
  /** Put the SMSC field first (pdu.smsc, or 00 = "the SMSC stored in the modem"). 27.005 §3.1. */
  smsc: boolean;
  text: TextCodec;
}

export type EncodeResult = { ok: true; hex: string } | { ok: false; error: PduErrorInfo };

function encodeDeliverTpdu(p: PduInput, text: TextCodec): number[] {
  const oa = need(p.originator, "originator");
  let fo = p.first_octet !== undefined ? p.first_octet : 0x04;
  fo = fo & ~0x03 & 0xff; // MTI 00
  if (p.more_messages !== undefined) fo = bit(!p.more_messages, 0x04, fo); // TP-MMS is inverted (§9.2.3.2)
  fo = bit(p.status_report_indication, 0x20, fo);
  fo = bit(p.reply_path, 0x80, fo);
  const u = userDataFields(p, text);
  fo = udhiBit(p, fo);
  const toa = p.originator_toa !== undefined ? p.originator_toa : defaultToa(oa);
  return [fo]
    .concat(writeAddress(oa, toa, text, "originator"))
    .concat([p.pid !== undefined ? p.pid : 0, u.dcs])
    .concat(writeTimestamp(need(p.timestamp, "timestamp"), "timestamp"))
    .concat(u.ud);
}

function encodeStatusReportTpdu(p: PduInput, text: TextCodec): number[] {
  const ra = need(p.recipient, "recipient");
  let fo = p.first_octet !== undefined ? p.first_octet : 0x04;
  fo = (fo & ~0x03 & 0xff) | 0x02; // MTI 10
  if (p.more_messages !== undefined) fo = bit(!p.more_messages, 0x04, fo);
  if (p.status_report_qualifier !== undefined) fo = bit(p.status_report_qualifier === "command", 0x20, fo);
  const toa = p.recipient_toa !== undefined ? p.recipient_toa : defaultToa(ra);
  let out = [fo, need(p.message_ref, "message_ref") & 0xff]
    .concat(writeAddress(ra, toa, text, "recipient"))
    .concat(writeTimestamp(need(p.timestamp, "timestamp"), "timestamp"))
    .concat(writeTimestamp(need(p.discharge_time, "discharge_time"), "discharge_time"))
    .concat([need(p.status, "status") & 0xff]);
  // TP-PI and what it announces (§9.2.3.27), present when the input has any of them.
  const hasUd = p.text !== undefined || p.data_hex !== undefined;
  if (p.parameter_indicator === undefined && p.pid === undefined && p.dcs === undefined && !hasUd) {
    fo = udhiBit(p, fo);
    out[0] = fo;
    return out;
  }
  let pi = p.parameter_indicator !== undefined ? p.parameter_indicator & 0x78 : 0;
  if (p.pid !== undefined) pi |= 1;
  if (p.dcs !== undefined || hasUd) pi |= 2;
  if (hasUd) pi |= 4;
  out.push(pi);
  if (p.pid !== undefined) out.push(p.pid);
  if (hasUd) {
    const u = userDataFields(p, text);
    out = out.concat([u.dcs]).concat(u.ud);
  } else if (p.dcs !== undefined) {
    out.push(p.dcs);
  }
  out[0] = udhiBit(p, fo);
  return out;
}

function encodeCommandTpdu(p: PduInput, text: TextCodec): number[] {
  const da = need(p.destination, "destination");
  let fo = p.first_octet !== undefined ? p.first_octet : 0;
  fo = (fo & ~0x03 & 0xff) | 0x02; // MTI 10 from the MS (§9.2.3.1)
  fo = bit(p.status_report_request, 0x20, fo);
  const cd = p.command_data_hex !== undefined ? hexToBytes(p.command_data_hex) : [];
  if (cd.length > 157) throw malformed("invalid-cdl", "command data exceeds 157 octets", 0);
  const toa = p.destination_toa !== undefined ? p.destination_toa : defaultToa(da);
  return [fo, p.message_ref !== undefined ? p.message_ref & 0xff : 0, p.pid !== undefined ? p.pid : 0]
    .concat([p.command_type !== undefined ? p.command_type : 0, p.message_number !== undefined ? p.message_number : 0])
    .concat(writeAddress(da, toa, text, "destination"))
    .concat([cd.length])
    .concat(cd);
}

function encodeBytes(p: PduInput, options: EncodeOptions): number[] {
  let tpdu: number[];
  if (p.type === "submit") tpdu = submitTpdu(p, options.text);
  else if (p.type === "deliver") tpdu = encodeDeliverTpdu(p, options.text);
  else if (p.type === "status-report") tpdu = encodeStatusReportTpdu(p, options.text);
  else if (p.type === "command") tpdu = encodeCommandTpdu(p, options.text);
  else throw malformed("unsupported", "encoding " + p.type + " is not supported", 0);
  if (!options.smsc) return tpdu;
  return writeSmsc(p.smsc === undefined ? null : p.smsc, p.smsc_toa).concat(tpdu);
}

/** Encodes one PDU to uppercase hex; never throws. */
export function encodePdu(p: PduInput, options: EncodeOptions): EncodeResult {
  try {
    return { ok: true, hex: bytesToHex(encodeBytes(p, options)) };
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}
