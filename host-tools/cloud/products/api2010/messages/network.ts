/**
 * What happens to 2010 Messages after the API call (docs/mock-network.md "Messaging"): status changes that
 * only move forward, with their ordered, signed status callbacks (on `sent` and the final status; none for the
 * initial one, as Twilio), and inbound Messages with the webhook of the number they were sent to.
 *
 * Outbound, three ways:
 * - To a number listed as unreachable: queued → sending → sent → undelivered (30003), each step after the
 *   network's latency.
 * - To the number of a SIM on the mock network (`POST /_mock/sims/{sid}/msisdn`): SMS-DELIVER TPDUs from the
 *   Message's From (E.164 or the alphanumeric sender ID; through a Messaging Service: the account's first
 *   incoming number), queued at the SIM's SMSC like a Wireless Command. queued → sending → `sent` when the
 *   first TPDU leaves → `delivered` when the modem's DELIVER-REPORT for the last part arrives | `undelivered`
 *   with 30003 "Unreachable destination handset" (no DELIVER-REPORT after 1 + 3 sends, or the SMS expired in
 *   the SMSC while the SIM was detached) or 30008 "Unknown error" (RP-ERROR from the modem).
 * - To any other number: queued → sending → sent → delivered, each step after the network's latency.
 *
 * MO: an SMS-SUBMIT from a SIM with a number to one of the account's incoming numbers (reassembled when
 * concatenated) becomes an inbound Message From the SIM's number and the number's sms_url webhook. Dropped,
 * with a `message.dropped` event, when the SIM has no number, the destination is not a number of this
 * account, or the SMS is 8-bit data (Messaging takes text). Bodies over 1600 characters are cut.
 */
import type { CloudContext } from "../../../context.js";
import type { MoSms, NetSim } from "../../../mock-network/index.js";
import { sendInOrder } from "../../ordered-callbacks.js";
import { API_VERSION } from "../common.js";
import { firstIncomingNumber, incomingNumber, insertInbound, rowOf, updateMessage, type MessageRow, type MessageUpdate } from "./store.js";

const MAX_BODY = 1600;

/** Outbound statuses in their order; a Message never moves back, nor out of a final one. */
const RANK: Record<string, number> = { queued: 0, accepted: 0, sending: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3 };
const FINAL = new Set(["delivered", "undelivered", "failed"]);

/** Statuses that get a status callback (Twilio sends none for the initial status). */
const CALLBACK = new Set(["sent", "delivered", "undelivered", "failed"]);

function statusCallback(ctx: CloudContext, row: MessageRow): void {
  if (row.status_callback === null) return;
  sendInOrder(ctx, row.sid, {
    url: row.status_callback,
    method: "POST",
    kind: "message.status",
    resourceSid: row.sid,
    errorCode: 11200,
    params: {
      AccountSid: row.account_sid,
      ApiVersion: API_VERSION,
      From: row.from_addr,
      To: row.to_addr,
      MessageSid: row.sid,
      MessageStatus: row.status,
      SmsSid: row.sid,
      SmsStatus: row.status,
      MessagingServiceSid: row.messaging_service_sid,
      ErrorCode: row.error_code,
    },
  });
}

/**
 * Moves an outbound Message to `status` when that is forward (emits `message.<status>` and, for sent and the
 * final statuses, its status callback). Returns the updated row, or undefined when the Message is gone or
 * the move would go backwards.
 */
export function advance(ctx: CloudContext, sid: string, status: string, extra: MessageUpdate = {}): MessageRow | undefined {
  const cur = rowOf(ctx, sid);
  if (!cur || FINAL.has(cur.status) || (RANK[status] ?? 0) <= (RANK[cur.status] ?? 0)) return undefined;
  const row = updateMessage(ctx, sid, { ...extra, status }, ctx.now().getTime());
  if (!row) return undefined;
  ctx.events.emit(`message.${status}`, { message_sid: sid, to: row.to_addr, error_code: row.error_code, error_message: row.error_message });
  if (CALLBACK.has(status)) statusCallback(ctx, row);
  return row;
}

/** What `sent` records: the send date and the price of the segments. */
function sentFields(ctx: CloudContext, row: MessageRow): MessageUpdate {
  return { sent_ms: ctx.now().getTime(), price: (-0.0079 * row.num_segments).toFixed(5), price_unit: "USD" };
}

/**
 * An SMS from `from` to `to`, a number of this account: stores the inbound Message and calls the number's
 * sms_url. Undefined when `to` is not one of the account's incoming numbers.
 */
export function receiveInbound(ctx: CloudContext, from: string, to: string, text: string): MessageRow | undefined {
  const num = incomingNumber(ctx, to);
  if (!num) return undefined;
  const sid = ctx.sid("SM");
  const row = insertInbound(ctx, sid, from, to, text, ctx.now().getTime());
  ctx.events.emit("message.received", { message_sid: sid, from, to });
  if (num.sms_url !== null)
    ctx.callbacks.send({
      url: num.sms_url,
      method: num.sms_method === "GET" ? "GET" : "POST",
      kind: "message.inbound",
      resourceSid: sid,
      errorCode: 11200,
      params: {
        MessageSid: sid,
        SmsSid: sid,
        SmsMessageSid: sid,
        AccountSid: ctx.accountSid,
        From: from,
        To: to,
        Body: text,
        NumMedia: "0",
        NumSegments: String(row.num_segments),
        SmsStatus: "received",
        ApiVersion: API_VERSION,
      },
    });
  return row;
}

/** Sends a freshly queued outbound Message to the SIM that has its To number. */
function deliverToHandset(ctx: CloudContext, row: MessageRow, sim: NetSim): void {
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

/** Runs the outbound lifecycle of a freshly queued Message. */
export function startOutbound(ctx: CloudContext, row: MessageRow, unreachable: boolean): void {
  const handset = unreachable ? undefined : ctx.network.byMsisdn(row.to_addr);
  if (handset) return deliverToHandset(ctx, row, handset);
  const step = (): number => ctx.network.conditions.latencyMs;
  ctx.network.later(0, () => {
    if (!advance(ctx, row.sid, "sending")) return;
    ctx.network.later(step(), () => {
      if (!advance(ctx, row.sid, "sent", sentFields(ctx, row))) return;
      ctx.network.later(step(), () => {
        if (unreachable) advance(ctx, row.sid, "undelivered", { error_code: 30003, error_message: "Unreachable destination handset" });
        else advance(ctx, row.sid, "delivered");
      });
    });
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
