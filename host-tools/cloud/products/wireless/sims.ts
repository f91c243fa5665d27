/**
 * Programmable Wireless v1 `Sims` (specs/twilio_wireless_v1.json; reference/twilio-api.md §3b):
 *   GET    /wireless/v1/Sims                 list (Status, Iccid, RatePlan, EId, SimRegistrationCode + paging), key `sims`
 *   GET    /wireless/v1/Sims/{Sid|UniqueName} fetch 200
 *   POST   /wireless/v1/Sims/{Sid|UniqueName} update 200 (UniqueName, FriendlyName, Status, CommandsCallbackUrl/Method,
 *                                             CallbackUrl/Method, Sms*, Voice*, RatePlan, ResetStatus, AccountSid)
 *   DELETE /wireless/v1/Sims/{Sid|UniqueName} 204
 * and the mock-only `POST /_mock/wireless/sims` {unique_name, iccid, status} → 201 Sim (the real API has no
 * create, DESIGN.md §4), which also registers the SIM with the network simulator (kind "wireless").
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
import { readParams } from "../../form.js";
import { fetchPage, ListFilter, readPaging, v1Envelope } from "../../paging.js";
import { isSid } from "../../sids.js";
import { SIM_STATUSES, findSim, simBySid, simJson, type SimRow, type SimStatus } from "./store.js";

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
  const sim = findSim(ctx.db, ctx.accountSid, ref);
  if (!sim) throw notFound(`/Sims/${ref}`);
  return sim;
}

function uniqueNameFree(ctx: CloudContext, name: string, exceptSid: string | null): void {
  const other = ctx.db.prepare("SELECT sid FROM wireless_sims WHERE account_sid = ? AND unique_name = ?").get(ctx.accountSid, name) as
    | { sid: string }
    | undefined;
  if (other && other.sid !== exceptSid) throw new TwilioError(409, 20409, `UniqueName '${name}' is already used by Sim ${other.sid}`);
  if (isSid(name, "DE") && name !== exceptSid) throw badParam("UniqueName must not look like a Sim SID");
}

/** Keeps the network's view of the SIM current; a suspended/deactivated/canceled SIM cannot attach. */
export function register(ctx: CloudContext, sim: Pick<SimRow, "sid" | "unique_name" | "status">): void {
  const blocked = sim.status === "suspended" || sim.status === "deactivated" || sim.status === "canceled";
  ctx.network.upsertSim({ sid: sim.sid, uniqueName: sim.unique_name, kind: "wireless", blocked });
}

export function registerWirelessSims(app: FastifyInstance, ctx: CloudContext): void {
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
    const f = new ListFilter("account_sid = ?", ctx.accountSid)
      .eq("Status", q.Status, "status")
      .eq("Iccid", q.Iccid, "iccid")
      .eq("RatePlan", q.RatePlan, "rate_plan_sid")
      .eq("EId", q.EId, "e_id")
      // No registration codes are kept for Wireless SIMs: that filter matches nothing.
      .when("SimRegistrationCode", q.SimRegistrationCode, "0", () => []);
    const page = fetchPage<SimRow>(ctx.db, { table: "wireless_sims", where: f.where, args: f.args }, pr);
    const base = ctx.publicUrl(req, "wireless");
    return v1Envelope({ key: "sims", url: `${base}/v1/Sims`, filters: f.params, pr, page, items: page.rows.map((r) => simJson(r, base)) });
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

    const set: string[] = [];
    const args: unknown[] = [];
    const put = (col: string, v: unknown): void => {
      set.push(`${col} = ?`);
      args.push(v);
    };
    for (const [param, col] of Object.entries(COLUMNS)) {
      const v = (p as Record<string, unknown>)[param];
      if (v !== undefined) put(col as string, v === "" ? null : v);
    }
    if (p.UniqueName !== undefined) put("unique_name", p.UniqueName === "" ? null : p.UniqueName);
    if (p.Status !== undefined) put("status", p.Status);
    if (p.RatePlan !== undefined) put("rate_plan_sid", p.RatePlan);
    if (p.ResetStatus !== undefined) put("reset_status", p.ResetStatus);
    put("updated_ms", ctx.now().getTime());
    ctx.db.prepare(`UPDATE wireless_sims SET ${set.join(", ")} WHERE sid = ?`).run(...args, sim.sid);
    const updated = simBySid(ctx.db, sim.sid) as SimRow;
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
        ctx.db.prepare("UPDATE wireless_sims SET reset_status = NULL WHERE sid = ?").run(sim.sid);
        ctx.events.emit("wireless_sim.reset", { sim_sid: sim.sid });
      });
    }
    return simJson(updated, ctx.publicUrl(req, "wireless"));
  });

  app.delete<{ Params: { sid: string } }>("/wireless/v1/Sims/:sid", async (req, reply) => {
    const sim = simOr404(ctx, req.params.sid);
    ctx.db.prepare("DELETE FROM wireless_sims WHERE sid = ?").run(sim.sid);
    ctx.network.removeSim(sim.sid);
    ctx.events.emit("wireless_sim.deleted", { sim_sid: sim.sid });
    return reply.code(204).send();
  });

  app.post("/_mock/wireless/sims", async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b)) throw badParam("The body must be a JSON object");
    const unknown = Object.keys(b).filter((k) => !["unique_name", "iccid", "status", "friendly_name", "commands_callback_url", "commands_callback_method"].includes(k));
    if (unknown.length > 0) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
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
    if (ctx.db.prepare("SELECT 1 FROM wireless_sims WHERE iccid = ?").get(iccid)) throw new TwilioError(409, 20409, `A Sim with ICCID ${iccid} exists`);
    const now = ctx.now().getTime();
    const sid = ctx.sid("DE");
    ctx.db
      .prepare(`INSERT INTO wireless_sims (sid, account_sid, unique_name, friendly_name, iccid, status, commands_callback_url, commands_callback_method, created_ms, updated_ms)
        VALUES (?,?,?,?,?,?,?,?,?,?)`)
      .run(sid, ctx.accountSid, uniqueName, str("friendly_name"), iccid, status, cbUrl, cbMethod, now, now);
    const sim = simBySid(ctx.db, sid) as SimRow;
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
