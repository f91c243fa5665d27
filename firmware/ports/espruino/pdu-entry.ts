/**
 * Espruino PDU bundle (dist/firmware/espruino/pdu.js). Loaded as a plain script it defines the
 * global `simcmdPdu` (rollup IIFE, see manifests/espruino/rollup.config.js):
 *
 *   simcmdPdu.decode(hex, { smsc: true|false, direction: "auto"|"mt"|"mo" })  // defaults: true, "auto"
 *     → the decoded PDU object (core/pdu/types.ts), every text field a UTF-8 byte string, or { error: { code, message } }
 *   simcmdPdu.encode(pduObject, { smsc: true|false })  → { hex } | { error }   // default: true
 *   simcmdPdu.encodeSubmit(options)    → { parts } | { error }   (text given as UTF-8 bytes)
 *   simcmdPdu.text(s)                  → { code_points, text }   (UTF-8 codec round trip)
 *
 * Never throws. Espruino strings are 8-bit, so text travels as UTF-8 octets (utf8Text).
 */
import { utf8Text } from "../../core/text.js";
import { portDecode, portEncode, portEncodeSubmit, portText } from "../shared/pdu-service.js";

export function decode(hex: string, options?: { smsc?: boolean; direction?: string }): object {
  return portDecode(hex, options, utf8Text, null);
}

export function encode(pdu: object, options?: { smsc?: boolean }): object {
  return portEncode(pdu, options, utf8Text);
}

export function encodeSubmit(options: object): object {
  return portEncodeSubmit(options, utf8Text);
}

export function text(s: string): object {
  return portText(s, utf8Text);
}
