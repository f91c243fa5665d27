/**
 * Typed outcomes of an AT command, and recognition of the final result codes that end one.
 *
 * Final result codes (ITU-T V.250 §5.7.1, Table 1, verbose form: the engine assumes ATV1):
 *   OK · ERROR · NO CARRIER · BUSY · NO ANSWER · NO DIALTONE
 * plus the extended error results that replace ERROR when enabled with AT+CMEE=1|2:
 *   +CME ERROR: <err>   3GPP TS 27.007 §9.2 (ME errors, §9.2.1 general, §9.2.2 GPRS)
 *   +CMS ERROR: <err>   3GPP TS 27.005 §3.2.5 (message service errors)
 * CONNECT (V.250 code 1) starts online data mode, which this engine does not drive: a driver
 * that needs it must treat CONNECT as its own final line (SendOptions.finals).
 */

/** Every result carries the intermediate lines and binary payloads the command collected. */
interface Collected {
  /** Information-text lines of this command, in order, without CR/LF (URCs never appear here). */
  lines: string[];
  /** Binary payloads read after a data header (SendOptions.data), one array per header. */
  data: number[][];
}

/** A command's outcome. Switch on `kind`; see docs/at-engine.md §Results. */
export type AtResult =
  | ({ kind: "ok" } & Collected)
  | ({ kind: "error" } & Collected)
  /** `code` is the numeric <err>, or -1 when the modem sent verbose text (AT+CMEE=2). */
  | ({ kind: "cme-error"; code: number; message: string } & Collected)
  | ({ kind: "cms-error"; code: number; message: string } & Collected)
  | ({ kind: "no-carrier" | "busy" | "no-answer" | "no-dialtone" } & Collected)
  /** No final result code within the command's timeout; `lines` holds what did arrive. */
  | ({ kind: "timeout" } & Collected);

export type AtResultKind = AtResult["kind"];

/** A recognised final line, before the collected lines are attached. */
export type FinalCode =
  | { kind: "ok" }
  | { kind: "error" }
  | { kind: "cme-error" | "cms-error"; code: number; message: string }
  | { kind: "no-carrier" | "busy" | "no-answer" | "no-dialtone" };

const CME = "+CME ERROR:";
const CMS = "+CMS ERROR:";

/** `s` without leading and trailing spaces (String.prototype.trim is ES5, but keep Lua's lualib small). */
export function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.substring(a, b);
}

/** A non-negative decimal integer, or -1 when `s` is empty or holds anything but digits. */
export function parseDecimal(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

function startsWith(line: string, prefix: string): boolean {
  return line.length >= prefix.length && line.substring(0, prefix.length) === prefix;
}

function extendedError(kind: "cme-error" | "cms-error", rest: string): FinalCode {
  const text = trimSpaces(rest);
  // Numeric <err> with AT+CMEE=1; verbose text with AT+CMEE=2 (27.007 §9.1).
  return { kind: kind, code: parseDecimal(text), message: text };
}

/**
 * The final result code `line` is, or null when it is not one. `line` has no CR/LF.
 * Only the exact verbose forms match: "OK " or "ok" do not (V.250 §5.7.1 fixes the text).
 */
export function parseFinal(line: string): FinalCode | null {
  switch (line) {
    case "OK":
      return { kind: "ok" }; // V.250 result code 0
    case "ERROR":
      return { kind: "error" }; // V.250 result code 4
    case "NO CARRIER":
      return { kind: "no-carrier" }; // V.250 result code 3
    case "BUSY":
      return { kind: "busy" }; // V.250 result code 7
    case "NO ANSWER":
      return { kind: "no-answer" }; // V.250 result code 8
    case "NO DIALTONE":
      return { kind: "no-dialtone" }; // V.250 result code 6
  }
  if (startsWith(line, CME)) return extendedError("cme-error", line.substring(CME.length)); // 27.007 §9.2
  if (startsWith(line, CMS)) return extendedError("cms-error", line.substring(CMS.length)); // 27.005 §3.2.5
  return null;
}

/** Attaches the collected lines and payloads to a final code. */
export function toResult(code: FinalCode, lines: string[], data: number[][]): AtResult {
  switch (code.kind) {
    case "cme-error":
    case "cms-error":
      return { kind: code.kind, code: code.code, message: code.message, lines: lines, data: data };
    default:
      return { kind: code.kind, lines: lines, data: data };
  }
}

/**
 * Splits the parameters of an information response or URC line: `+CMTI: "SM",3` → ["SM", "3"].
 * The text up to the first ": " (or ":") is skipped when `line` starts with "+"; quoted strings
 * lose their quotes and may contain commas (27.007 §4.1 string type); spaces around unquoted
 * values are trimmed. A line without parameters gives [].
 */
export function splitParams(line: string): string[] {
  let i = 0;
  if (line.length > 0 && line.charCodeAt(0) === 43) {
    const colon = line.indexOf(":");
    i = colon < 0 ? line.length : colon + 1;
  }
  const out: string[] = [];
  if (trimSpaces(line.substring(i)).length === 0) return out;
  let cur = "";
  let quoted = false;
  let wasQuoted = false;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) {
      if (!quoted && !wasQuoted) cur = ""; // spaces before the opening quote
      quoted = !quoted;
      wasQuoted = true;
    } else if (c === 44 && !quoted) {
      out.push(wasQuoted ? cur : trimSpaces(cur));
      cur = "";
      wasQuoted = false;
    } else if (!(wasQuoted && !quoted)) {
      cur += line.charAt(i); // text after a closing quote (before the comma) is dropped
    }
  }
  out.push(wasQuoted ? cur : trimSpaces(cur));
  return out;
}
