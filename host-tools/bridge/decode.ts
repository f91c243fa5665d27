/**
 * Uplink payloads: binary payloads that are CBOR get a `decoded` JSON value (cbor-x), and the agent's replies
 * (DESIGN.md §6) — text `<id> ok <result>` / `<id> err <reason>`, CBOR `{i, r}` / `{i, e}` — are recognised.
 */
import { decode as cborDecode } from "cbor-x";

export interface Reply {
  id: string;
  ok: boolean;
  /** `r` / the text after `ok` (success), or `e` / the text after `err` (failure). */
  value: unknown;
}

/** JSON-safe form of a decoded CBOR value (byte strings → base64, Maps → objects, bigint → string). */
export function jsonSafe(v: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v.toString();
  if (v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1));
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), jsonSafe(x, depth + 1)]));
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonSafe(x, depth + 1)]));
  return String(v);
}

/** The CBOR value of `bytes` when they are exactly one well-formed CBOR item that is a map or an array; else undefined. */
export function decodeCbor(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const major = bytes[0] as number >> 5;
  if (major !== 4 && major !== 5) return undefined;
  try {
    return jsonSafe(cborDecode(bytes));
  } catch {
    return undefined;
  }
}

const TEXT_REPLY = /^(\S{1,64}) (ok|err)(?: ([\s\S]*))?$/;

export function textReply(text: string): Reply | null {
  const m = TEXT_REPLY.exec(text.replace(/\r?\n$/, ""));
  if (!m) return null;
  return { id: m[1] as string, ok: m[2] === "ok", value: m[3] ?? "" };
}

export function cborReply(decoded: unknown): Reply | null {
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) return null;
  const d = decoded as Record<string, unknown>;
  if ((typeof d.i !== "string" && typeof d.i !== "number") || ("r" in d) === ("e" in d)) return null;
  return { id: String(d.i), ok: "r" in d, value: "r" in d ? d.r : d.e };
}

/** Reads a binary (base64) or text uplink payload: its `decoded` CBOR value and the agent reply it carries. */
export function readUplink(payload: string, type: "binary" | "text"): { decoded?: unknown; reply: Reply | null } {
  if (type === "text") return { reply: textReply(payload) };
  const bytes = Buffer.from(payload, "base64");
  const decoded = decodeCbor(bytes);
  if (decoded !== undefined) return { decoded, reply: cborReply(decoded) };
  const text = bytes.toString("utf8");
  if (Buffer.from(text, "utf8").equals(bytes)) return { reply: textReply(text) };
  return { reply: null };
}
