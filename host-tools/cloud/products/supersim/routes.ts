/**
 * Super SIM v1 over HTTP (`/supersim/v1/…`, or Host supersim.*): parameters, checks and answers.
 *   Fleets       POST /Fleets (201), GET /Fleets (200), GET|POST /Fleets/{Sid|UniqueName} (200)
 *   Sims         POST /Sims (register: Iccid + RegistrationCode, 201), GET /Sims (200), GET /Sims/{Sid|UniqueName}
 *                (200), POST /Sims/{Sid|UniqueName} (update: 200, or 202 with CallbackUrl)
 *   IpCommands   POST /IpCommands (201), GET /IpCommands (200; Sim/SimIccid/Status/Direction), GET /IpCommands/{Sid}
 *   SmsCommands  POST /SmsCommands (201), GET /SmsCommands (200; Sim/Status/Direction), GET /SmsCommands/{Sid}
 *
 * Sim status rules (KORE's Sim resource): new is never returned to; ready only from new; ready/active need a
 * Fleet; ready → active automatically at the 5th Command; inactive blocks the SIM from the network.
 * Registration: ICCID of 18–22 digits (83002 otherwise), RegistrationCode non-empty (83001 when missing), an
 * ICCID already registered → 83003.
 *
 * Commands are refused synchronously, nothing written (the IpCommand resource's "Synchronous errors", applied to
 * SMS too): an unknown Sim 404/20404; a SIM neither `active` nor `ready` 400 (83400 "IP Commands error" for IP,
 * 20001 for SMS); a Fleet with data disabled 400/83400 (IP) or SMS Commands disabled 400/20001 (SMS); an IP
 * payload over 1300 bytes decoded, or an SMS payload over one SMS (160 GSM 7-bit or 70 UCS2 characters),
 * 400/20001. Twilio documents the 4xx but no code for these: the codes are the mock's choices.
 * What follows on the network is network.ts; every row is store.ts's.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MAX_IP_PAYLOAD } from "../../../../firmware/core/limits.js";
import type { CloudContext } from "../../context.js";
import { badParam, notFound, TwilioError } from "../../errors.js";
import { readParams } from "../../form.js";
import { smsFits } from "../../mock-network/index.js";
import { readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { isSid } from "../../sids.js";
import { fleetJson, ipJson, ipJsonText, simJson, smsJson, v1 } from "./json.js";
import { announceSim, commandCounted, sendIpCommand, sendSmsCommand } from "./network.js";
import {
  createIpCommand, createSmsCommand, fleetByRef, fleetNameOwner, fleetOf, fleetPage, iccidTaken, insertFleet, insertSim, ipCommandBySid,
  ipCommandPage, napSid, simByRef, simBySid, simNameOwner, simPage, simWithFleet, smsCommandBySid, smsCommandPage, updateFleet, updateSim,
  type FleetRow, type IpRow, type SimRow, type SmsRow,
} from "./store.js";

/** The official defaults of a Fleet created without them: data on, SMS Commands on, 1,000 MB a billing period. */
export const DEFAULT_DATA_LIMIT_MB = 1000;

const METHOD = { type: "enum", values: ["GET", "POST"] } as const;

const SIM_TRANSITIONS: Record<string, string[]> = {
  new: ["ready", "active", "inactive"],
  ready: ["active", "inactive"],
  active: ["inactive"],
  inactive: ["active"],
};

/** A unique name may not look like a SID of its own resource (it would be ambiguous in URLs). */
function checkUniqueName(name: string, prefix: string): void {
  if (isSid(name, prefix)) throw new TwilioError(400, 20001, `UniqueName may not be formatted as a SID (${prefix}…)`);
}

