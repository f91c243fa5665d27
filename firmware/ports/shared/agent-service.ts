/**
 * The agent behind a host-served port (xs-host, and Node for `simcmd device --runtime node`): the
 * requests of agent-entry.ts (see there) on top of firmware/agent, the PDU codec and reassembly.
 * Device code: portable, never throws.
 */
import { Agent } from "../../agent/agent.js";
import type { Clock } from "../../hal/clock.js";
import type { KeyValueStore } from "../../hal/storage.js";
import { bytesToHex, hexToBytes } from "../../core/hex.js";
import { decodePdu, deliverReport, type Abandoned } from "../../core/pdu/index.js";
import type { TextCodec } from "../../core/text.js";
import { answer, SmsSession, submits } from "../../modems/sms-session.js";

/** The SMS-DELIVER-REPORT for RP-ACK (core/pdu/deliver-report.ts): every SMS-DELIVER is acknowledged. */
const DELIVER_REPORT_ACK = bytesToHex(deliverReport());

export interface AgentService {
  run(req: { [key: string]: unknown }): object;
}

/** `clock`: the runtime's clock (firmware/hal/clock.ts); the service only reads the time. */
export function createAgentService(storage: KeyValueStore, clock: Pick<Clock, "now">, text: TextCodec): AgentService {
  let agent: Agent | null = null;
  const session = new SmsSession(undefined);
  /** Concatenation reference of the last reply. */
  let ref = 0;

  function sms(tpdu: string, a: Agent): object {
    const d = decodePdu(tpdu, { smsc: false, direction: "mt", text: text });
    if (!d.ok) return { report: DELIVER_REPORT_ACK, replies: [], executed: false, decode_error: d.error.code };
    const pdu = d.pdu;
    if (pdu.type !== "deliver" || pdu.originator === undefined) return { report: DELIVER_REPORT_ACK, replies: [], executed: false };
    const abandoned: Abandoned[] = [];
    const whole = session.receive(pdu, clock.now(), abandoned);
    if (whole === null) return { report: DELIVER_REPORT_ACK, replies: [], executed: false };
    const reply = answer(a, whole);
    ref = (ref + 1) & 0xff;
    const parts = submits(reply, ref, text);
    return { report: DELIVER_REPORT_ACK, replies: parts.ok ? parts.parts : [], executed: reply.executed };
  }

  /**
   * `{op: "bench", hex, ms}`: handles the IP payload over and over (give it no id, or every run
   * after the first is a repeat) for about `ms` milliseconds (default 1000, at most 10000) or
   * 1,000,000 commands, timed by the runtime's clock → `{handled, ms}`.
   */
  function bench(a: Agent, payload: number[], ms: unknown): object {
    const budget = typeof ms === "number" && ms > 0 && ms <= 10000 ? ms : 1000;
    const start = clock.now();
    let handled = 0;
    let elapsed = 0;
    while (elapsed < budget && handled < 1000000) {
      for (let i = 0; i < 100; i++) a.handle({ transport: "ip", bytes: payload });
      handled += 100;
      elapsed = clock.now() - start;
    }
    return { handled: handled, ms: elapsed };
  }

  function run(req: { [key: string]: unknown }): object {
    const op = req["op"];
    if (op === "init") {
      const info = req["info"] as { version: string; runtime: string; modem: string };
      const maxIds = typeof req["maxIds"] === "number" ? (req["maxIds"] as number) : undefined;
      agent = new Agent({ storage: storage, clock: clock, text: text, info: info, maxIds: maxIds });
      return { ok: true };
    }
    if (agent === null) return { error: { code: "not-initialised", message: "send {op: \"init\"} first" } };
    if (op === "ip" && typeof req["hex"] === "string") {
      const r = agent.handle({ transport: "ip", bytes: hexToBytes(req["hex"] as string) });
      return { hex: bytesToHex(r.bytes !== undefined ? r.bytes : []), executed: r.executed };
    }
    if (op === "sms" && typeof req["tpdu"] === "string") return sms(req["tpdu"] as string, agent);
    if (op === "bench" && typeof req["hex"] === "string") return bench(agent, hexToBytes(req["hex"] as string), req["ms"]);
    return { error: { code: "invalid-request", message: "op must be init, ip or sms" } };
  }

  return { run: run };
}
