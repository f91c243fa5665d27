/**
 * 2010 Messages (specs/twilio_api_v2010.json `api.v2010.account.message`):
 *   POST   /api/2010-04-01/Accounts/{AC}/Messages.json        send 201 (To, From | MessagingServiceSid, Body, StatusCallback…)
 *   GET    /api/2010-04-01/Accounts/{AC}/Messages.json        list 200 (To, From, DateSent, DateSent<, DateSent>), key `messages`
 *   GET    /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   fetch 200
 *   POST   /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   update 200 (Body="" redacts; Status=canceled → 400, nothing is scheduled)
 *   DELETE /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   204
 * Mock-only (JSON): `POST /_mock/messaging/account` {trial, verified_numbers, unreachable_numbers},
 * `POST /_mock/messaging/numbers` {phone_number, sms_url, sms_method} (an incoming number and its webhook),
 * `POST /_mock/messaging/inbound` {from, to, body} → 201 inbound Message + webhook to the number's sms_url.
 *
 * Outbound lifecycle: queued → sending → sent → delivered, or undelivered (30003) for a number listed as
 * unreachable; to the number of a SIM, real SMS over the mock network (message-network.ts); status callbacks (no callback for the initial status, as Twilio) on sent and the final status,
 * in order, with AccountSid, ApiVersion, From, To, MessageSid, MessageStatus, SmsSid, SmsStatus (+ ErrorCode).
 * Inbound webhooks carry MessageSid, SmsSid, SmsMessageSid, AccountSid, From, To, Body, NumMedia, NumSegments,
 * SmsStatus=received, ApiVersion.
 *
 * Validation: To missing 21604, From and MessagingServiceSid missing 21603, Body missing 21602, Body over 1600
 * characters 21617, To not E.164 21211, From neither E.164 nor an alphanumeric sender ID 21212, To = From
 * 21266. Trial account: To must be a verified number (400/21608) and the body gets the prefix
 * "Sent from a Twilio trial account - " (as issue 3 words it; the live service says "your").
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, legacyEnvelope, ListFilter, readPaging } from "../../paging.js";
import { isSid } from "../../sids.js";
import { API_PREFIX, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "./common.js";
import { CREATE_SPEC, MESSAGES_SCHEMA, messageJson, segments, settingsOf, type MessageRow } from "./message-store.js";
import { E164 } from "../../network/index.js";
import { registerMessagingAdmin, startOutbound } from "./message-flow.js";

export const TRIAL_PREFIX = "Sent from a Twilio trial account - ";
const ALPHA_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** A DateSent filter: `YYYY-MM-DD` (the whole UTC day) or an ISO 8601 date-time (twilio-node sends those). */
function dateFilter(v: string, name: string): { at: number; dayOnly: boolean } {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const t = Date.parse(day ? `${v}T00:00:00Z` : v);
  if ((!day && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) || Number.isNaN(t))
    throw badParam(`${name} must be a date YYYY-MM-DD or an ISO 8601 date-time, got '${v}'`);
  return { at: t, dayOnly: day };
}

