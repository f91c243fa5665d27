/**
 * The steps every 2010 Message goes through, whichever way it travels (a synthetic timeline, or the mock
 * network for a number that belongs to a SIM: message-network.ts): status changes that only move forward,
 * with their ordered, signed status callbacks, and inbound Messages with the webhook of the number they
 * were sent to.
 */
import type { CloudContext } from "../../context.js";
import { sendInOrder } from "../ordered-callbacks.js";
import { API_VERSION } from "./common.js";
import { segments, type MessageRow } from "./message-store.js";

/** Outbound statuses in their order; a Message never moves back, nor out of a final one. */
const RANK: Record<string, number> = { queued: 0, accepted: 0, sending: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3 };
const FINAL = new Set(["delivered", "undelivered", "failed"]);

/** Statuses that get a status callback (Twilio sends none for the initial status). */
const CALLBACK = new Set(["sent", "delivered", "undelivered", "failed"]);

export function rowOf(ctx: CloudContext, sid: string): MessageRow | undefined {
  return ctx.db.prepare("SELECT * FROM api_messages WHERE sid = ?").get(sid) as MessageRow | undefined;
}

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
export function advance(ctx: CloudContext, sid: string, status: string, extra: Partial<MessageRow> = {}): MessageRow | undefined {
  const cur = rowOf(ctx, sid);
  if (!cur || FINAL.has(cur.status) || (RANK[status] ?? 0) <= (RANK[cur.status] ?? 0)) return undefined;
  const cols = Object.entries({ ...extra, status, updated_ms: ctx.now().getTime() });
  ctx.db.prepare(`UPDATE api_messages SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map(([, v]) => v), sid);
  const row = rowOf(ctx, sid);
  if (!row) return undefined;
  ctx.events.emit(`message.${status}`, { message_sid: sid, to: row.to_addr, error_code: row.error_code, error_message: row.error_message });
  if (CALLBACK.has(status)) statusCallback(ctx, row);
  return row;
}

/** What `sent` records: the send date and the price of the segments. */
export function sentFields(ctx: CloudContext, row: MessageRow): Partial<MessageRow> {
  return { sent_ms: ctx.now().getTime(), price: (-0.0079 * row.num_segments).toFixed(5), price_unit: "USD" };
}

/**
 * An SMS from `from` to `to`, a number of this account: stores the inbound Message and calls the number's
 * sms_url. Undefined when `to` is not one of the account's incoming numbers.
 */
export function receiveInbound(ctx: CloudContext, from: string, to: string, text: string): MessageRow | undefined {
  const num = ctx.db.prepare("SELECT * FROM api_incoming_numbers WHERE phone_number = ? AND account_sid = ?").get(to, ctx.accountSid) as
    | { sms_url: string | null; sms_method: string }
    | undefined;
  if (!num) return undefined;
  const sid = ctx.sid("SM");
  const now = ctx.now().getTime();
  ctx.db
    .prepare(`INSERT INTO api_messages (sid, account_sid, from_addr, to_addr, body, num_segments, direction, status, sent_ms, created_ms, updated_ms)
      VALUES (?,?,?,?,?,?,'inbound','received',?,?,?)`)
    .run(sid, ctx.accountSid, from, to, text, segments(text), now, now, now);
  const row = rowOf(ctx, sid) as MessageRow;
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

/** The account's first incoming number: the sender of a Message sent through a Messaging Service. */
export function firstIncomingNumber(ctx: CloudContext): string | null {
  const r = ctx.db.prepare("SELECT phone_number FROM api_incoming_numbers WHERE account_sid = ? ORDER BY phone_number LIMIT 1").get(ctx.accountSid) as
    | { phone_number: string }
    | undefined;
  return r?.phone_number ?? null;
}
