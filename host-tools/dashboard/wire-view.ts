/**
 * What the bytes on the simulated network say, for the journey: an IP datagram as text or CBOR (with the
 * agent reply it carries), an SMS TPDU decoded by the project's PDU codec. The mock cloud's events carry the
 * bytes as hex; anything that does not decode is shown as what it is (binary, or the decoder's error).
 */
import { readUplink, type Reply } from "../bridge/decode.js";
import { decodePdu, type Pdu } from "../pdu/index.js";

export interface WireView {
  /** "text", "cbor" or "binary" for a datagram; "tpdu" for an SMS, "error" when it does not decode. */
  format: "text" | "cbor" | "binary" | "tpdu" | "error";
  /** The datagram as text, or the decoded TPDU's fields, or the CBOR value. */
  value?: unknown;
  /** The agent reply the bytes carry (`<id> ok …` / `<id> err …`, or CBOR `{i, r}` / `{i, e}`). */
  reply?: { id: string; ok: boolean; value: unknown };
  error?: string;
}

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

function replyOf(r: Reply | null): Pick<WireView, "reply"> {
  return r === null ? {} : { reply: { id: r.id, ok: r.ok, value: r.value } };
}

/** An IP datagram (hex): its text (valid UTF-8) or CBOR value, and the agent reply it carries. */
export function datagramView(hex: string): WireView {
  if (!HEX.test(hex)) return { format: "error", error: "not hex" };
  const bytes = Buffer.from(hex, "hex");
  const { decoded, reply } = readUplink(bytes.toString("base64"), "binary");
  if (decoded !== undefined) return { format: "cbor", value: decoded, ...replyOf(reply) };
  const text = bytes.toString("utf8");
  if (Buffer.from(text, "utf8").equals(bytes)) return { format: "text", value: text, ...replyOf(reply) };
  return { format: "binary" };
}

/** The fields of a TPDU worth showing (the codec's shape without the bookkeeping). */
function pduFields(p: Pdu): Record<string, unknown> {
  const out: Record<string, unknown> = { type: p.type };
  for (const k of ["originator", "destination", "recipient", "message_ref", "dcs", "timestamp", "status", "status_text", "failure_cause", "status_report_request", "udh", "text", "data_hex"] as const) {
    if (p[k] !== undefined) out[k] = p[k];
  }
  return out;
}

/** An SMS TPDU (hex, no SMSC field) going `direction` ("mt": network → device), and the reply its text carries. */
export function tpduView(hex: string, direction: "mt" | "mo"): WireView {
  let p: Pdu;
  try {
    p = decodePdu(hex, { smsc: false, direction });
  } catch (e) {
    return { format: "error", error: (e as Error).message };
  }
  const value = pduFields(p);
  if (p.text !== undefined) return { format: "tpdu", value, ...replyOf(readUplink(p.text, "text").reply) };
  if (p.data_hex !== undefined) return { format: "tpdu", value, ...replyOf(readUplink(Buffer.from(p.data_hex, "hex").toString("base64"), "binary").reply) };
  return { format: "tpdu", value };
}
