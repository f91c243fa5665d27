/**
 * Super SIM Sims: POST /v1/Sims (register: Iccid + RegistrationCode, 201), GET /v1/Sims (200),
 * GET /v1/Sims/{Sid|UniqueName} (200), POST /v1/Sims/{Sid|UniqueName} (update: 200, or 202 with CallbackUrl).
 * Status rules (KORE sim-resource page): new is never returned to; ready only from new; ready/active need a
 * Fleet; ready → active automatically at the 5th Command; inactive blocks the SIM from the network.
 * Registration: ICCID of 18–22 digits (83002 otherwise), RegistrationCode non-empty (83001 when missing),
 * an ICCID already registered → 83003.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, TwilioError } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, ListFilter, readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { bySidOrName, checkUniqueName, iso, simOr404, v1, type FleetRow, type SimRow } from "./common.js";

const TRANSITIONS: Record<string, string[]> = {
  new: ["ready", "active", "inactive"],
  ready: ["active", "inactive"],
  active: ["inactive"],
  inactive: ["active"],
};

export function simJson(ctx: CloudContext, r: SimRow, base: string): Record<string, unknown> {
  const url = `${base}/Sims/${r.sid}`;
  return {
    sid: r.sid,
    unique_name: r.unique_name,
    account_sid: ctx.accountSid,
    iccid: r.iccid,
    status: r.status,
    fleet_sid: r.fleet_sid,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url,
    links: { billing_periods: `${url}/BillingPeriods`, sim_ip_addresses: `${url}/IpAddresses` },
  };
}

/** Tells the network about the SIM (unique name for admin routes; inactive = blocked). */
export function announceSim(ctx: CloudContext, r: SimRow): void {
  ctx.network.upsertSim({ sid: r.sid, uniqueName: r.unique_name, kind: "supersim", blocked: r.status === "inactive" });
}

