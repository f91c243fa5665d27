/**
 * SMS-DELIVER-REPORT (3GPP TS 23.040 §9.2.2.1a): the TPDU a mobile station answers an SMS-DELIVER
 * with, inside RP-ACK (received) or RP-ERROR (refused, with the reason in TP-FCS). Both the virtual
 * modem and the host-served agent send it to the SMSC; the SMSC marks the message delivered on an
 * RP-ACK and failed on an RP-ERROR.
 */
import { malformed } from "../errors.js";

/** TP-FCS 0xD3 "Memory Capacity Exceeded" (TS 23.040 §9.2.3.22): the SMS storage is full. */
export const FCS_MEMORY_EXCEEDED = 0xd3;

/**
 * The octets of an SMS-DELIVER-REPORT without optional parameters. RP-ACK (no `failureCause`):
 * the first octet (TP-MTI 00, TP-UDHI 0) and TP-PI 00. RP-ERROR: the first octet, TP-FCS and TP-PI 00.
 * Throws PduError "invalid-failure-cause" for a TP-FCS outside 0x80-0xFF: §9.2.3.22 reserves
 * 0x00-0x7F, and a decoder tells TP-FCS from TP-PI by bit 7.
 */
export function deliverReport(failureCause?: number): number[] {
  // §9.2.2.1a: TP-MTI (bits 1-0) = 00 for SMS-DELIVER-REPORT; TP-UDHI (bit 6) clear: no user data.
  const first = 0x00;
  // §9.2.3.27 TP-PI: no TP-PID, TP-DCS or TP-UDL follows.
  const pi = 0x00;
  if (failureCause === undefined) return [first, pi];
  if (failureCause !== (failureCause & 0xff) || failureCause < 0x80) {
    throw malformed("invalid-failure-cause", "TP-FCS " + failureCause + " is not 0x80-0xFF", 1);
  }
  return [first, failureCause, pi];
}
