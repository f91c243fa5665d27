/** The SMS-command session (firmware/modems/sms-session.ts): reassembly with expiry, the agent's answer, the reply TPDUs. */
import type { AgentReply, AgentRequest } from "../../firmware/agent/agent.js";
import type { Abandoned } from "../../firmware/core/pdu/index.js";
import { utf16Text } from "../../firmware/core/text.js";
import { answer, SmsSession, submits } from "../../firmware/modems/sms-session.js";
import { decodePdu, encodePdu, type Pdu } from "../../host-tools/pdu/index.js";

const TS = "2026-01-02T03:04:05+00:00";
const TIMEOUT = 1000;

/** Part `seq` of a two-part SMS-DELIVER from 000 ("first " + "second"), or a single one (seq 0). */
function part(seq: number): Pdu {
  const text = seq === 0 ? "single" : seq === 1 ? "first " : "second";
  const udh = seq === 0 ? {} : { udh: { concat: { ref: 7, total: 2, seq, ref_bits: 8 } } };
  return decodePdu(encodePdu({ type: "deliver", originator: "000", timestamp: TS, text, ...udh }, { smsc: false }), { smsc: false, direction: "mt" });
}

describe("SmsSession.receive: expire, then add", () => {
  test.each([
    // [what, [ms, part] arrivals, the whole text after each (null: none yet), the reasons given up after each]
    ["a part without concatenation is whole at once", [[0, 0]], ["single"], [[]]],
    ["two parts in order within the timeout", [[0, 1], [500, 2]], [null, "first second"], [[], []]],
    ["two parts out of order", [[0, 2], [10, 1]], [null, "first second"], [[], []]],
    ["a repeated part is ignored", [[0, 1], [1, 1], [2, 2]], [null, null, "first second"], [[], [], []]],
    ["the last part just inside the timeout completes the message", [[0, 1], [999, 2]], [null, "first second"], [[], []]],
    // The message is given up first, so the part that arrives at the timeout starts a new one, which the next part completes.
    ["the last part at the timeout starts a new message", [[0, 1], [1000, 2], [1500, 1]], [null, null, "first second"], [[], ["timeout"], []]],
    ["a part long after the timeout starts a new message", [[0, 2], [5000, 2], [5001, 1]], [null, null, "first second"], [[], ["timeout"], []]],
  ] as [string, [number, number][], (string | null)[], string[][]][])("%s", (_what, arrivals, wholes, gone) => {
    const session = new SmsSession(TIMEOUT);
    arrivals.forEach(([ms, seq], i) => {
      const abandoned: Abandoned[] = [];
      const m = session.receive(part(seq), ms, abandoned);
      expect(m === null ? null : m.text).toBe(wholes[i]);
      expect(abandoned.map((a) => a.reason)).toEqual(gone[i]);
      if (m !== null) expect(m).toMatchObject({ from: "000", timestamp: TS, alphabet: "gsm7", parts: seq === 0 ? 1 : 2 });
    });
  });

  test("a message given up on names the parts that are missing", () => {
    const session = new SmsSession(TIMEOUT);
    session.receive(part(2), 0, []);
    const abandoned: Abandoned[] = [];
    session.receive(part(0), TIMEOUT, abandoned);
    expect(abandoned).toEqual([expect.objectContaining({ reason: "timeout", missing: [1] })]);
  });
});

describe("answer and submits", () => {
  const seen: AgentRequest[] = [];
  const handler = {
    handle(req: AgentRequest): AgentReply {
      seen.push(req);
      return req.text !== undefined ? { text: "re: " + req.text, executed: true } : { bytes: [0xa1, 0x01], executed: false };
    },
  };

  test.each([
    // [what, the whole message, the request the agent gets, the reply, the reply TPDU decoded]
    ["text in, text out", { from: "000", text: "ping", timestamp: TS, parts: 1, alphabet: "gsm7" }, { transport: "sms", text: "ping" },
      { to: "000", text: "re: ping", executed: true }, { type: "submit", destination: "000", text: "re: ping" }],
    ["8-bit data in, data out", { from: "2936", dataHex: "A0", timestamp: TS, parts: 1, alphabet: "8bit" }, { transport: "sms", bytes: [0xa0] },
      { to: "2936", dataHex: "A101", executed: false }, { type: "submit", destination: "2936", data_hex: "A101" }],
  ] as const)("%s", (_what, message, request, reply, tpdu) => {
    seen.length = 0;
    const r = answer(handler, message);
    expect(seen).toEqual([request]);
    expect(r).toEqual(reply);
    const out = submits(r, 1, utf16Text);
    expect(out.ok && out.parts.map((p) => decodePdu(p, { smsc: false, direction: "mo" }))).toEqual([expect.objectContaining(tpdu)]);
  });

  test("a reply of several parts carries the concatenation reference given", () => {
    const long = { to: "000", text: "x".repeat(200), executed: true };
    const out = submits(long, 42, utf16Text);
    expect(out.ok && out.parts.map((p) => decodePdu(p, { smsc: false, direction: "mo" }).udh?.concat)).toEqual([
      { ref: 42, total: 2, seq: 1, ref_bits: 8 },
      { ref: 42, total: 2, seq: 2, ref_bits: 8 },
    ]);
  });
});
