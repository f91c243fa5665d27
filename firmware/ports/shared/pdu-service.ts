/**
 * The PDU codec behind every port (Espruino, XS, Lua): option defaults, input checks, and the
 * one result shape they all return. Device code: ES5 syntax, nothing Espruino or Lua lacks,
 * never throws (every failure becomes `{ error: { code, message } }`, the codes of docs/pdu.md).
 *
 * Batch protocol shared by the XS and Lua ports (see runRequest):
 *   `{ op: "decode" | "encode" | "encodeSubmit" | "text", items: [...] }` → one result per item;
 *   `{ pdu: HEX, smsc?, direction? }` (a §7 `--jsonl` line) → one decode result.
 * Items: decode — HEX or `{ pdu: HEX, smsc?, direction? }` → the §7 object | `{ error }`;
 * encode — a PDU object or `{ pdu: {...}, smsc? }` → `{ hex }` | `{ error }`; encodeSubmit —
 * SubmitOptions → `{ parts }` | `{ error }`; text — a string → `{ code_points, text }`.
 */
import { decodePdu, encodePdu, encodeSubmit } from "../../core/pdu/index.js";
import type { Pdu, PduInput } from "../../core/pdu/index.js";
import type { TextCodec } from "../../core/text.js";
import type { Clock } from "../../hal/clock.js";

export interface PortError {
  error: { code: string; message: string };
}

/** Decode options as the ports accept them. */
export interface PortDecodeOptions {
  /** The hex starts with the SMSC field (as AT+CMGR / +CMT give it). Default: true. */
  smsc?: boolean;
  /** Who sent the TPDU: "mt", "mo", or "auto" (MTI 0 deliver, 1 submit, 2 status-report). Default: "auto". */
  direction?: string;
}

