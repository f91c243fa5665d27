/** Fields the network's events and admin answers share: the bytes of a datagram or TPDU, a power mode. */
import type { Power } from "./conditions.js";

/** The most bytes of a datagram or TPDU an event carries as hex (an MT IP Command is at most 1300). */
export const EVENT_HEX_BYTES = 1500;

/** `{hex}` (upper case, as PDUs are written) of a datagram for an event, cut to EVENT_HEX_BYTES (`truncated: true` then). */
export function hexField(b: Buffer, key = "hex"): Record<string, unknown> {
  const hex = (x: Buffer): string => x.toString("hex").toUpperCase();
  return b.length <= EVENT_HEX_BYTES ? { [key]: hex(b) } : { [key]: hex(b.subarray(0, EVENT_HEX_BYTES)), truncated: true };
}

/** A power mode as the admin API and the events show it. */
export function powerJson(p: Power): Record<string, unknown> {
  return { mode: p.mode, hlcom: p.hlcom, paging_delay_ms: p.pagingDelayMs, edrx_cycle_ms: p.edrxCycleMs, psm_tau_ms: p.psmTauMs, psm_active_ms: p.psmActiveMs };
}
