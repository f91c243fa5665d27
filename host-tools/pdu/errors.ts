/**
 * The library's two error classes (docs/pdu.md, "Errors"). decodePdu/encodeSubmit throw only these:
 * PduIncompleteError when the input ends too early, PduDecodeError when it is malformed.
 */
import type { PduErrorInfo } from "../../firmware/core/errors.js";

export class PduDecodeError extends Error {
  /** Stable machine-readable code, e.g. "invalid-hex", "address-too-long". */
  readonly code: string;
  /** Octet offset in the input where decoding failed. */
  readonly offset: number;
  constructor(info: PduErrorInfo) {
    super(info.message);
    this.name = "PduDecodeError";
    this.code = info.code;
    this.offset = info.offset;
  }
}

export class PduIncompleteError extends PduDecodeError {
  constructor(info: PduErrorInfo) {
    super(info);
    this.name = "PduIncompleteError";
  }
}

export function toError(info: PduErrorInfo): PduDecodeError {
  return info.kind === "incomplete" ? new PduIncompleteError(info) : new PduDecodeError(info);
}
