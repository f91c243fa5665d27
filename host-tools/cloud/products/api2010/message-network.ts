/**
 * 2010 Messages over the mock network (docs/mock-network.md "Messaging"), for phone numbers that belong to
 * a SIM (`POST /_mock/sims/{sid|name}/msisdn`):
 *
 * - MT: a Message to the SIM's number becomes SMS-DELIVER TPDUs from the Message's From (E.164 or the
 *   alphanumeric sender ID; through a Messaging Service: the account's first incoming number), queued at the
 *   SIM's SMSC like a Wireless Command. queued → sending → `sent` when the first TPDU leaves → `delivered`
 *   when the modem's DELIVER-REPORT for the last part arrives | `undelivered` with 30003 "Unreachable
 *   destination handset" (no DELIVER-REPORT after 1 + 3 sends, or the SMS expired in the SMSC while the SIM
 *   was detached) or 30008 "Unknown error" (RP-ERROR from the modem).
 * - MO: an SMS-SUBMIT from a SIM with a number to one of the account's incoming numbers (reassembled when
 *   concatenated) becomes an inbound Message From the SIM's number and the number's sms_url webhook.
 *   Dropped, with a `message.dropped` event, when the SIM has no number, the destination is not a number of
 *   this account, or the SMS is 8-bit data (Messaging takes text). Bodies over 1600 characters are cut.
 */
import type { CloudContext } from "../../context.js";
import type { MoSms, NetSim } from "../../network/index.js";
import { advance, firstIncomingNumber, receiveInbound, sentFields } from "./message-lifecycle.js";
import type { MessageRow } from "./message-store.js";

const MAX_BODY = 1600;

/** The SIM a Message to `to` is delivered to over the network, if `to` is the number of one. */
export function handsetOf(ctx: CloudContext, to: string): NetSim | undefined {
  return ctx.network.byMsisdn(to);
}

/** Sends a freshly queued outbound Message to the SIM that has its To number. */
export function deliverToHandset(ctx: CloudContext, row: MessageRow, sim: NetSim): void {
  const originator = row.from_addr ?? firstIncomingNumber(ctx) ?? "Twilio";
  ctx.network.later(0, () => {
    if (!advance(ctx, row.sid, "sending")) return;
    ctx.network.sendSms(
      sim.sid,
      { originator, text: row.body, receipt: true, ref: row.sid },
      {
        onSent: () => void advance(ctx, row.sid, "sent", sentFields(ctx, row)),
        onDelivered: () => void advance(ctx, row.sid, "delivered"),
        onFailed: (reason, message) =>
          void advance(
            ctx,
            row.sid,
            "undelivered",
            reason === "rejected"
              ? { error_code: 30008, error_message: `Unknown error: ${message}` }
              : { error_code: 30003, error_message: `Unreachable destination handset (${reason})` },
          ),
      },
    );
  });
}

/** An SMS-SUBMIT from `sim` to a number (no '+'), handed over by the network (Network.onMoSmsToNumber). */
export function onMoToNumber(ctx: CloudContext, sim: NetSim, m: MoSms): void {
  const to = "+" + m.destination;
  const from = ctx.network.numbers.of(sim.sid);
  const drop = (reason: string): void => {
    ctx.events.emit("message.dropped", { sim_sid: sim.sid, from, to, reason });
  };
  if (from === null) return drop("the SIM has no phone number (POST /_mock/sims/{sid}/msisdn)");
  if (m.text === undefined) return drop("8-bit data: Messaging takes text only");
  const chars = [...m.text];
  if (chars.length > MAX_BODY) ctx.events.emit("message.truncated", { sim_sid: sim.sid, from, to, length: chars.length });
  if (!receiveInbound(ctx, from, to, chars.slice(0, MAX_BODY).join(""))) drop(`${to} is not an incoming number of this account`);
}