export function registerSims(app: FastifyInstance, ctx: CloudContext): void {
  const json = (r: SimRow, req: FastifyRequest) => simJson(ctx, r, v1(ctx, req));
  const get = (sid: string) => ctx.db.prepare("SELECT * FROM ss_sims WHERE sid = ?").get(sid) as SimRow;
  for (const r of ctx.db.prepare("SELECT * FROM ss_sims").all() as SimRow[]) announceSim(ctx, r);

  app.post("/supersim/v1/Sims", async (req, reply) => {
    const raw = (req.body ?? {}) as Record<string, unknown>;
    if (raw.Iccid === undefined || raw.Iccid === "" || raw.RegistrationCode === undefined || raw.RegistrationCode === "")
      throw new TwilioError(400, 83001, `Missing required parameter ${raw.Iccid ? "RegistrationCode" : "Iccid"} in the post body`);
    const p = readParams(req.body, { Iccid: { type: "string", required: true }, RegistrationCode: { type: "string", required: true } });
    if (!/^\d{18,22}F?$/i.test(p.Iccid)) throw new TwilioError(400, 83002, `The Super SIM with ICCID ${p.Iccid} cannot be registered: not a valid ICCID`);
    if (ctx.db.prepare("SELECT 1 FROM ss_sims WHERE iccid = ?").get(p.Iccid))
      throw new TwilioError(409, 83003, `The Super SIM with ICCID ${p.Iccid} already belongs to this account`);
    const now = ctx.now().getTime();
    const sid = ctx.sid("HS");
    ctx.db.prepare("INSERT INTO ss_sims (sid, unique_name, iccid, status, fleet_sid, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)")
      .run(sid, null, p.Iccid, "new", null, now, now);
    const r = get(sid);
    announceSim(ctx, r);
    ctx.events.emit("sim.created", { sim_sid: sid, iccid: p.Iccid });
    return reply.code(201).send(json(r, req));
  });

  app.get("/supersim/v1/Sims", async (req) => {
    const q = readParams(req.query, {
      Status: { type: "enum", values: ["new", "ready", "active", "inactive", "scheduled"] },
      Fleet: { type: "string" },
      Iccid: { type: "string" },
    }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const f = new ListFilter()
      .eq("Status", q.Status, "status")
      .eq("Fleet", q.Fleet, "fleet_sid", (v) => bySidOrName<FleetRow>(ctx, "ss_fleets", "HF", v)?.sid ?? "")
      .eq("Iccid", q.Iccid, "iccid");
    const page = fetchPage<SimRow & Record<string, unknown>>(ctx.db, { table: "ss_sims", where: f.where, args: f.args }, pr);
    return v1Envelope({ key: "sims", url: `${v1(ctx, req)}/Sims`, filters: f.params, pr, page, items: page.rows.map((r) => json(r, req)) });
  });

  app.get("/supersim/v1/Sims/:sid", async (req) => {
    const id = (req.params as { sid: string }).sid;
    return json(simOr404(ctx, id, `/Sims/${id}`), req);
  });

  app.post("/supersim/v1/Sims/:sid", async (req, reply) => {
    const id = (req.params as { sid: string }).sid;
    const s = simOr404(ctx, id, `/Sims/${id}`);
    const p = readParams(req.body, {
      UniqueName: { type: "string", maxLength: 64 },
      Status: { type: "enum", values: ["ready", "active", "inactive"] },
      Fleet: { type: "string" },
      CallbackUrl: { type: "uri" },
      CallbackMethod: { type: "enum", values: ["GET", "POST"] },
      AccountSid: { type: "string" },
    });
    if (p.AccountSid !== undefined && p.AccountSid !== ctx.accountSid)
      throw new TwilioError(400, 20001, `AccountSid ${p.AccountSid} is not a subaccount of ${ctx.accountSid}`);
    let fleetSid = s.fleet_sid;
    if (p.Fleet !== undefined) {
      const f = bySidOrName<FleetRow>(ctx, "ss_fleets", "HF", p.Fleet);
      if (!f) throw new TwilioError(404, 20404, `The requested resource /Fleets/${p.Fleet} was not found`);
      fleetSid = f.sid;
    }
    if (p.UniqueName !== undefined) {
      checkUniqueName(p.UniqueName, "HS");
      const other = ctx.db.prepare("SELECT sid FROM ss_sims WHERE unique_name = ?").get(p.UniqueName) as { sid: string } | undefined;
      if (other && other.sid !== s.sid) throw badParam(`A Sim with UniqueName '${p.UniqueName}' already exists`);
    }
    let status = s.status;
    if (p.Status !== undefined && p.Status !== s.status) {
      if (!(TRANSITIONS[s.status] ?? []).includes(p.Status))
        throw new TwilioError(400, 20001, `Invalid status transition from ${s.status} to ${p.Status}`);
      if ((p.Status === "ready" || p.Status === "active") && fleetSid === null)
        throw new TwilioError(400, 20001, `The Sim must belong to a Fleet before its status can be ${p.Status}`);
      status = p.Status;
    }
    ctx.db.prepare("UPDATE ss_sims SET unique_name = ?, status = ?, fleet_sid = ?, updated_ms = ? WHERE sid = ?")
      .run(p.UniqueName ?? s.unique_name, status, fleetSid, ctx.now().getTime(), s.sid);
    const r = get(s.sid);
    announceSim(ctx, r);
    if (status !== s.status) ctx.events.emit("sim.status", { sim_sid: s.sid, status, previous: s.status });
    if (p.CallbackUrl !== undefined) {
      ctx.callbacks.send({
        url: p.CallbackUrl, method: p.CallbackMethod ?? "POST", kind: "sim.update", resourceSid: r.sid, simSid: r.sid,
        params: { AccountSid: ctx.accountSid, SimSid: r.sid, SimUniqueName: r.unique_name, SimIccid: r.iccid, Status: r.status, FleetSid: r.fleet_sid, ApiVersion: "v1" },
      });
      return reply.code(202).send(json(r, req));
    }
    return json(r, req);
  });
}
