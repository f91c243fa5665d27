/**
 * Programmable Wireless v1 `Commands` (specs/twilio_wireless_v1.json; reference/twilio-api.md §3a):
 *   POST   /wireless/v1/Commands       create 201 (Command, Sim, CommandMode, IncludeSid, DeliveryReceiptRequested,
 *                                      CallbackUrl, CallbackMethod)
 *   GET    /wireless/v1/Commands       list 200 (Sim, Status, Direction, Transport + paging), key `commands`
 *   GET    /wireless/v1/Commands/{Sid} fetch 200
 *   DELETE /wireless/v1/Commands/{Sid} 204
 *
 * Validation (400 unless said): Command required; Sim required (SID or unique name) → unknown 404/33107
 * "SIM not found"; a SIM not `ready`/`active` → 400/33104 "Configuration incomplete"; text ≤ 160 GSM-7
 * septets or 70 UCS-2 characters; with IncludeSid start/end the body is at most 128 GSM-7 septets or 38 UCS-2
 * characters, as the Commands resource allows — when the SID, its space and the body no longer fit one SMS
 * the device gets a concatenated SMS; binary = base64 of ≤ 140 bytes, IncludeSid must then be `none`.
 * Over-long bodies are 400/20001 (no code documented).
 * Everything is checked before anything is written; the row and the SIM's Command count change in one
 * transaction. The lifecycle (queued → sent → delivered | failed) and MO handling are in delivery.ts.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam, notFound } from "../../errors.js";
import { readParams } from "../../form.js";
import { MAX_BINARY_SMS_BYTES, smsFits, smsTextLength } from "../../network/index.js";
import { fetchPage, ListFilter, readPaging, v1Envelope } from "../../paging.js";
import { isSid } from "../../sids.js";
import { deliverCommand } from "./delivery.js";
import { COMMAND_STATUSES, commandBySid, commandJson, createCommandRow, findSim, type CommandRow } from "./store.js";

/** The longest body IncludeSid start/end allows, by the alphabet the body needs. */
export const INCLUDE_SID_MAX = { gsm7: 128, ucs2: 38 } as const;

const CREATE_SPEC = {
  Command: { type: "string", required: true },
  Sim: { type: "string" },
  CallbackMethod: { type: "enum", values: ["GET", "POST"] },
  CallbackUrl: { type: "uri" },
  CommandMode: { type: "enum", values: ["text", "binary"] },
  IncludeSid: { type: "enum", values: ["none", "start", "end"] },
  DeliveryReceiptRequested: { type: "boolean" },
} as const;

const LIST_SPEC = {
  Sim: { type: "string" },
  Status: { type: "enum", values: COMMAND_STATUSES },
  Direction: { type: "enum", values: ["from_sim", "to_sim"] },
  Transport: { type: "enum", values: ["sms", "ip"] },
  PageSize: { type: "string" },
  Page: { type: "string" },
  PageToken: { type: "string" },
} as const;

/** Strict base64 (RFC 4648, padded or not) → bytes, or null. */
export function strictBase64(s: string): Buffer | null {
  const t = s.replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1 || s.length - t.length > 2) return null;
  return Buffer.from(t, "base64");
}

/** Throws 400 when a text Command is longer than its mode allows. */
function checkText(text: string, includeSid: boolean): void {
  if (!includeSid) {
    if (smsFits(text)) return;
    throw badParam("Command is too long: a text Command is at most 160 GSM-7 characters or 70 UCS-2 characters");
  }
  const n = smsTextLength(text);
  if (n.length <= INCLUDE_SID_MAX[n.alphabet]) return;
  throw badParam(
    `Command is too long: with IncludeSid start or end the text is at most ${INCLUDE_SID_MAX.gsm7} GSM-7 characters or ${INCLUDE_SID_MAX.ucs2} UCS-2 characters, got ${n.length} ${n.alphabet === "gsm7" ? "GSM-7" : "UCS-2"}`,
  );
}

