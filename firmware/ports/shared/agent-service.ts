/**
 * The agent behind a host-served port (xs-host, and Node for `simcmd device --runtime node`): the
 * requests of agent-entry.ts (see there) on top of firmware/agent, the PDU codec and reassembly.
 * Device code: portable, never throws.
 */
import { Agent } from "../../agent/agent.js";
import type { KeyValueStore } from "../../hal/storage.js";
import { bytesToHex, hexToBytes } from "../../core/hex.js";
import { decodePdu, encodeSubmit, Reassembler, type Abandoned } from "../../core/pdu/index.js";
import type { TextCodec } from "../../core/text.js";

/** SMS-DELIVER-REPORT for RP-ACK: TP-MTI 00 and TP-PI 00, nothing else (TS 23.040 §9.2.2.1a). */
export const DELIVER_REPORT_ACK = "0000";

export interface AgentService {
  run(req: { [key: string]: unknown }): object;
}

export function createAgentService(storage: KeyValueStore, now: () => number, text: TextCodec): AgentService {
  let agent: Agent | null = null;
  const reassembler = new Reassembler({});
  let ref = 0;

  function sms(tpdu: string, a: Agent): object {
    const d = decodePdu(tpdu, { smsc: false, direction: "mt", text: text });
    if (!d.ok) return { report: DELIVER_REPORT_ACK, replies: [], executed: false, decode_error: d.error.code };
    const pdu = d.pdu;
    if (pdu.type !== "deliver" || pdu.originator === undefined) return { report: DELIVER_REPORT_ACK, replies: [], executed: false };
    const abandoned: Abandoned[] = [];
    const whole = reassembler.add(pdu, now(), abandoned);
    reassembler.expire(now());
    if (whole === null) return { report: DELIVER_REPORT_ACK, replies: [], executed: false };
    const answer = whole.text !== undefined
      ? a.handle({ transport: "sms", text: whole.text })
      : a.handle({ transport: "sms", bytes: hexToBytes(whole.data_hex !== undefined ? whole.data_hex : "") });
    ref = (ref + 1) & 0xff;
    const parts = answer.text !== undefined
      ? encodeSubmit({ to: pdu.originator, text: answer.text, includeSmsc: false, ref: ref }, text)
      : encodeSubmit({ to: pdu.originator, dataHex: bytesToHex(answer.bytes !== undefined ? answer.bytes : []), includeSmsc: false, ref: ref }, text);
    return { report: DELIVER_REPORT_ACK, replies: parts.ok ? parts.parts : [], executed: answer.executed };
  }

  function run(req: { [key: string]: unknown }): object {
    const op = req["op"];
    if (op === "init") {
      const info = req["info"] as { version: string; runtime: string; modem: string };
      const maxIds = typeof req["maxIds"] === "number" ? (req["maxIds"] as number) : undefined;
      agent = new Agent({ storage: storage, clock: { now: now }, text: text, info: info, maxIds: maxIds });
      return { ok: true };
    }
    if (agent === null) return { error: { code: "not-initialised", message: "send {op: \"init\"} first" } };
    if (op === "ip" && typeof req["hex"] === "string") {
      const r = agent.handle({ transport: "ip", bytes: hexToBytes(req["hex"] as string) });
      return { hex: bytesToHex(r.bytes !== undefined ? r.bytes : []), executed: r.executed };
    }
    if (op === "sms" && typeof req["tpdu"] === "string") return sms(req["tpdu"] as string, agent);
    return { error: { code: "invalid-request", message: "op must be init, ip or sms" } };
  }

  return { run: run };
}
