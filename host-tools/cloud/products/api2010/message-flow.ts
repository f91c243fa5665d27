/**
 * What happens to 2010 Messages after the API call, and the mock-only messaging admin routes (JSON):
 *   POST /_mock/messaging/account {trial?, verified_numbers?, unreachable_numbers?} → the settings
 *   POST /_mock/messaging/numbers {phone_number, sms_url?, sms_method?}            → 201 the incoming number
 *   POST /_mock/messaging/inbound {from, to, body}                                → 201 the inbound Message
 * Outbound, three ways (message-lifecycle.ts does the status changes and their callbacks, in order):
 * - To a number listed as unreachable: queued → sending → sent → undelivered (30003), each step after the
 *   network's latency.
 * - To the number of a SIM on the mock network (`POST /_mock/sims/{sid}/msisdn`): real SMS-DELIVER TPDUs
 *   through the SIM's SMSC (message-network.ts); sent / delivered / undelivered follow what the SMSC sees.
 * - To any other number: queued → sending → sent → delivered, each step after the network's latency.
 * Status callbacks on sent and the final status.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound } from "../../errors.js";
import { E164 } from "../../network/index.js";
import { advance, receiveInbound, sentFields } from "./message-lifecycle.js";
import { deliverToHandset, handsetOf } from "./message-network.js";
import { messageJson, settingsOf, type MessageRow } from "./message-store.js";

/** Runs the outbound lifecycle of a freshly queued Message. */
export function startOutbound(ctx: CloudContext, row: MessageRow, unreachable: boolean): void {
  const handset = unreachable ? undefined : handsetOf(ctx, row.to_addr);
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
    const row = receiveInbound(ctx, from, to, text);
    if (!row) throw notFound(`/IncomingPhoneNumbers/${to}`);
    return reply.code(201).send(messageJson(row));
  });
}
