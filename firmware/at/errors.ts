/**
 * The engine's two error kinds for broken bytes (the codec's split, firmware/core/errors.ts):
 *   incomplete — the bytes stopped inside something (a line, a binary payload) and did not go on;
 *   malformed  — the bytes present break a limit or the framing.
 * They are reported through AtEngineOptions.onError, never thrown: a UART delivers garbage now
 * and then (noise, a reboot's "\0\0", baud mismatches) and the engine keeps going.
 *
 * Codes (stable, machine-readable):
 *   malformed  "line-too-long"     a line passed maxLineLength; the rest of it, up to LF, is dropped
 *   malformed  "data-too-long"     a data header announced more than maxDataLength octets; not read
 *   incomplete "data-timeout"      a binary payload did not complete within dataTimeout
 *   incomplete "unterminated-line" a command timed out while a line was still open (no CR/LF came)
 */
export type AtErrorKind = "incomplete" | "malformed";

export interface AtError {
  kind: AtErrorKind;
  code: string;
  message: string;
}

export function atError(kind: AtErrorKind, code: string, message: string): AtError {
  return { kind: kind, code: code, message: message };
}
