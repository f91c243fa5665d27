/** `echo <text>` → the text, as given (text or CBOR). */
import type { CborValue } from "../../core/cbor.js";
import type { HandlerResult } from "./types.js";

export function echo(args: CborValue): HandlerResult {
  return { ok: true, value: args === undefined ? "" : args };
}