export function registerWirelessCommands(app: FastifyInstance, ctx: CloudContext): void {
  ctx.retain("wireless_commands");

  app.post("/wireless/v1/Commands", async (req, reply) => {
    const p = readParams(req.body, CREATE_SPEC);
    if (p.Sim === undefined) throw badParam("Missing required parameter Sim in the post body");
    const mode = p.CommandMode ?? "text";
    const includeSid = p.IncludeSid ?? "none";
    if (mode === "binary") {
      if (includeSid !== "none") throw badParam("IncludeSid must be none for a binary Command");
      const bytes = strictBase64(p.Command);
      if (bytes === null) throw badParam("Command must be base64 in binary mode");
      if (bytes.length === 0) throw badParam("Command must not be empty");
      if (bytes.length > MAX_BINARY_SMS_BYTES) throw badParam(`Command is too long: a binary Command is at most ${MAX_BINARY_SMS_BYTES} bytes, got ${bytes.length}`);
    } else {
      checkText(p.Command, includeSid !== "none");
    }
    const sim = findSim(ctx.db, ctx.accountSid, p.Sim);
    if (!sim) throw new TwilioError(404, 33107, `SIM not found: ${p.Sim}`);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 33104, `Configuration incomplete: the SIM is in status '${sim.status}'; it must be 'ready' or 'active' to receive Commands`);

    const row = createCommandRow(ctx, sim, {
      command: p.Command,
      command_mode: mode,
      delivery_receipt_requested: p.DeliveryReceiptRequested === false ? 0 : 1,
      status: "queued",
      direction: "to_sim",
      callback_url: p.CallbackUrl ?? null,
      callback_method: p.CallbackMethod ?? "POST",
    });
    ctx.events.emit("wireless_command.queued", { sim_sid: sim.sid, command_sid: row.sid });
    deliverCommand(ctx, row, includeSid);
    return reply.code(201).send(commandJson(row, ctx.publicUrl(req, "wireless")));
  });

  app.get("/wireless/v1/Commands", async (req) => {
    const q = readParams(req.query, LIST_SPEC, { where: "query" });
    const pr = readPaging(req.query);
    const f = new ListFilter("account_sid = ?", ctx.accountSid)
      .eq("Sim", q.Sim, "sim_sid", (v) => findSim(ctx.db, ctx.accountSid, v)?.sid ?? v)
      .eq("Status", q.Status, "status")
      .eq("Direction", q.Direction, "direction")
      .eq("Transport", q.Transport, "transport");
    const page = fetchPage<CommandRow>(ctx.db, { table: "wireless_commands", where: f.where, args: f.args }, pr);
    const base = ctx.publicUrl(req, "wireless");
    return v1Envelope({ key: "commands", url: `${base}/v1/Commands`, filters: f.params, pr, page, items: page.rows.map((r) => commandJson(r, base)) });
  });

  app.get<{ Params: { sid: string } }>("/wireless/v1/Commands/:sid", async (req) => {
    const row = isSid(req.params.sid, "DC") ? commandBySid(ctx.db, ctx.accountSid, req.params.sid) : undefined;
    if (!row) throw notFound(`/Commands/${req.params.sid}`);
    return commandJson(row, ctx.publicUrl(req, "wireless"));
  });

  app.delete<{ Params: { sid: string } }>("/wireless/v1/Commands/:sid", async (req, reply) => {
    const row = isSid(req.params.sid, "DC") ? commandBySid(ctx.db, ctx.accountSid, req.params.sid) : undefined;
    if (!row) throw notFound(`/Commands/${req.params.sid}`);
    ctx.db.prepare("DELETE FROM wireless_commands WHERE sid = ?").run(row.sid);
    ctx.events.emit("wireless_command.deleted", { sim_sid: row.sim_sid, command_sid: row.sid });
    return reply.code(204).send();
  });

}