function registerFleets(app: FastifyInstance, ctx: CloudContext): void {
  const json = (r: FleetRow, req: FastifyRequest) => fleetJson(ctx, r, v1(ctx, req));
  const byId = (id: string): FleetRow => {
    const f = fleetByRef(ctx, id);
    if (!f) throw notFound(`/Fleets/${id}`);
    return f;
  };
  const nameFree = (name: string, self: string | null): void => {
    checkUniqueName(name, "HF");
    const other = fleetNameOwner(ctx, name);
    if (other !== null && other !== self) throw badParam(`A Fleet with UniqueName '${name}' already exists`);
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
    const sid = ctx.sid("HF");
    insertFleet(ctx, sid, {
      unique_name: p.UniqueName ?? null, data_enabled: p.DataEnabled === false ? 0 : 1, data_limit: p.DataLimit ?? DEFAULT_DATA_LIMIT_MB,
      sms_commands_enabled: p.SmsCommandsEnabled === false ? 0 : 1, sms_commands_url: p.SmsCommandsUrl ?? null, sms_commands_method: p.SmsCommandsMethod ?? "POST",
      ip_commands_url: p.IpCommandsUrl ?? null, ip_commands_method: p.IpCommandsMethod ?? "POST", network_access_profile_sid: napSid(p.NetworkAccessProfile),
    }, ctx.now().getTime());
    ctx.events.emit("fleet.created", { fleet_sid: sid });
    return reply.code(201).send(json(byId(sid), req));
  });

  app.get("/supersim/v1/Fleets", async (req) => {
    const q = readParams(req.query, { NetworkAccessProfile: { type: "string" } }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const { page, filters } = fleetPage(ctx, q, pr);
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
    updateFleet(ctx, f.sid, {
      unique_name: p.UniqueName ?? f.unique_name,
      network_access_profile_sid: p.NetworkAccessProfile !== undefined ? napSid(p.NetworkAccessProfile) : f.network_access_profile_sid,
      ip_commands_url: url(p.IpCommandsUrl, f.ip_commands_url), ip_commands_method: p.IpCommandsMethod ?? f.ip_commands_method,
      sms_commands_url: url(p.SmsCommandsUrl, f.sms_commands_url), sms_commands_method: p.SmsCommandsMethod ?? f.sms_commands_method,
      data_limit: p.DataLimit ?? f.data_limit,
    }, ctx.now().getTime());
    ctx.events.emit("fleet.updated", { fleet_sid: f.sid });
    return json(byId(f.sid), req);
  });
}

