/**
 * Uplink payloads. A binary payload that is one CBOR map or array (RFC 8949, read by the firmware's own codec)
 * gets a `decoded` JSON value; the agent's replies — text `<id> ok <result>` / `<id> err <reason>`, CBOR
 * `{i, r}` / `{i, e}` — are read with the agent protocol's own parser, so both sides share one definition.
 *
 * What the firmware codec does not read gets no `decoded` (the payload is published as is): tags,
 * indefinite lengths, integers beyond 2^53, map keys other than text or integers, invalid UTF-8 text.
 */
import { CborBytes, decodeCbor, type CborValue } from "../../firmware/core/cbor.js";
import { utf16Text } from "../../firmware/core/text.js";
import { parseTextReply, replyFromCbor, type Reply } from "../../firmware/agent/protocol.js";

export type { Reply } from "../../firmware/agent/protocol.js";

/**
 * Bounds for a payload from the network: nesting, items per container, octets per string. A webhook body is
 * at most 1 MiB, so the decoder's work is bounded by that and by these.
 */
const LIMITS = { maxDepth: 32, maxItems: 65536, maxString: 1 << 20 };

/** JSON form of a decoded CBOR value: byte strings → base64, undefined → null, NaN and ±Infinity → strings. */
export function cborToJson(v: CborValue): unknown {
  if (v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v === null || typeof v !== "object") return v;
  if (v instanceof CborBytes) return Buffer.from(v.bytes).toString("base64");
  if (Array.isArray(v)) return v.map(cborToJson);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = cborToJson(v[k]);
  return out;
}

/** The JSON value of `bytes` when they are exactly one well-formed CBOR map or array the codec reads; else undefined. */
export function decodeCborPayload(bytes: Buffer): unknown {
  const major = bytes.length === 0 ? -1 : (bytes[0] as number) >> 5;
  if (major !== 4 && major !== 5) return undefined;
  const r = decodeCbor([...bytes], utf16Text, LIMITS);
  return r.ok ? cborToJson(r.value) : undefined;
}

/** Reads a binary (base64) or text uplink payload: its `decoded` CBOR value and the agent reply it carries. */
export function readUplink(payload: string, type: "binary" | "text"): { decoded?: unknown; reply: Reply | null } {
  if (type === "text") return { reply: parseTextReply(payload) };
  const bytes = Buffer.from(payload, "base64");
  const decoded = decodeCborPayload(bytes);
  if (decoded !== undefined) return { decoded, reply: replyFromCbor(decoded as CborValue) };
  const text = bytes.toString("utf8");
  if (Buffer.from(text, "utf8").equals(bytes)) return { reply: parseTextReply(text) };
  return { reply: null };
}
