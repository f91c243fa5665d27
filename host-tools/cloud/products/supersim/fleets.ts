/** Super SIM Fleets: POST /v1/Fleets (201), GET /v1/Fleets (200), GET|POST /v1/Fleets/{Sid|UniqueName} (200). */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { bool, bySidOrName, checkUniqueName, iso, napSid, v1, type FleetRow } from "./common.js";

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;

/** The official defaults of a Fleet created without them: data on, SMS Commands on, 1,000 MB a billing period. */
export const DEFAULT_DATA_LIMIT_MB = 1000;

export function fleetJson(r: FleetRow, base: string): Record<string, unknown> {
  return {
    account_sid: null as string | null,
    sid: r.sid,
    unique_name: r.unique_name,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/Fleets/${r.sid}`,
    data_enabled: bool(r.data_enabled),
    data_limit: r.data_limit,
    data_metering: "payg",
    sms_commands_enabled: bool(r.sms_commands_enabled),
    sms_commands_url: r.sms_commands_url,
    sms_commands_method: r.sms_commands_method,
    network_access_profile_sid: r.network_access_profile_sid,
    ip_commands_url: r.ip_commands_url,
    ip_commands_method: r.ip_commands_method,
  };
}

export function registerFleets(app: FastifyInstance, ctx: CloudContext): void {
  const json = (r: FleetRow, req: FastifyRequest) => ({ ...fleetJson(r, v1(ctx, req)), account_sid: ctx.accountSid });
  const byId = (id: string): FleetRow => {
    const f = bySidOrName<FleetRow>(ctx, "ss_fleets", "HF", id);
    if (!f) throw notFound(`/Fleets/${id}`);
    return f;
  };
  const nameFree = (name: string, self: string | null): void => {
    checkUniqueName(name, "HF");
    const other = ctx.db.prepare("SELECT sid FROM ss_fleets WHERE unique_name = ?").get(name) as { sid: string } | undefined;
    if (other && other.sid !== self) throw badParam(`A Fleet with UniqueName '${name}' already exists`);
  };

  app.post("/supersim/v1/Fleets", async (req, reply) => {
    const p = readParams(req.body, {
      NetworkAccessProfile: { type: "string", required: true },
      UniqueName: { type: "string", maxLength: 64 },
      DataEnabled: { type: "boolean" },
      DataLimit: { type: "integer", min: 1, max: 2_000_000 },
      IpCommandsUrl: { type: "uri" },
      IpCommandsMethod: METHOD,
      SmsCommandsEnabled: { type: "boolean" },
      SmsCommandsUrl: { type: "uri" },
      SmsCommandsMethod: METHOD,
    });
    if (p.UniqueName !== undefined) nameFree(p.UniqueName, null);
    const now = ctx.now().getTime();
    const sid = ctx.sid("HF");
    ctx.db.prepare(`INSERT INTO ss_fleets (sid, unique_name, data_enabled, data_limit, sms_commands_enabled, sms_commands_url,
      sms_commands_method, ip_commands_url, ip_commands_method, network_access_profile_sid, created_ms, updated_ms)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`).run(sid, p.UniqueName ?? null, p.DataEnabled === false ? 0 : 1, p.DataLimit ?? DEFAULT_DATA_LIMIT_MB,
      p.SmsCommandsEnabled === false ? 0 : 1, p.SmsCommandsUrl ?? null, p.SmsCommandsMethod ?? "POST", p.IpCommandsUrl ?? null,
      p.IpCommandsMethod ?? "POST", napSid(p.NetworkAccessProfile), now, now);
    ctx.events.emit("fleet.created", { fleet_sid: sid });
    return reply.code(201).send(json(byId(sid), req));
  });

  app.get("/supersim/v1/Fleets", async (req) => {
    const q = readParams(req.query, { NetworkAccessProfile: { type: "string" } }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const where = q.NetworkAccessProfile !== undefined ? "network_access_profile_sid = ?" : "1";
    const args = q.NetworkAccessProfile !== undefined ? [napSid(q.NetworkAccessProfile)] : [];
    const page = fetchPage<FleetRow & Record<string, unknown>>(ctx.db, { table: "ss_fleets", where, args }, pr);
    const filters: [string, string][] = q.NetworkAccessProfile !== undefined ? [["NetworkAccessProfile", q.NetworkAccessProfile]] : [];
    return v1Envelope({ key: "fleets", url: `${v1(ctx, req)}/Fleets`, filters, pr, page, items: page.rows.map((r) => json(r, req)) });
  });

  app.get("/supersim/v1/Fleets/:sid", async (req) => json(byId((req.params as { sid: string }).sid), req));

  app.post("/supersim/v1/Fleets/:sid", async (req) => {
    const f = byId((req.params as { sid: string }).sid);
    const p = readParams(req.body, {
      UniqueName: { type: "string", maxLength: 64 },
      NetworkAccessProfile: { type: "string" },
      IpCommandsUrl: { type: "string", empty: true },
      IpCommandsMethod: METHOD,
      SmsCommandsUrl: { type: "string", empty: true },
      SmsCommandsMethod: METHOD,
      DataLimit: { type: "integer", min: 1, max: 2_000_000 },
    });
    for (const k of ["IpCommandsUrl", "SmsCommandsUrl"] as const) {
      const v = p[k];
      if (v !== undefined && v !== "") readParams({ [k]: v }, { [k]: { type: "uri" } });
    }
    if (p.UniqueName !== undefined) nameFree(p.UniqueName, f.sid);
    const url = (v: string | undefined, cur: string | null): string | null => (v === undefined ? cur : v === "" ? null : v);
    ctx.db.prepare(`UPDATE ss_fleets SET unique_name = ?, network_access_profile_sid = ?, ip_commands_url = ?, ip_commands_method = ?,
      sms_commands_url = ?, sms_commands_method = ?, data_limit = ?, updated_ms = ? WHERE sid = ?`).run(
      p.UniqueName ?? f.unique_name, p.NetworkAccessProfile !== undefined ? napSid(p.NetworkAccessProfile) : f.network_access_profile_sid,
      url(p.IpCommandsUrl, f.ip_commands_url), p.IpCommandsMethod ?? f.ip_commands_method, url(p.SmsCommandsUrl, f.sms_commands_url),
      p.SmsCommandsMethod ?? f.sms_commands_method, p.DataLimit ?? f.data_limit, ctx.now().getTime(), f.sid);
    ctx.events.emit("fleet.updated", { fleet_sid: f.sid });
    return json(byId(f.sid), req);
  });
}