function registerSims(app: FastifyInstance, ctx: CloudContext): void {
  const json = (r: SimRow, req: FastifyRequest) => simJson(ctx, r, v1(ctx, req));
  const simOr404 = (id: string): SimRow => {
    const s = simByRef(ctx, id);
    if (!s) throw notFound(`/Sims/${id}`);
    return s;
  };

  app.post("/supersim/v1/Sims", async (req, reply) => {
    const raw = (req.body ?? {}) as Record<string, unknown>;
    if (raw.Iccid === undefined || raw.Iccid === "" || raw.RegistrationCode === undefined || raw.RegistrationCode === "")
      throw new TwilioError(400, 83001, `Missing required parameter ${raw.Iccid ? "RegistrationCode" : "Iccid"} in the post body`);
    const p = readParams(req.body, { Iccid: { type: "string", required: true }, RegistrationCode: { type: "string", required: true } });
    if (!/^\d{18,22}F?$/i.test(p.Iccid)) throw new TwilioError(400, 83002, `The Super SIM with ICCID ${p.Iccid} cannot be registered: not a valid ICCID`);
    if (iccidTaken(ctx, p.Iccid)) throw new TwilioError(409, 83003, `The Super SIM with ICCID ${p.Iccid} already belongs to this account`);
    const sid = ctx.sid("HS");
    insertSim(ctx, sid, p.Iccid, ctx.now().getTime());
    const r = simBySid(ctx, sid) as SimRow;
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
    const { page, filters } = simPage(ctx, q, pr);
    return v1Envelope({ key: "sims", url: `${v1(ctx, req)}/Sims`, filters, pr, page, items: page.rows.map((r) => json(r, req)) });
  });

  app.get("/supersim/v1/Sims/:sid", async (req) => json(simOr404((req.params as { sid: string }).sid), req));

  app.post("/supersim/v1/Sims/:sid", async (req, reply) => {
    const s = simOr404((req.params as { sid: string }).sid);
    const p = readParams(req.body, {
      UniqueName: { type: "string", maxLength: 64 },
      Status: { type: "enum", values: ["ready", "active", "inactive"] },
      Fleet: { type: "string" },
      CallbackUrl: { type: "uri" },
      CallbackMethod: METHOD,
      AccountSid: { type: "string" },
    });
    if (p.AccountSid !== undefined && p.AccountSid !== ctx.accountSid)
      throw new TwilioError(400, 20001, `AccountSid ${p.AccountSid} is not a subaccount of ${ctx.accountSid}`);
    let fleetSid = s.fleet_sid;
    if (p.Fleet !== undefined) {
      const f = fleetByRef(ctx, p.Fleet);
      if (!f) throw new TwilioError(404, 20404, `The requested resource /Fleets/${p.Fleet} was not found`);
      fleetSid = f.sid;
    }
    if (p.UniqueName !== undefined) {
      checkUniqueName(p.UniqueName, "HS");
      const other = simNameOwner(ctx, p.UniqueName);
      if (other !== null && other !== s.sid) throw badParam(`A Sim with UniqueName '${p.UniqueName}' already exists`);
    }
    let status = s.status;
    if (p.Status !== undefined && p.Status !== s.status) {
      if (!(SIM_TRANSITIONS[s.status] ?? []).includes(p.Status))
        throw new TwilioError(400, 20001, `Invalid status transition from ${s.status} to ${p.Status}`);
      if ((p.Status === "ready" || p.Status === "active") && fleetSid === null)
        throw new TwilioError(400, 20001, `The Sim must belong to a Fleet before its status can be ${p.Status}`);
      status = p.Status;
    }
    updateSim(ctx, s.sid, { unique_name: p.UniqueName ?? s.unique_name, status, fleet_sid: fleetSid }, ctx.now().getTime());
    const r = simBySid(ctx, s.sid) as SimRow;
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

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SPACE = /\s/;

function decodePayload(payload: string, type: string): Buffer {
  if (type === "binary") {
    const clean = SPACE.test(payload) ? payload.replace(/\s+/g, "") : payload;
    if (!BASE64.test(clean) || clean.length % 4 === 1) throw badParam("Payload must be Base64 when PayloadType is binary");
    return Buffer.from(clean, "base64");
  }
  return Buffer.from(payload, "utf8");
}

/** The create parameters (hoisted: readParams walks this object on every request). */
const IP_CREATE_PARAMS = {
  Sim: { type: "string", required: true },
  Payload: { type: "string", required: true },
  DevicePort: { type: "integer", required: true, min: 0, max: 65535 },
  PayloadType: { type: "enum", values: ["text", "binary"] },
  CallbackUrl: { type: "uri" },
  CallbackMethod: METHOD,
} as const;

function registerIpCommands(app: FastifyInstance, ctx: CloudContext): void {
  const accountSidJson = JSON.stringify(ctx.accountSid);

  app.post("/supersim/v1/IpCommands", async (req, reply) => {
    const p = readParams(req.body, IP_CREATE_PARAMS);
    const type = p.PayloadType ?? "text";
    const bytes = decodePayload(p.Payload, type);
    if (bytes.length > MAX_IP_PAYLOAD) throw badParam(`Payload is ${bytes.length} bytes; the maximum is ${MAX_IP_PAYLOAD} bytes`);
    const sim = simWithFleet(ctx, p.Sim);
    if (!sim) throw new TwilioError(404, 20404, `The requested resource /Sims/${p.Sim} was not found`);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 83400, `IP Commands error: the Super SIM ${sim.sid} is neither active nor ready (status ${sim.status})`);
    if (sim.fleet_data_enabled === 0)
      throw new TwilioError(400, 83400, `IP Commands error: data is disabled on the Fleet of the Super SIM ${sim.sid}`);
    const now = ctx.now().getTime();
    const r: IpRow = {
      seq: 0, sid: ctx.sid("HG"), sim_sid: sim.sid, sim_iccid: sim.iccid, status: "queued", direction: "to_sim", device_ip: null, device_port: p.DevicePort,
      payload_type: type, payload: p.Payload, callback_url: p.CallbackUrl ?? null, callback_method: p.CallbackMethod ?? "POST", created_ms: now, updated_ms: now,
    };
    commandCounted(ctx, sim, createIpCommand(ctx, r, sim));
    // The answer shows the record as created (queued), whatever happens to it next.
    const body = ipJsonText(accountSidJson, r, v1(ctx, req));
    ctx.events.emit("ip_command.queued", { sim_sid: sim.sid, command_sid: r.sid });
    sendIpCommand(ctx, r, bytes);
    return reply.code(201).header("content-type", "application/json; charset=utf-8").send(body);
  });

  app.get("/supersim/v1/IpCommands", async (req: FastifyRequest) => {
    const q = readParams(req.query, {
      Sim: { type: "string" },
      SimIccid: { type: "string" },
      Status: { type: "enum", values: ["queued", "sent", "received", "failed"] },
      Direction: { type: "enum", values: ["to_sim", "from_sim"] },
    }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const { page, filters } = ipCommandPage(ctx, q, pr);
    const base = v1(ctx, req);
    return v1Envelope({ key: "ip_commands", url: `${base}/IpCommands`, filters, pr, page, items: page.rows.map((r) => ipJson(ctx, r, base)) });
  });

  app.get("/supersim/v1/IpCommands/:sid", async (req) => {
    const sid = (req.params as { sid: string }).sid;
    const r = isSid(sid, "HG") ? ipCommandBySid(ctx, sid) : undefined;
    if (!r) throw notFound(`/IpCommands/${sid}`);
    return ipJson(ctx, r, v1(ctx, req));
  });
}

function registerSmsCommands(app: FastifyInstance, ctx: CloudContext): void {
  app.post("/supersim/v1/SmsCommands", async (req, reply) => {
    const p = readParams(req.body, {
      Sim: { type: "string", required: true },
      Payload: { type: "string", required: true },
      CallbackMethod: METHOD,
      CallbackUrl: { type: "uri" },
    });
    if (!smsFits(p.Payload)) throw badParam("Payload is longer than one SMS: at most 160 GSM 7-bit characters or 70 UCS2 characters");
    const sim = simByRef(ctx, p.Sim);
    // no documented code exists for an unknown Sim parameter: 404/20404 naming it
    if (!sim) throw new TwilioError(404, 20404, `The requested resource /Sims/${p.Sim} was not found`);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 20001, `Invalid SIM State: the Super SIM ${sim.sid} is neither active nor ready (status ${sim.status})`);
    if (fleetOf(ctx, sim)?.sms_commands_enabled === 0)
      throw new TwilioError(400, 20001, `SMS Commands are disabled on the Fleet of the Super SIM ${sim.sid}`);
    const now = ctx.now().getTime();
    const fields: Omit<SmsRow, "seq"> = {
      sid: ctx.sid("HC"), sim_sid: sim.sid, payload: p.Payload, status: "queued", direction: "to_sim", callback_url: p.CallbackUrl ?? null,
      callback_method: p.CallbackMethod ?? "POST", created_ms: now, updated_ms: now,
    };
    commandCounted(ctx, sim, createSmsCommand(ctx, fields, sim));
    const r = smsCommandBySid(ctx, fields.sid) as SmsRow;
    ctx.events.emit("sms_command.queued", { sim_sid: sim.sid, command_sid: r.sid });
    sendSmsCommand(ctx, r);
    return reply.code(201).send(smsJson(ctx, r, v1(ctx, req)));
  });

  app.get("/supersim/v1/SmsCommands", async (req) => {
    const q = readParams(req.query, {
      Sim: { type: "string" },
      Status: { type: "enum", values: ["queued", "sent", "delivered", "received", "failed"] },
      Direction: { type: "enum", values: ["to_sim", "from_sim"] },
    }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const { page, filters } = smsCommandPage(ctx, q, pr);
    const base = v1(ctx, req);
    return v1Envelope({ key: "sms_commands", url: `${base}/SmsCommands`, filters, pr, page, items: page.rows.map((r) => smsJson(ctx, r, base)) });
  });

  app.get("/supersim/v1/SmsCommands/:sid", async (req) => {
    const sid = (req.params as { sid: string }).sid;
    const r = isSid(sid, "HC") ? smsCommandBySid(ctx, sid) : undefined;
    if (!r) throw notFound(`/SmsCommands/${sid}`);
    return smsJson(ctx, r, v1(ctx, req));
  });
}

export function registerSuperSimRoutes(app: FastifyInstance, ctx: CloudContext): void {
  registerFleets(app, ctx);
  registerSims(app, ctx);
  registerIpCommands(app, ctx);
  registerSmsCommands(app, ctx);
}
