/**
 * The command agent (docs/agent.md, "Protocol"): takes one IP or SMS command payload, answers it once, and
 * answers a repeated id with the same reply without running it again. Synchronous and
 * allocation-light: nothing blocks, so a watchdog never starves. Transports (UDP socket, modem
 * driver) live in the ports; the agent only sees payloads.
 */
import { septetCost } from "../core/gsm7.js";
import { MAX_CONCAT_SEPTETS, MAX_CONCAT_UCS2, MAX_IP_PAYLOAD, MAX_SMS_OCTETS, MAX_SMS_SEPTETS, MAX_SMS_UCS2 } from "../core/limits.js";
import { textToUtf8, utf8ToText, type TextCodec } from "../core/text.js";
import type { Clock } from "../hal/clock.js";
import type { KeyValueStore } from "../hal/storage.js";
import { DedupeRecord, DEFAULT_MAX_IDS } from "./dedupe.js";
import { isCommand, runHandler } from "./handlers/index.js";
import type { DeviceInfo } from "./handlers/types.js";
import { encodeCborReply, formatTextReply, parseCbor, parseText, type Envelope, type ParseResult } from "./protocol.js";

/**
 * Segments of a concatenated text SMS the agent takes (the modem layer reassembles them): a Command with
 * IncludeSid carries its 34-character SID, a space and up to 128 characters (38 UCS2), which needs two.
 */
export const MAX_SMS_TEXT_PARTS = 2;

export interface AgentOptions {
  storage: KeyValueStore;
  /** The runtime's clock (milliseconds), for uptime: the agent only reads it. */
  clock: Pick<Clock, "now">;
  /** The runtime's string representation (firmware/core/text.ts). */
  text: TextCodec;
  info: DeviceInfo;
  /** Executed ids remembered (and persisted). Default 16. */
  maxIds?: number;
}

export type Transport = "ip" | "sms";

/** An incoming command: IP payload or 8-bit SMS data as `bytes`, or a decoded SMS `text`. */
export interface AgentRequest {
  transport: Transport;
  bytes?: number[];
  text?: string;
}

/** What to send back on the same transport: `bytes` (UDP payload or 8-bit SMS) or SMS `text`. */
export interface AgentReply {
  bytes?: number[];
  text?: string;
  /** Whether the command ran now (false: an error, or a repeated id answered from the record). */
  executed: boolean;
}

/**
 * Whether text fits `parts` SMS: 160 GSM 7-bit septets, else 70 UCS2 units, in one (TS 23.038 §6.2); in a
 * concatenated SMS each part loses 6 octets to the UDH with the concatenation element (TS 23.040
 * §9.2.3.24.1): 153 septets or 67 UCS2 units a part.
 */
function fitsSms(s: string, text: TextCodec, parts: number): boolean {
  const cps = text.toCodePoints(s);
  let septets = 0;
  let gsm = true;
  let units = 0;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    const c = septetCost(cp, 0, 0);
    if (c === 0) gsm = false;
    septets += c;
    units += cp > 0xffff ? 2 : 1;
  }
  if (parts <= 1) return gsm ? septets <= MAX_SMS_SEPTETS : units <= MAX_SMS_UCS2;
  return gsm ? septets <= MAX_CONCAT_SEPTETS * parts : units <= MAX_CONCAT_UCS2 * parts;
}

export class Agent {
  options: AgentOptions;
  record: DedupeRecord;
  startedAt: number;

  constructor(options: AgentOptions) {
    this.options = options;
    this.record = new DedupeRecord(options.storage, options.maxIds !== undefined ? options.maxIds : DEFAULT_MAX_IDS, options.text);
    this.startedAt = options.clock.now();
  }

  /** Answers one command; never throws. */
  handle(req: AgentRequest): AgentReply {
    const text = this.options.text;
    const bytes = req.bytes;
    if (bytes !== undefined) {
      const limit = req.transport === "ip" ? MAX_IP_PAYLOAD : MAX_SMS_OCTETS;
      if (bytes.length > limit) return this.error(req.transport, "text", "", "payload too long (" + bytes.length + " > " + limit + " octets)");
    } else if (req.text !== undefined && !fitsSms(req.text, text, MAX_SMS_TEXT_PARTS)) {
      return this.error(req.transport, "text", "", "message too long (more than " + MAX_SMS_TEXT_PARTS + " concatenated SMS)");
    }
    let parsed: ParseResult;
    if (bytes !== undefined && bytes.length > 0 && ((bytes[0] as number) & 0xe0) === 0xa0) {
      parsed = parseCbor(bytes, text); // a CBOR map (major type 5, RFC 8949 §3.1)
    } else {
      const line = bytes !== undefined ? utf8ToText(bytes, text) : req.text !== undefined ? req.text : "";
      parsed = parseText(line, isCommand);
    }
    if (!parsed.ok) return this.error(req.transport, parsed.envelope, parsed.id, parsed.reason);
    const cmd = parsed.command;
    if (cmd.id !== "") {
      const seen = this.record.find(cmd.id);
      if (seen !== null) return this.output(req.transport, seen.envelope, seen.reply, false);
    }
    const result = runHandler(cmd.name, cmd.args, {
      info: this.options.info,
      uptimeSeconds: Math.floor((this.options.clock.now() - this.startedAt) / 1000),
      storage: this.options.storage,
      envelope: cmd.envelope,
    });
    let reply = this.encode(cmd.envelope, cmd.id, result.ok, result.ok ? result.value : result.reason);
    if (req.transport === "sms" && !this.fits(cmd.envelope, reply)) {
      reply = this.encode(cmd.envelope, cmd.id, false, "reply too long for one SMS");
    }
    if (cmd.id !== "") this.record.remember(cmd.id, { envelope: cmd.envelope, reply: reply });
    return this.output(req.transport, cmd.envelope, reply, result.ok);
  }

  encode(envelope: Envelope, id: string, ok: boolean, body: unknown): number[] {
    const text = this.options.text;
    if (envelope === "cbor") return encodeCborReply(id, ok, body as never, text);
    const s = typeof body === "string" ? body : typeof body === "number" ? "" + body : body === undefined || body === null ? "" : "[data]";
    return textToUtf8(formatTextReply(id, ok, s), text);
  }

  fits(envelope: Envelope, reply: number[]): boolean {
    if (envelope === "cbor") return reply.length <= MAX_SMS_OCTETS;
    return fitsSms(utf8ToText(reply, this.options.text), this.options.text, 1);
  }

  output(transport: Transport, envelope: Envelope, reply: number[], executed: boolean): AgentReply {
    if (transport === "sms" && envelope === "text") return { text: utf8ToText(reply, this.options.text), executed: executed };
    return { bytes: reply, executed: executed };
  }

  error(transport: Transport, envelope: Envelope, id: string, reason: string): AgentReply {
    return this.output(transport, envelope, this.encode(envelope, id, false, reason), false);
  }
}
