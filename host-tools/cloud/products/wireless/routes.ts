/**
 * Programmable Wireless v1 over HTTP (`/wireless/v1/…`, or Host wireless.twilio.com): parameters, checks and
 * answers. Every row is store.ts's; what follows on the network is network.ts's.
 *
 * Programmable Wireless v1 `Commands` (specs/twilio_wireless_v1.json):
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
 * transaction. The lifecycle (queued → sent → delivered | failed) and MO handling are in network.ts.
 *
 * Programmable Wireless v1 `Sims` (specs/twilio_wireless_v1.json):
 *   GET    /wireless/v1/Sims                 list (Status, Iccid, RatePlan, EId, SimRegistrationCode + paging), key `sims`
 *   GET    /wireless/v1/Sims/{Sid|UniqueName} fetch 200
 *   POST   /wireless/v1/Sims/{Sid|UniqueName} update 200 (UniqueName, FriendlyName, Status, CommandsCallbackUrl/Method,
 *                                             CallbackUrl/Method, Sms*, Voice*, RatePlan, ResetStatus, AccountSid)
 *   DELETE /wireless/v1/Sims/{Sid|UniqueName} 204
 * and the mock-only `POST /_mock/wireless/sims` {unique_name, iccid, status} → 201 Sim (the real API has no
 * create), which also registers the SIM with the network simulator (kind "wireless").
 *
 * Mock choices: a status change the real service refuses (back to `new`, out of `deactivated`/`canceled`, to
 * `scheduled`/`updating`/`canceled` directly) is 400/33105 "Transition invalid"; a UniqueName already used by
 * another SIM of the account is 409/20409; RatePlan must be a `WP…` SID (there is no RatePlans resource).
 * `CallbackUrl` receives `AccountSid, SimSid, SimUniqueName, SimStatus, ApiVersion` once a status change is
 * done (parameter names inferred; no primary source lists them).
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam, notFound } from "../../errors.js";
import { jsonObject, readParams } from "../../form.js";
import { MAX_BINARY_SMS_BYTES, smsFits, smsTextLength } from "../../mock-network/index.js";
import { readPaging, v1Envelope } from "../../paging.js";
import { isSid } from "../../sids.js";
import { commandJson, simJson } from "./json.js";
import { commandCounted, deliverCommand, register } from "./network.js";
import {
  COMMAND_STATUSES, SIM_STATUSES, commandBySid, commandPage, createCommandRow, deleteCommand, deleteSim, findSim, iccidTaken, insertSim, simBySid,
  simNameOwner, simPage, updateSim, type SimRow, type SimStatus, type SimUpdate,
} from "./store.js";

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

function registerCommands(app: FastifyInstance, ctx: CloudContext): void {
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
    const sim = findSim(ctx, p.Sim);
    if (!sim) throw new TwilioError(404, 33107, `SIM not found: ${p.Sim}`);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 33104, `Configuration incomplete: the SIM is in status '${sim.status}'; it must be 'ready' or 'active' to receive Commands`);

    const { row, simStatus } = createCommandRow(ctx, sim, {
      command: p.Command,
      command_mode: mode,
      delivery_receipt_requested: p.DeliveryReceiptRequested === false ? 0 : 1,
      status: "queued",
      direction: "to_sim",
      callback_url: p.CallbackUrl ?? null,
      callback_method: p.CallbackMethod ?? "POST",
    });
    commandCounted(ctx, sim, simStatus);
    ctx.events.emit("wireless_command.queued", { sim_sid: sim.sid, command_sid: row.sid });
    deliverCommand(ctx, row, includeSid);
    return reply.code(201).send(commandJson(row, ctx.publicUrl(req, "wireless")));
  });

  app.get("/wireless/v1/Commands", async (req) => {
    const q = readParams(req.query, LIST_SPEC, { where: "query" });
    const pr = readPaging(req.query);
    const { page, filters } = commandPage(ctx, q, pr);
    const base = ctx.publicUrl(req, "wireless");
    return v1Envelope({ key: "commands", url: `${base}/v1/Commands`, filters, pr, page, items: page.rows.map((r) => commandJson(r, base)) });
  });

  app.get<{ Params: { sid: string } }>("/wireless/v1/Commands/:sid", async (req) => {
    const row = isSid(req.params.sid, "DC") ? commandBySid(ctx, req.params.sid) : undefined;
    if (!row) throw notFound(`/Commands/${req.params.sid}`);
    return commandJson(row, ctx.publicUrl(req, "wireless"));
  });

  app.delete<{ Params: { sid: string } }>("/wireless/v1/Commands/:sid", async (req, reply) => {
    const row = isSid(req.params.sid, "DC") ? commandBySid(ctx, req.params.sid) : undefined;
    if (!row) throw notFound(`/Commands/${req.params.sid}`);
    deleteCommand(ctx, row.sid);
    ctx.events.emit("wireless_command.deleted", { sim_sid: row.sim_sid, command_sid: row.sid });
    return reply.code(204).send();
  });
}

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;

const UPDATE_SPEC = {
  UniqueName: { type: "string", maxLength: 64, empty: true },
  FriendlyName: { type: "string", maxLength: 64, empty: true },
  Status: { type: "enum", values: SIM_STATUSES },
  CallbackUrl: { type: "uri" },
  CallbackMethod: METHOD,
  CommandsCallbackUrl: { type: "uri" },
  CommandsCallbackMethod: METHOD,
  SmsUrl: { type: "uri" },
  SmsMethod: METHOD,
  SmsFallbackUrl: { type: "uri" },
  SmsFallbackMethod: METHOD,
  VoiceUrl: { type: "uri" },
  VoiceMethod: METHOD,
  VoiceFallbackUrl: { type: "uri" },
  VoiceFallbackMethod: METHOD,
  RatePlan: { type: "string" },
  ResetStatus: { type: "enum", values: ["resetting"] },
  AccountSid: { type: "string" },
} as const;

/** Update parameter → column, for the plain copies. */
const COLUMNS: Record<string, keyof SimRow> = {
  FriendlyName: "friendly_name",
  CallbackUrl: "callback_url",
  CallbackMethod: "callback_method",
  CommandsCallbackUrl: "commands_callback_url",
  CommandsCallbackMethod: "commands_callback_method",
  SmsUrl: "sms_url",
  SmsMethod: "sms_method",
  SmsFallbackUrl: "sms_fallback_url",
  SmsFallbackMethod: "sms_fallback_method",
  VoiceUrl: "voice_url",
  VoiceMethod: "voice_method",
  VoiceFallbackUrl: "voice_fallback_url",
  VoiceFallbackMethod: "voice_fallback_method",
};

