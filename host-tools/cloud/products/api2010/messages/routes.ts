/**
 * 2010 Messages (specs/twilio_api_v2010.json `api.v2010.account.message`):
 *   POST   /api/2010-04-01/Accounts/{AC}/Messages.json        send 201 (To, From | MessagingServiceSid, Body, StatusCallback…)
 *   GET    /api/2010-04-01/Accounts/{AC}/Messages.json        list 200 (To, From, DateSent, DateSent<, DateSent>), key `messages`
 *   GET    /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   fetch 200
 *   POST   /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   update 200 (Body="" redacts; Status=canceled → 400, nothing is scheduled)
 *   DELETE /api/2010-04-01/Accounts/{AC}/Messages/{SM}.json   204
 * Mock-only (JSON):
 *   POST /_mock/messaging/account {trial?, verified_numbers?, unreachable_numbers?} → the settings
 *   POST /_mock/messaging/numbers {phone_number, sms_url?, sms_method?}            → 201 the incoming number
 *   POST /_mock/messaging/inbound {from, to, body}    → 201 the inbound Message + webhook to the number's sms_url
 *
 * Outbound lifecycle: queued → sending → sent → delivered, or undelivered (30003) for a number listed as
 * unreachable; to the number of a SIM, real SMS over the mock network (network.ts); status callbacks (no
 * callback for the initial status, as Twilio) on sent and the final status, in order, with AccountSid,
 * ApiVersion, From, To, MessageSid, MessageStatus, SmsSid, SmsStatus (+ ErrorCode).
 * Inbound webhooks carry MessageSid, SmsSid, SmsMessageSid, AccountSid, From, To, Body, NumMedia, NumSegments,
 * SmsStatus=received, ApiVersion.
 *
 * Validation: To missing 21604, From and MessagingServiceSid missing 21603, Body missing 21602, Body over 1600
 * characters 21617, To not E.164 21211, From neither E.164 nor an alphanumeric sender ID 21212, To = From
 * 21266. Trial account: To must be a verified number (400/21608) and the body gets the prefix
 * "Sent from a Twilio trial account - " (the live service says "your").
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../../context.js";
import { rfc2822Date } from "../../../dates.js";
import { TwilioError, badParam, notFound } from "../../../errors.js";
import { jsonObject, readParams } from "../../../form.js";
import { E164 } from "../../../mock-network/index.js";
import { legacyEnvelope, readPaging } from "../../../paging.js";
import { isSid } from "../../../sids.js";
import { API_PREFIX, API_VERSION, accountUri, checkAccount, notFoundHere, stripJson, withJson } from "../common.js";
import { receiveInbound, startOutbound } from "./network.js";
import {
  deleteMessage, insertOutbound, messageOfAccount, messagePage, saveIncomingNumber, saveSettings, segments, settingsOf, updateMessage,
  type DateBound, type MessageRow,
} from "./store.js";

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;

/** Every create parameter of the spec (unknown ones are 400/20001); most are accepted and ignored. */
const CREATE_SPEC = {
  To: { type: "string" },
  From: { type: "string" },
  MessagingServiceSid: { type: "string" },
  Body: { type: "string", empty: true },
  MediaUrl: { type: "list" },
  ContentSid: { type: "string" },
  StatusCallback: { type: "uri" },
  ApplicationSid: { type: "string" },
  MaxPrice: { type: "string" },
  ProvideFeedback: { type: "boolean" },
  Attempt: { type: "integer", min: 1 },
  ValidityPeriod: { type: "integer", min: 1, max: 36000 },
  ForceDelivery: { type: "boolean" },
  ContentRetention: { type: "enum", values: ["retain", "discard"] },
  AddressRetention: { type: "enum", values: ["retain", "obfuscate"] },
  SmartEncoded: { type: "boolean" },
  PersistentAction: { type: "list" },
  TrafficType: { type: "enum", values: ["free"] },
  ShortenUrls: { type: "boolean" },
  ScheduleType: { type: "enum", values: ["fixed"] },
  SendAt: { type: "string" },
  SendAsMms: { type: "boolean" },
  ContentVariables: { type: "string" },
  RiskCheck: { type: "enum", values: ["enable", "disable"] },
  FallbackFrom: { type: "string" },
  StatusCallbackMethod: METHOD,
} as const;

export function messageJson(r: MessageRow): Record<string, unknown> {
  const uri = `${accountUri(r.account_sid)}/Messages/${r.sid}`;
  return {
    account_sid: r.account_sid,
    api_version: API_VERSION,
    body: r.body,
    date_created: rfc2822Date(r.created_ms),
    date_sent: r.sent_ms === null ? null : rfc2822Date(r.sent_ms),
    date_updated: rfc2822Date(r.updated_ms),
    direction: r.direction,
    error_code: r.error_code,
    error_message: r.error_message,
    from: r.from_addr,
    messaging_service_sid: r.messaging_service_sid,
    num_media: String(r.num_media),
    num_segments: String(r.num_segments),
    price: r.price,
    price_unit: r.price_unit,
    sid: r.sid,
    status: r.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: r.to_addr,
    uri: `${uri}.json`,
  };
}

