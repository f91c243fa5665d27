/**
 * What happens to 2010 Messages after the API call, and the mock-only messaging admin routes (JSON):
 *   POST /_mock/messaging/account {trial?, verified_numbers?, unreachable_numbers?} → the settings
 *   POST /_mock/messaging/numbers {phone_number, sms_url?, sms_method?}            → 201 the incoming number
 *   POST /_mock/messaging/inbound {from, to, body}                                → 201 the inbound Message
 * Outbound: queued → sending → sent (date_sent, price) → delivered | undelivered (30003), each step after the
 * network's latency; status callbacks on sent and the final status, in order (sendInOrder).
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound } from "../../errors.js";
import { sendInOrder } from "../ordered-callbacks.js";
import { API_VERSION } from "./common.js";
import { messageJson, segments, settingsOf, type MessageRow } from "./message-store.js";

const E164 = /^\+[1-9]\d{1,14}$/;

function rowOf(ctx: CloudContext, sid: string): MessageRow | undefined {
  return ctx.db.prepare("SELECT * FROM api_messages WHERE sid = ?").get(sid) as MessageRow | undefined;
}

function setStatus(ctx: CloudContext, sid: string, status: string, extra: Partial<MessageRow> = {}): MessageRow | undefined {
  const cols = Object.entries({ ...extra, status, updated_ms: ctx.now().getTime() });
  ctx.db.prepare(`UPDATE api_messages SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE sid = ?`).run(...cols.map(([, v]) => v), sid);
  const row = rowOf(ctx, sid);
  if (row) ctx.events.emit(`message.${status}`, { message_sid: sid, to: row.to_addr, error_code: row.error_code });
  return row;
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

/** Runs the outbound lifecycle of a freshly queued Message. */
export function startOutbound(ctx: CloudContext, row: MessageRow, unreachable: boolean): void {
  const step = (): number => ctx.network.conditions.latencyMs;
  ctx.network.later(0, () => {
    if (!setStatus(ctx, row.sid, "sending")) return;
    ctx.network.later(step(), () => {
      const sent = setStatus(ctx, row.sid, "sent", { sent_ms: ctx.now().getTime(), price: (-0.0079 * row.num_segments).toFixed(5), price_unit: "USD" });
      if (!sent) return;
      statusCallback(ctx, sent);
      ctx.network.later(step(), () => {
        const last = unreachable
          ? setStatus(ctx, row.sid, "undelivered", { error_code: 30003, error_message: "Unreachable destination handset" })
          : setStatus(ctx, row.sid, "delivered");
        if (last) statusCallback(ctx, last);
      });
    });
  });
}

function jsonBody(body: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badParam("The body must be a JSON object");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
  return b;
}

function numbers(b: Record<string, unknown>, k: string): string[] | undefined {
  const v = b[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !E164.test(x))) throw badParam(`${k} must be a list of E.164 numbers`);
  return v as string[];
}

function str(b: Record<string, unknown>, k: string, required = false): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) {
    if (required) throw badParam(`Missing required parameter ${k}`);
    return undefined;
  }
  if (typeof v !== "string") throw badParam(`${k} must be a string`);
  return v;
}

export function registerMessagingAdmin(app: FastifyInstance, ctx: CloudContext): void {
  app.post("/_mock/messaging/account", async (req) => {
    const b = jsonBody(req.body ?? {}, ["trial", "verified_numbers", "unreachable_numbers"]);
    if (b.trial !== undefined && typeof b.trial !== "boolean") throw badParam("trial must be true or false");
    const verified = numbers(b, "verified_numbers");
    const unreachable = numbers(b, "unreachable_numbers");
    const cur = settingsOf(ctx);
    const next = {
      trial: b.trial === undefined ? cur.trial : (b.trial as boolean),
      verified: verified ?? [...cur.verified],
      unreachable: unreachable ?? [...cur.unreachable],
    };
    ctx.db
      .prepare("INSERT OR REPLACE INTO api_messaging_settings (account_sid, trial, verified, unreachable) VALUES (?,?,?,?)")
      .run(ctx.accountSid, next.trial ? 1 : 0, JSON.stringify(next.verified), JSON.stringify(next.unreachable));
    ctx.events.emit("messaging.account", { trial: next.trial });
    return { trial: next.trial, verified_numbers: next.verified, unreachable_numbers: next.unreachable };
  });

  app.post("/_mock/messaging/numbers", async (req, reply) => {
    const b = jsonBody(req.body ?? {}, ["phone_number", "sms_url", "sms_method"]);
    const number = str(b, "phone_number", true) as string;
    const url = str(b, "sms_url") ?? null;
    const method = str(b, "sms_method") ?? "POST";
    if (!E164.test(number)) throw badParam("phone_number must be an E.164 number");
    if (url !== null && !/^https?:\/\/\S+$/.test(url)) throw badParam("sms_url must be an http(s) URL");
    if (method !== "GET" && method !== "POST") throw badParam("sms_method must be GET or POST");
    ctx.db.prepare("INSERT OR REPLACE INTO api_incoming_numbers (phone_number, account_sid, sms_url, sms_method) VALUES (?,?,?,?)").run(number, ctx.accountSid, url, method);
    return reply.code(201).send({ phone_number: number, sms_url: url, sms_method: method });
  });

  app.post("/_mock/messaging/inbound", async (req, reply) => {
    const b = jsonBody(req.body ?? {}, ["from", "to", "body"]);
    const from = str(b, "from", true) as string;
    const to = str(b, "to", true) as string;
    const text = str(b, "body") ?? "";
    if (!E164.test(from)) throw badParam("from must be an E.164 number");
    if ([...text].length > 1600) throw badParam("body is longer than 1600 characters");
    const num = ctx.db.prepare("SELECT * FROM api_incoming_numbers WHERE phone_number = ? AND account_sid = ?").get(to, ctx.accountSid) as
      | { sms_url: string | null; sms_method: string }
      | undefined;
    if (!num) throw notFound(`/IncomingPhoneNumbers/${to}`);
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
    return reply.code(201).send(messageJson(row));
  });
}