/** Statuses a SIM may be moved to from `from` by an update (the same status is always a no-op). */
function transitionAllowed(from: SimStatus, to: SimStatus): boolean {
  if (from === to) return true;
  if (from === "deactivated" || from === "canceled") return false;
  return to === "ready" || to === "active" || to === "suspended" || to === "deactivated";
}

function simOr404(ctx: CloudContext, ref: string): SimRow {
  const sim = findSim(ctx, ref);
  if (!sim) throw notFound(`/Sims/${ref}`);
  return sim;
}

function uniqueNameFree(ctx: CloudContext, name: string, exceptSid: string | null): void {
  const other = simNameOwner(ctx, name);
  if (other !== null && other !== exceptSid) throw new TwilioError(409, 20409, `UniqueName '${name}' is already used by Sim ${other}`);
  if (isSid(name, "DE") && name !== exceptSid) throw badParam("UniqueName must not look like a Sim SID");
}

function registerSims(app: FastifyInstance, ctx: CloudContext): void {
  app.get("/wireless/v1/Sims", async (req) => {
    const q = readParams(
      req.query,
      {
        Status: { type: "enum", values: SIM_STATUSES },
        Iccid: { type: "string" },
        RatePlan: { type: "string" },
        EId: { type: "string" },
        SimRegistrationCode: { type: "string" },
        PageSize: { type: "string" },
        Page: { type: "string" },
        PageToken: { type: "string" },
      },
      { where: "query" },
    );
    const pr = readPaging(req.query);
    const { page, filters } = simPage(ctx, q, pr);
    const base = ctx.publicUrl(req, "wireless");
    return v1Envelope({ key: "sims", url: `${base}/v1/Sims`, filters, pr, page, items: page.rows.map((r) => simJson(r, base)) });
  });

  app.get<{ Params: { sid: string } }>("/wireless/v1/Sims/:sid", async (req) => {
    return simJson(simOr404(ctx, req.params.sid), ctx.publicUrl(req, "wireless"));
  });

  app.post<{ Params: { sid: string } }>("/wireless/v1/Sims/:sid", async (req) => {
    const sim = simOr404(ctx, req.params.sid);
    const p = readParams(req.body, UPDATE_SPEC);
    if (p.AccountSid !== undefined && p.AccountSid !== ctx.accountSid)
      throw badParam(`AccountSid ${p.AccountSid} is not this account or one of its subaccounts`);
    if (p.RatePlan !== undefined && !isSid(p.RatePlan, "WP")) throw notFound(`/RatePlans/${p.RatePlan}`);
    if (p.Status !== undefined && !transitionAllowed(sim.status, p.Status))
      throw new TwilioError(400, 33105, `Transition invalid: a Sim in status '${sim.status}' cannot be moved to '${p.Status}'`);
    if (p.UniqueName !== undefined && p.UniqueName !== "") uniqueNameFree(ctx, p.UniqueName, sim.sid);

    const fields: Record<string, unknown> = {};
    for (const [param, col] of Object.entries(COLUMNS)) {
      const v = (p as Record<string, unknown>)[param];
      if (v !== undefined) fields[col] = v === "" ? null : v;
    }
    if (p.UniqueName !== undefined) fields.unique_name = p.UniqueName === "" ? null : p.UniqueName;
    if (p.Status !== undefined) fields.status = p.Status;
    if (p.RatePlan !== undefined) fields.rate_plan_sid = p.RatePlan;
    if (p.ResetStatus !== undefined) fields.reset_status = p.ResetStatus;
    fields.updated_ms = ctx.now().getTime();
    updateSim(ctx, sim.sid, fields as SimUpdate);
    const updated = simBySid(ctx, sim.sid) as SimRow;
    if (p.UniqueName !== undefined || p.Status !== undefined) register(ctx, updated);
    if (p.Status !== undefined && p.Status !== sim.status) {
      ctx.events.emit("wireless_sim.status", { sim_sid: sim.sid, from: sim.status, status: p.Status });
      if (updated.callback_url !== null)
        ctx.callbacks.send({
          url: updated.callback_url,
          method: updated.callback_method === "GET" ? "GET" : "POST",
          kind: "wireless_sim.status",
          resourceSid: sim.sid,
          simSid: sim.sid,
          params: { AccountSid: updated.account_sid, SimSid: sim.sid, SimUniqueName: updated.unique_name, SimStatus: updated.status, ApiVersion: "v1" },
        });
    }
    if (p.ResetStatus === "resetting") {
      // A connectivity reset finishes at once in the mock: the answer shows `resetting`, later reads null.
      setImmediate(() => {
        updateSim(ctx, sim.sid, { reset_status: null });
        ctx.events.emit("wireless_sim.reset", { sim_sid: sim.sid });
      });
    }
    return simJson(updated, ctx.publicUrl(req, "wireless"));
  });

  app.delete<{ Params: { sid: string } }>("/wireless/v1/Sims/:sid", async (req, reply) => {
    const sim = simOr404(ctx, req.params.sid);
    deleteSim(ctx, sim.sid);
    ctx.network.removeSim(sim.sid);
    ctx.events.emit("wireless_sim.deleted", { sim_sid: sim.sid });
    return reply.code(204).send();
  });

  app.post("/_mock/wireless/sims", async (req, reply) => {
    const b = jsonObject(req.body, ["unique_name", "iccid", "status", "friendly_name", "commands_callback_url", "commands_callback_method"]);
    const str = (k: string): string | null => {
      const v = b[k];
      if (v === undefined || v === null) return null;
      if (typeof v !== "string") throw badParam(`${k} must be a string`);
      return v;
    };
    const uniqueName = str("unique_name");
    const iccid = str("iccid") ?? randomIccid();
    const status = (str("status") ?? "active") as SimStatus;
    const cbUrl = str("commands_callback_url");
    const cbMethod = str("commands_callback_method") ?? "POST";
    if (!SIM_STATUSES.includes(status)) throw badParam(`status must be one of ${SIM_STATUSES.join(", ")}`);
    if (!/^\d{18,22}F?$/.test(iccid)) throw badParam("iccid must be 18 to 22 digits");
    if (cbMethod !== "GET" && cbMethod !== "POST") throw badParam("commands_callback_method must be GET or POST");
    if (cbUrl !== null && !/^https?:\/\//.test(cbUrl)) throw badParam("commands_callback_url must be an http(s) URL");
    if (uniqueName !== null) uniqueNameFree(ctx, uniqueName, null);
    if (iccidTaken(ctx, iccid)) throw new TwilioError(409, 20409, `A Sim with ICCID ${iccid} exists`);
    const sid = ctx.sid("DE");
    insertSim(ctx, { sid, unique_name: uniqueName, friendly_name: str("friendly_name"), iccid, status, commands_callback_url: cbUrl, commands_callback_method: cbMethod }, ctx.now().getTime());
    const sim = simBySid(ctx, sid) as SimRow;
    register(ctx, sim);
    ctx.events.emit("wireless_sim.created", { sim_sid: sid, unique_name: uniqueName });
    return reply.code(201).send(simJson(sim, ctx.publicUrl(req, "wireless")));
  });
}

function randomIccid(): string {
  let s = "8988307";
  while (s.length < 19) s += String(Math.floor(Math.random() * 10));
  return s;
}

export function registerWirelessRoutes(app: FastifyInstance, ctx: CloudContext): void {
  registerSims(app, ctx);
  registerCommands(app, ctx);
}
