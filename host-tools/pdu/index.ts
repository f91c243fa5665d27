/**
 * The PDU codec for Node: the same firmware/core code the devices run, with JavaScript strings
 * and thrown, typed errors.
 */
import {
  decodeOctets,
  decodePdu as decodeCore,
  encodePdu as encodeCore,
  encodeSubmit as submitCore,
  type DecodeOptions,
  type Direction,
  type Pdu,
  type PduInput,
  type SubmitOptions,
} from "../../firmware/core/pdu/index.js";
import { utf16Text, type TextCodec } from "../../firmware/core/text.js";
import { toError } from "./errors.js";

export { PduDecodeError, PduIncompleteError } from "./errors.js";
export { Reassembler, tpduLength } from "../../firmware/core/pdu/index.js";
export type { Pdu, PduInput, SubmitOptions, Direction } from "../../firmware/core/pdu/index.js";

export interface DecodePduOptions {
  /** The hex starts with the SMSC field (as AT+CMGR / +CMT give it). Default: true. */
  smsc?: boolean;
  /** "mt" (network → device), "mo" (device → network) or "auto" (MTI 0/1/2 = DELIVER/SUBMIT/STATUS-REPORT). Default: "auto". */
  direction?: Direction | "auto";
}

/**
 * Node's own strings: the same as firmware/core/text.ts's utf16Text, built with the engine's
 * String.fromCharCode in one call instead of one concatenation per character.
 */
const nodeText: TextCodec = {
  fromCodePoints(cps: number[]): string {
    // At most 160 code points per call (one TPDU's text), well within argument limits.
    for (let i = 0; i < cps.length; i++) if ((cps[i] as number) > 0xffff) return String.fromCodePoint.apply(null, cps);
    return String.fromCharCode.apply(null, cps);
  },
  toCodePoints: utf16Text.toCodePoints,
};

/** Scratch octets for decodePdu: 1 KiB, far more than an SMSC field and a TPDU (≤ 176 octets). */
const SCRATCH = Buffer.allocUnsafe(1024);

/** The six decode options (SMSC field or not × auto, mt, mo), made once rather than per call. */
const DECODE_OPTIONS: DecodeOptions[] = [];
for (const smsc of [true, false]) {
  for (const direction of ["auto", "mt", "mo"] as const) DECODE_OPTIONS.push({ smsc, direction, text: nodeText });
}

/** Decodes one PDU (hex, surrounding white space ignored). Throws PduIncompleteError / PduDecodeError. */
export function decodePdu(hex: string, options: DecodePduOptions = {}): Pdu {
  const h = hex.trim();
  const d = options.direction;
  // Any other direction reads as "auto" in the decoder too (it tests only for "mt" and "mo").
  const opts = DECODE_OPTIONS[(options.smsc === false ? 3 : 0) + (d === "mt" ? 1 : d === "mo" ? 2 : 0)] as DecodeOptions;
  // Node's native hex decoder stops at the first bad digit; then the portable parser reports it.
  // Node's hex decoder writes into one scratch buffer (decoding keeps no reference to it); it stops
  // at the first bad digit, and then the portable parser reports that digit. The decoder only
  // indexes its input, so the Buffer serves as its number[] (firmware/core types it number[] for
  // TypeScriptToLua, which maps only arrays to Lua tables).
  const n = h.length <= SCRATCH.length * 2 ? SCRATCH.write(h, 0, "hex") : -1;
  const r = n * 2 === h.length ? decodeOctets(SCRATCH as unknown as number[], opts, n) : decodeCore(h, opts);
  if (!r.ok) throw toError(r.error);
  return r.pdu;
}

/** Encodes one PDU from its decoded shape. `smsc` (default true) puts the SMSC field first. */
export function encodePdu(pdu: PduInput, options: { smsc?: boolean } = {}): string {
  const r = encodeCore(pdu, { smsc: options.smsc !== false, text: utf16Text });
  if (!r.ok) throw toError(r.error);
  return r.hex;
}

/** SMS-SUBMIT PDUs (one per part) for AT+CMGS in PDU mode. Throws PduDecodeError on bad options. */
export function encodeSubmit(options: SubmitOptions): string[] {
  const r = submitCore(options, utf16Text);
  if (!r.ok) throw toError(r.error);
  return r.parts;
}
