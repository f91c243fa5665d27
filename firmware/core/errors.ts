/**
 * The codec's two error kinds (docs/pdu.md, "Errors"): `incomplete` — the input ended before a field did
 * (more octets would help); `malformed` — the octets present are invalid. Every error has a
 * stable `code`, the octet `offset` where it was found, and a message naming the field.
 *
 * PduError does not extend Error: it must behave identically on Node, XS, Espruino and Lua.
 * Device code catches it at the API boundary and returns it as a typed result; host code turns
 * it into PduIncompleteError / PduDecodeError (host-tools/pdu/errors.ts).
 */
export type PduErrorKind = "incomplete" | "malformed";

export interface PduErrorInfo {
  kind: PduErrorKind;
  /** Stable machine-readable code, e.g. "truncated", "invalid-hex", "address-too-long". */
  code: string;
  message: string;
  /** Octet offset in the input (including the SMSC field) where decoding failed. */
  offset: number;
}

export class PduError {
  kind: PduErrorKind;
  code: string;
  message: string;
  offset: number;
  constructor(kind: PduErrorKind, code: string, message: string, offset: number) {
    this.kind = kind;
    this.code = code;
    this.message = message;
    this.offset = offset;
  }
}

/**
 * Something wrong in a PDU that could still be read (decoding went on): a stable `code`, a message naming
 * the field, and the octet `offset` in the input (SMSC field included). Codes: docs/pdu.md.
 */
export interface PduWarning {
  code: string;
  message: string;
  offset: number;
}

export function warning(code: string, what: string, offset: number): PduWarning {
  return { code: code, message: what + " at octet " + offset, offset: offset };
}

export function incomplete(field: string, offset: number): PduError {
  return new PduError("incomplete", "truncated", "input ends inside " + field + " at octet " + offset, offset);
}

export function malformed(code: string, what: string, offset: number): PduError {
  return new PduError("malformed", code, what + " at octet " + offset, offset);
}

/** Turns anything caught at an API boundary into a PduErrorInfo (a non-PduError is a codec bug). */
export function toErrorInfo(e: unknown): PduErrorInfo {
  if (e instanceof PduError) {
    return { kind: e.kind, code: e.code, message: e.message, offset: e.offset };
  }
  return { kind: "malformed", code: "internal", message: "internal codec error: " + String(e), offset: 0 };
}