export const TRIAL_PREFIX = "Sent from a Twilio trial account - ";
const ALPHA_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** A DateSent filter: `YYYY-MM-DD` (the whole UTC day) or an ISO 8601 date-time (twilio-node sends those). */
function dateFilter(v: string, name: string): DateBound {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const t = Date.parse(day ? `${v}T00:00:00Z` : v);
  if ((!day && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) || Number.isNaN(t))
    throw badParam(`${name} must be a date YYYY-MM-DD or an ISO 8601 date-time, got '${v}'`);
  return { at: t, dayOnly: day };
}

export function registerMessageRoutes(app: FastifyInstance, ctx: CloudContext): void {
  const base = `${API_PREFIX}/Accounts/:accountSid/Messages`;
  type P = { Params: { accountSid: string; sid: string } };

  const byId = (sid: string): MessageRow | undefined => (isSid(sid, "SM") || isSid(sid, "MM") ? messageOfAccount(ctx, sid) : undefined);

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
      const row = insertOutbound(ctx, {
        sid, messaging_service_sid: p.MessagingServiceSid ?? null, from_addr: p.From ?? null, to_addr: p.To, body: text, num_segments: segments(text),
        num_media: p.MediaUrl?.length ?? 0, status_callback: p.StatusCallback ?? null,
      }, ctx.now().getTime());
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
      const { page, filters } = messagePage(ctx, q, dateFilter, pr);
      return legacyEnvelope({ key: "messages", url: `${accountUri(ctx.accountSid)}/Messages.json`, filters, pr, page, items: page.rows.map(messageJson) });
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
      updateMessage(ctx, row.sid, { body: "" }, ctx.now().getTime());
    }
    return messageJson(byId(row.sid) as MessageRow);
  });

  app.delete<P>(`${base}/:sid`, async (req, reply) => {
    checkAccount(ctx, req, req.params.accountSid);
    const row = byId(stripJson(req.params.sid));
    if (!row) throw notFoundHere(req);
    deleteMessage(ctx, row.sid);
    ctx.events.emit("message.deleted", { message_sid: row.sid });
    return reply.code(204).send();
  });

  registerMessagingAdmin(app, ctx);
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

function registerMessagingAdmin(app: FastifyInstance, ctx: CloudContext): void {
  app.post("/_mock/messaging/account", async (req) => {
    const b = jsonObject(req.body, ["trial", "verified_numbers", "unreachable_numbers"]);
    if (b.trial !== undefined && typeof b.trial !== "boolean") throw badParam("trial must be true or false");
    const verified = numbers(b, "verified_numbers");
    const unreachable = numbers(b, "unreachable_numbers");
    const cur = settingsOf(ctx);
    const next = {
      trial: b.trial === undefined ? cur.trial : (b.trial as boolean),
      verified: verified ?? [...cur.verified],
      unreachable: unreachable ?? [...cur.unreachable],
    };
    saveSettings(ctx, next);
    ctx.events.emit("messaging.account", { trial: next.trial });
    return { trial: next.trial, verified_numbers: next.verified, unreachable_numbers: next.unreachable };
  });

  app.post("/_mock/messaging/numbers", async (req, reply) => {
    const b = jsonObject(req.body, ["phone_number", "sms_url", "sms_method"]);
    const number = str(b, "phone_number", true) as string;
    const url = str(b, "sms_url") ?? null;
    const method = str(b, "sms_method") ?? "POST";
    if (!E164.test(number)) throw badParam("phone_number must be an E.164 number");
    if (url !== null && !/^https?:\/\/\S+$/.test(url)) throw badParam("sms_url must be an http(s) URL");
    if (method !== "GET" && method !== "POST") throw badParam("sms_method must be GET or POST");
    saveIncomingNumber(ctx, number, url, method);
    return reply.code(201).send({ phone_number: number, sms_url: url, sms_method: method });
  });

  app.post("/_mock/messaging/inbound", async (req, reply) => {
    const b = jsonObject(req.body, ["from", "to", "body"]);
    const from = str(b, "from", true) as string;
    const to = str(b, "to", true) as string;
    const text = str(b, "body") ?? "";
    if (!E164.test(from)) throw badParam("from must be an E.164 number");
    if ([...text].length > 1600) throw badParam("body is longer than 1600 characters");
    const row = receiveInbound(ctx, from, to, text);
    if (!row) throw notFound(`/IncomingPhoneNumbers/${to}`);
    return reply.code(201).send(messageJson(row));
  });
}
