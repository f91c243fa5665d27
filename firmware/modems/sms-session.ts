/**
 * The SMS-command session: the one pipeline from an SMS-DELIVER part to the reply SMS, which every
 * path an SMS Command takes runs (docs/agent.md):
 *
 *   part (decoded SMS-DELIVER) → `receive`: concatenation reassembly with expiry → a whole SmsMessage
 *   → `answer`: the agent handles its text or 8-bit data → the reply, to the message's originator
 *   → `submits`: the reply's SMS-SUBMIT TPDUs, for a path that sends TPDUs itself
 *
 * The modem driver (sms-pdu.ts) receives each +CMTI / AT+CMGL part here and hands the whole message to
 * Sms.onMessage; the modem agent answers it and sends the reply with Sms.send (AT+CMGS). The host-served
 * agent (ports/shared/agent-service.ts) runs all three steps on the TPDU datagrams of the mock network.
 *
 * Reassembly order: give up on messages past their timeout first, then add the part. A part arriving
 * after its message timed out then starts a new message instead of completing one older than the
 * timeout allows (the timeout is measured from the first part, TS 23.040 §9.2.3.24.1 leaves it to the
 * receiver), and a part is never dropped by the same call that stored it. Both paths therefore give up
 * and complete the same messages at the same times.
 *
 * Device code: ES5-safe, no closures; the session holds only the Reassembler's few pending messages
 * (ReassemblerOptions.maxPending).
 */
import type { AgentReply, AgentRequest } from "../agent/agent.js";
import { bytesToHex, hexToBytes } from "../core/hex.js";
import { encodeSubmit, Reassembler, type Abandoned, type Pdu, type Reassembled, type SubmitResult } from "../core/pdu/index.js";
import type { TextCodec } from "../core/text.js";
import type { SmsMessage } from "./capabilities.js";

/** What answers a command: the agent (firmware/agent/agent.ts) or the modem agent around it. */
export interface SmsCommandHandler {
  handle(req: AgentRequest): AgentReply;
}

/** The reply SMS: to the command's originator, as text or as 8-bit data (hex). */
export interface SmsReply {
  to: string;
  text?: string;
  dataHex?: string;
  /** Whether the command ran now (AgentReply.executed). */
  executed: boolean;
}

export class SmsSession {
  private reassembler: Reassembler;

  /** `timeoutMs`: how long a concatenated message may take from its first part. Default: the Reassembler's. */
  constructor(timeoutMs: number | undefined) {
    this.reassembler = new Reassembler({ timeoutMs: timeoutMs });
  }

  /**
   * One decoded SMS-DELIVER part at `nowMs`: gives up on what timed out, then adds the part. Returns the
   * whole message when this part completes it (a part without a concatenation element is whole), else
   * null. Messages given up on (timed out, or evicted to make room) are appended to `abandoned`.
   */
  receive(pdu: Pdu, nowMs: number, abandoned: Abandoned[]): SmsMessage | null {
    const expired = this.reassembler.expire(nowMs);
    for (let i = 0; i < expired.length; i++) abandoned.push(expired[i] as Abandoned);
    const whole = this.reassembler.add(pdu, nowMs, abandoned);
    return whole !== null ? toMessage(whole) : null;
  }
}

/** Runs a whole message as a command: its text, or its 8-bit data as bytes; the reply goes back to its originator. */
export function answer(handler: SmsCommandHandler, m: SmsMessage): SmsReply {
  const r = m.text !== undefined ? handler.handle({ transport: "sms", text: m.text }) : handler.handle({ transport: "sms", bytes: hexToBytes(m.dataHex !== undefined ? m.dataHex : "") });
  if (r.text !== undefined) return { to: m.from, text: r.text, executed: r.executed };
  return { to: m.from, dataHex: bytesToHex(r.bytes !== undefined ? r.bytes : []), executed: r.executed };
}

/**
 * The reply's SMS-SUBMIT TPDUs (no SMSC field), for a path that sends TPDUs itself; `ref` is the
 * concatenation reference of a reply that takes several parts (TS 23.040 §9.2.3.24.1). A function, not a
 * method, so that firmware which sends through the modem (Sms.send) does not carry it.
 */
export function submits(reply: SmsReply, ref: number, text: TextCodec): SubmitResult {
  if (reply.text !== undefined) return encodeSubmit({ to: reply.to, text: reply.text, includeSmsc: false, ref: ref }, text);
  return encodeSubmit({ to: reply.to, dataHex: reply.dataHex !== undefined ? reply.dataHex : "", includeSmsc: false, ref: ref }, text);
}

function toMessage(w: Reassembled): SmsMessage {
  const first = w.parts[0] as Pdu;
  const m: SmsMessage = {
    from: first.originator !== undefined ? first.originator : "",
    timestamp: first.timestamp !== undefined ? first.timestamp : "",
    parts: w.parts.length,
    alphabet: first.dcs_info !== undefined ? first.dcs_info.alphabet : "gsm7",
  };
  if (w.text !== undefined) m.text = w.text;
  if (w.data_hex !== undefined) m.dataHex = w.data_hex;
  return m;
}