export function registerMessages(app: FastifyInstance, ctx: CloudContext): void {
  ctx.db.exec(MESSAGES_SCHEMA);
  ctx.retain("api_messages");
  const base = `${API_PREFIX}/Accounts/:accountSid/Messages`;
  type P = { Params: { accountSid: string; sid: string } };

  const byId = (sid: string): MessageRow | undefined =>
    isSid(sid, "SM") || isSid(sid, "MM")
      ? (ctx.db.prepare("SELECT * FROM api_messages WHERE sid = ? AND account_sid = ?").get(sid, ctx.accountSid) as MessageRow | undefined)
      : undefined;

  for (const path of withJson(base)) {
    app.post<P>(path, async (req, reply) => {
      checkAccount(ctx, req, req.params.accountSid);
      const p = readParams(req.body, CREATE_SPEC);
      if (p.To === undefined) throw new TwilioError(400, 21604, "A 'To' phone number is required.");
      if (p.From === undefined && p.MessagingServiceSid === undefined) throw new TwilioError(400, 21603, "A 'From' phone number is required.");
      if ((p.Body === undefined || p.Body === "") && p.MediaUrl === undefined && p.ContentSid === undefined)
        throw new TwilioError(400, 21602, "Message body is required.");
      if (!E164.test(p.To)) throw new TwilioError(400, 21211, `The 'To' number ${p.To} is not a valid phone number.`);
      if (p.From !== undefined && !E164.test(p.From) && !ALPHA_SENDER.test(p.From))
        throw new TwilioError(400, 21212, `The 'From' number ${p.From} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
      if (p.From === p.To) throw new TwilioError(400, 21266, "'To' and 'From' number cannot be the same");
      if (p.MessagingServiceSid !== undefined && !isSid(p.MessagingServiceSid, "MG")) throw badParam(`MessagingServiceSid must be an MG… SID`);
      const body = p.Body ?? "";
      if ([...body].length > 1600) throw new TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
      const settings = settingsOf(ctx);
      if (settings.trial && !settings.verified.has(p.To))
        throw new TwilioError(
          400,
          21608,
          `The number ${p.To} is unverified. Trial accounts cannot send messages to unverified numbers; verify ${p.To} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers`,
        );
      const text = settings.trial ? TRIAL_PREFIX + body : body;
      const sid = ctx.sid(p.MediaUrl === undefined ? "SM" : "MM");
      const now = ctx.now().getTime();
      ctx.db
        .prepare(`INSERT INTO api_messages (sid, account_sid, messaging_service_sid, from_addr, to_addr, body, num_segments, num_media, direction,
          status, status_callback, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
        .run(sid, ctx.accountSid, p.MessagingServiceSid ?? null, p.From ?? null, p.To, text, segments(text), p.MediaUrl?.length ?? 0, "outbound-api",
          "queued", p.StatusCallback ?? null, now, now);
      const row = byId(sid) as MessageRow;
      ctx.events.emit("message.queued", { message_sid: sid, to: p.To });
      startOutbound(ctx, row, settings.unreachable.has(p.To));
      return reply.code(201).send(messageJson(row));
    });

    app.get<P>(path, async (req) => {
      checkAccount(ctx, req, req.params.accountSid);
      const q = readParams(
        req.query,
        {
          To: { type: "string" },
          From: { type: "string" },
          DateSent: { type: "string" },
          "DateSent<": { type: "string" },
          "DateSent>": { type: "string" },
          PageSize: { type: "string" },
          Page: { type: "string" },
          PageToken: { type: "string" },
        },
        { where: "query" },
      );
      const pr = readPaging(req.query);
      const day = 24 * 3600 * 1000;
      const f = new ListFilter("account_sid = ?", ctx.accountSid)
        .eq("To", q.To, "to_addr")
        .eq("From", q.From, "from_addr")
        .when("DateSent", q.DateSent, "sent_ms >= ? AND sent_ms < ?", (v) => {
          const d = dateFilter(v, "DateSent");
          const start = d.at - (d.at % day);
          return [start, start + day];
        })
        .when("DateSent<", q["DateSent<"], "sent_ms < ?", (v) => {
          const d = dateFilter(v, "DateSent<");
          return [d.dayOnly ? d.at + day : d.at];
        })
        .when("DateSent>", q["DateSent>"], "sent_ms >= ?", (v) => [dateFilter(v, "DateSent>").at]);
      const page = fetchPage<MessageRow>(ctx.db, { table: "api_messages", where: f.where, args: f.args }, pr);
      return legacyEnvelope({ key: "messages", url: `${accountUri(ctx.accountSid)}/Messages.json`, filters: f.params, pr, page, items: page.rows.map(messageJson) });
    });
  }

  app.get<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const row = byId(stripJson(req.params.sid));
    if (!row) throw notFoundHere(req);
    return messageJson(row);
  });

  app.post<P>(`${base}/:sid`, async (req) => {
    checkAccount(ctx, req, req.params.accountSid);
    const row = byId(stripJson(req.params.sid));
    if (!row) throw notFoundHere(req);
    const p = readParams(req.body, { Body: { type: "string", empty: true }, Status: { type: "enum", values: ["canceled"] } });
    if (p.Status === "canceled")
      throw new TwilioError(400, 30409, "Message cannot be canceled: only scheduled messages can be canceled");
    if (p.Body !== undefined) {
      if (p.Body !== "") throw badParam("Body can only be set to the empty string (to redact the message)");
      if (row.status === "queued" || row.status === "sending") throw badParam("A message can be redacted only once it is no longer queued or sending");
      ctx.db.prepare("UPDATE api_messages SET body = '', updated_ms = ? WHERE sid = ?").run(ctx.now().getTime(), row.sid);
    }
    return messageJson(byId(row.sid) as MessageRow);
  });

  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const row = byId(stripJson(req.params.sid));
    if (!row) throw notFoundHere(req);
    ctx.db.prepare("DELETE FROM api_messages WHERE sid = ?").run(row.sid);
    ctx.events.emit("message.deleted", { message_sid: row.sid });
    return reply.code(204).send();
  });

  registerMessagingAdmin(app, ctx);
}
