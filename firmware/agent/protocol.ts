/**
 * The device protocol: parsing command envelopes, formatting replies, and reading replies back (what the
 * bridge does with a device's uplink).
 *
 * - Text: `[<id> ]<name>[ <args>]`. An SMS sent with IncludeSid=start begins with the 34-character
 *   command SID (`DC…` Programmable Wireless, `HC…` Super SIM) and a space, one sent with
 *   IncludeSid=end ends with a space and the SID; that SID becomes the id when no other is given.
 *   The first word is the id when it is not a command name.
 * - Binary: a CBOR map `{i: id, c: name, a: args}` (RFC 8949).
 * - Replies: text `<id> ok <result>` / `<id> err <reason>` (no id → `ok …`), CBOR `{i, r}` / `{i, e}`.
 */
import { CborBytes, decodeCbor, encodeCbor, type CborMap, type CborValue } from "../core/cbor.js";
import { utf8ToText, type TextCodec } from "../core/text.js";

export type Envelope = "text" | "cbor";

export interface Command {
  /** Correlation id, "" when the request had none. */
  id: string;
  name: string;
  /** Text commands: the rest of the line ("" when none). CBOR: the `a` value. */
  args: CborValue;
  envelope: Envelope;
}

export type ParseResult = { ok: true; command: Command } | { ok: false; id: string; envelope: Envelope; reason: string };

/** A command SID: two letters (DC / HC) then 32 lowercase hex digits (34 characters). */
export function isCommandSid(s: string): boolean {
  if (s.length !== 34) return false;
  const p = s.substring(0, 2);
  if (p !== "DC" && p !== "HC") return false;
  for (let i = 2; i < 34; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.substring(a, b);
}

/** Splits off the first word: [word, rest] with the rest trimmed. */
function firstWord(s: string): string[] {
  let i = 0;
  while (i < s.length && !isSpace(s.charCodeAt(i))) i++;
  return [s.substring(0, i), trim(s.substring(i))];
}

/** Splits off the last word: [rest trimmed, word]. */
function lastWord(s: string): string[] {
  let i = s.length;
  while (i > 0 && !isSpace(s.charCodeAt(i - 1))) i--;
  return [trim(s.substring(0, i)), s.substring(i)];
}

/** Parses a text command; `known(name)` says whether a word is a command name. */
export function parseText(line: string, known: (name: string) => boolean): ParseResult {
  let rest = trim(line);
  let id = "";
  let w = firstWord(rest);
  // Programmable Wireless Commands, IncludeSid: the platform adds the Command SID at the start or at
  // the end of the body, separated from it by one space. The start wins when both ends hold one, so
  // a body whose last word is a SID (an argument) keeps it.
  if (isCommandSid(w[0] as string)) {
    id = w[0] as string;
    rest = w[1] as string;
  } else {
    const e = lastWord(rest);
    if (isCommandSid(e[1] as string)) {
      id = e[1] as string;
      rest = e[0] as string;
    }
  }
  w = firstWord(rest);
  if (rest === "") return { ok: false, id: id, envelope: "text", reason: "empty command" };
  if (!known(w[0] as string) && (w[1] as string) !== "") {
    id = w[0] as string;
    rest = w[1] as string;
    w = firstWord(rest);
  }
  return { ok: true, command: { id: id, name: w[0] as string, args: w[1] as string, envelope: "text" } };
}

/** Parses a CBOR envelope `{i, c, a}`. */
export function parseCbor(bytes: number[], text: TextCodec): ParseResult {
  const r = decodeCbor(bytes, text, { maxDepth: 8, maxItems: 64, maxString: 1300 });
  if (!r.ok) return { ok: false, id: "", envelope: "cbor", reason: "bad CBOR: " + r.error.code };
  const v = r.value;
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof CborBytes) {
    return { ok: false, id: "", envelope: "cbor", reason: "CBOR envelope must be a map" };
  }
  const m = v as CborMap;
  const rawId = m["i"];
  const id = typeof rawId === "string" ? rawId : typeof rawId === "number" ? "" + rawId : "";
  const name = m["c"];
  if (typeof name !== "string" || name === "") return { ok: false, id: id, envelope: "cbor", reason: "CBOR envelope needs a command name in c" };
  return { ok: true, command: { id: id, name: name, args: m["a"], envelope: "cbor" } };
}

/** Text reply: `<id> ok <result>` / `<id> err <reason>`. */
export function formatTextReply(id: string, ok: boolean, body: string): string {
  const head = (id === "" ? "" : id + " ") + (ok ? "ok" : "err");
  return body === "" ? head : head + " " + body;
}

/** CBOR reply bytes `{i, r}` / `{i, e}`. */
export function encodeCborReply(id: string, ok: boolean, body: CborValue, text: TextCodec): number[] {
  const m: CborMap = { i: id };
  if (ok) m["r"] = body;
  else m["e"] = body;
  const r = encodeCbor(m, text);
  return r.ok ? r.bytes : [0xa1, 0x61, 0x65, 0x60]; // {"e": ""}: cannot happen for the values handlers return
}

/** A reply read back: the request's id, success or failure, and the result (`r`, the text after `ok`) or reason. */
export interface Reply {
  id: string;
  ok: boolean;
  value: CborValue;
}

/** Longest id a reply may carry; a command SID (34 characters) fits. */
export const MAX_REPLY_ID = 64;

/**
 * Reads a text reply `<id> ok[ <result>]` / `<id> err[ <reason>]` (the inverse of formatTextReply; one
 * trailing line end is ignored). A reply without an id cannot be matched to a request: null.
 */
export function parseTextReply(line: string): Reply | null {
  let s = line;
  if (s.length > 0 && s.charCodeAt(s.length - 1) === 10) s = s.substring(0, s.length - (s.length > 1 && s.charCodeAt(s.length - 2) === 13 ? 2 : 1));
  let i = 0;
  while (i < s.length && !isSpace(s.charCodeAt(i))) i++;
  if (i === 0 || i > MAX_REPLY_ID || s.charCodeAt(i) !== 32) return null;
  const id = s.substring(0, i);
  const rest = s.substring(i + 1);
  const word = rest.substring(0, 3) === "err" ? "err" : rest.substring(0, 2) === "ok" ? "ok" : "";
  if (word === "") return null;
  if (rest.length > word.length && rest.charCodeAt(word.length) !== 32) return null;
  return { id: id, ok: word === "ok", value: rest.substring(word.length + 1) };
}

/** Reads a decoded CBOR reply `{i, r}` / `{i, e}` (exactly one of r and e; i a text string or an integer). */
export function replyFromCbor(v: CborValue): Reply | null {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof CborBytes) return null;
  const m = v as CborMap;
  const i = m["i"];
  if (typeof i !== "string" && typeof i !== "number") return null;
  const hasR = "r" in m;
  if (hasR === "e" in m) return null;
  return { id: typeof i === "string" ? i : "" + i, ok: hasR, value: hasR ? m["r"] : m["e"] };
}

/** Reads the reply octets the agent sends for a request in `envelope` (the inverse of its reply encoding). */
export function parseReply(envelope: Envelope, octets: number[], text: TextCodec): Reply | null {
  if (envelope === "text") return parseTextReply(utf8ToText(octets, text));
  const r = decodeCbor(octets, text, undefined);
  return r.ok ? replyFromCbor(r.value) : null;
}