function fail(code: string, message: string): PortError {
  return { error: { code: code, message: message } };
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(e: unknown): string {
  if (isObject(e) && typeof e["message"] === "string") {
    return e["message"] as string;
  }
  return typeof e === "string" ? e : "unexpected failure";
}

/**
 * Decodes one PDU. `nullValue` stands for JSON null in the result (`smsc` when the PDU has no
 * SMSC): `null` in JavaScript; Lua passes its JSON writer's sentinel because a Lua table
 * cannot hold nil.
 */
export function portDecode(hex: unknown, options: unknown, text: TextCodec, nullValue: unknown): object {
  if (typeof hex !== "string") {
    return fail("invalid-input", "the PDU must be a hex string");
  }
  const opts: PortDecodeOptions = isObject(options) ? (options as PortDecodeOptions) : {};
  const smsc = opts.smsc === false ? false : true;
  let direction: "mt" | "mo" | "auto" = "auto";
  if (opts.direction === "mo" || opts.direction === "mt") {
    direction = opts.direction;
  } else if (opts.direction !== undefined && opts.direction !== null && opts.direction !== "auto") {
    return fail("invalid-input", "direction must be \"mt\", \"mo\" or \"auto\"");
  }
  try {
    const r = decodePdu(hex, { smsc: smsc, direction: direction, text: text });
    if (!r.ok) {
      return fail(r.error.code, r.error.message);
    }
    const pdu: Pdu = r.pdu;
    if (pdu.smsc === null || pdu.smsc === undefined) {
      (pdu as { smsc: unknown }).smsc = nullValue;
    }
    return pdu;
  } catch (e) {
    return fail("internal", describe(e));
  }
}

/** Encode options as the ports accept them. */
export interface PortEncodeOptions {
  /** Start the hex with the SMSC field (pdu.smsc, or 00 when it is null). Default: true. */
  smsc?: boolean;
}

/** Encodes one decoded-shape PDU object (`type` required) to hex: `{ hex }` or `{ error }`. */
export function portEncode(pdu: unknown, options: unknown, text: TextCodec): object {
  if (!isObject(pdu) || typeof pdu["type"] !== "string") {
    return fail("invalid-input", "encode takes a PDU object with a type");
  }
  const opts: PortEncodeOptions = isObject(options) ? (options as PortEncodeOptions) : {};
  try {
    const r = encodePdu(pdu as unknown as PduInput, { smsc: opts.smsc === false ? false : true, text: text });
    return r.ok ? { hex: r.hex } : fail(r.error.code, r.error.message);
  } catch (e) {
    return fail("internal", describe(e));
  }
}

/** Builds SMS-SUBMIT PDUs (segmented): `{ parts }` or `{ error }`. */
export function portEncodeSubmit(options: unknown, text: TextCodec): object {
  if (!isObject(options) || typeof options["to"] !== "string") {
    return fail("invalid-input", "encodeSubmit takes { to, text | dataHex, ... }");
  }
  try {
    const r = encodeSubmit(options as unknown as Parameters<typeof encodeSubmit>[0], text);
    return r.ok ? { parts: r.parts } : fail(r.error.code, r.error.message);
  } catch (e) {
    return fail("internal", describe(e));
  }
}

/**
 * Text-codec round trip, for conformance tests: the string's code points as this runtime's
 * TextCodec reads them, and the string rebuilt from them.
 */
export function portText(s: unknown, text: TextCodec): object {
  if (typeof s !== "string") {
    return fail("invalid-input", "text takes a string");
  }
  const cps = text.toCodePoints(s);
  return { code_points: cps, text: text.fromCodePoints(cps) };
}

function runItem(op: string, item: unknown, text: TextCodec, nullValue: unknown): object {
  if (op === "decode") {
    if (typeof item === "string") {
      return portDecode(item, undefined, text, nullValue);
    }
    return isObject(item)
      ? portDecode(item["pdu"], item, text, nullValue)
      : fail("invalid-input", "a decode item is HEX or { pdu: HEX, smsc?, direction? }");
  }
  if (op === "encode") {
    // An item is the PDU object, or { pdu: {...}, smsc?: boolean }.
    return isObject(item) && isObject(item["pdu"])
      ? portEncode(item["pdu"], item, text)
      : portEncode(item, undefined, text);
  }
  if (op === "encodeSubmit") {
    return portEncodeSubmit(item, text);
  }
  return portText(item, text);
}

/** The runtime's clock (firmware/hal/clock.ts), injected by each port; the bench only reads the time. */
export type BenchClock = Pick<Clock, "now">;

/** Decodes at most this many PDUs in one bench request, whatever `ms` says. */
export const BENCH_MAX_DECODES = 3000000;

/**
 * `{ op: "bench", items: [HEX…], ms }`: decodes the items over and over for about `ms`
 * milliseconds (default 1000, at most 10000) or BENCH_MAX_DECODES decodes, timed by the
 * runtime's own clock; answers `{ decoded, ms }`.
 */
function bench(items: unknown[], ms: unknown, text: TextCodec, clock: BenchClock): object {
  const budget = typeof ms === "number" && ms > 0 && ms <= 10000 ? ms : 1000;
  const hexes: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const h = items[i];
    if (typeof h !== "string") return fail("invalid-input", "bench items are hex strings");
    hexes.push(h);
  }
  if (hexes.length === 0) return fail("invalid-input", "bench needs at least one item");
  const start = clock.now();
  let decoded = 0;
  let elapsed = 0;
  while (elapsed < budget && decoded < BENCH_MAX_DECODES) {
    for (let i = 0; i < hexes.length; i++) decodePdu(hexes[i] as string, { smsc: true, direction: "auto", text: text });
    decoded += hexes.length;
    elapsed = clock.now() - start;
  }
  return { decoded: decoded, ms: elapsed };
}

/** Runs one batch request (see the file comment). Never throws. */
export function runRequest(req: unknown, text: TextCodec, nullValue: unknown, clock: BenchClock): unknown {
  if (!isObject(req)) {
    return fail("invalid-request", "a request is a JSON object");
  }
  const op = req["op"];
  if (op === undefined || op === null) {
    return req["pdu"] !== undefined
      ? portDecode(req["pdu"], req, text, nullValue)
      : fail("invalid-request", "a request has op and items, or pdu");
  }
  if (op !== "decode" && op !== "encode" && op !== "encodeSubmit" && op !== "text" && op !== "bench") {
    return fail("invalid-request", "op must be decode, encode, encodeSubmit, text or bench");
  }
  const items = req["items"];
  if (!Array.isArray(items)) {
    return fail("invalid-request", "items must be an array");
  }
  if (op === "bench") return bench(items, req["ms"], text, clock);
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    out.push(runItem(op, items[i], text, nullValue));
  }
  return out;
}
