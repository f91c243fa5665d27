/**
 * Super SIM IpCommands: POST /v1/IpCommands (201), GET /v1/IpCommands (200; Sim/SimIccid/Status/Direction
 * filters, paging), GET /v1/IpCommands/{Sid} (200).
 * Lifecycle: to_sim queued → sent (device_ip filled, a real UDP datagram left) | failed (83401 not attached).
 * Datagrams to the SIM's `mo` address → from_sim `received` records and the Fleet's ip_commands_url webhook
 * (payload base64, type binary).
 * Synchronous 4xx, nothing written (the IpCommand resource's "Synchronous errors"): an unknown Sim 404/20404;
 * a SIM neither `active` nor `ready` 400/83400; a SIM whose Fleet has data disabled 400/83400 (to use IP
 * Commands the Fleet must have data enabled); a payload over 1300 bytes decoded 400/20001. Twilio documents
 * the 4xx but no code for these: 83400 ("IP Commands error") and 20001 are the mock's choices.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound, TwilioError } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, ListFilter, readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { isSid } from "../../sids.js";
import { bySidOrName, countCommand, fleetOf, iso, v1, type SimRow } from "./common.js";

export const MAX_IP_PAYLOAD = 1300;

interface IpRow {
  seq: number;
  sid: string;
  sim_sid: string;
  sim_iccid: string | null;
  status: string;
  direction: string;
  device_ip: string | null;
  device_port: number;
  payload_type: string;
  payload: string | null;
  callback_url: string | null;
  callback_method: string;
  created_ms: number;
  updated_ms: number;
}

export function ipJson(ctx: CloudContext, r: IpRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: ctx.accountSid,
    sim_sid: r.sim_sid,
    sim_iccid: r.sim_iccid,
    status: r.status,
    direction: r.direction,
    device_ip: r.device_ip,
    device_port: r.device_port,
    payload_type: r.payload_type,
    payload: r.payload,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/IpCommands/${r.sid}`,
  };
}

const str = (s: string | null): string => (s === null ? "null" : JSON.stringify(s));

/**
 * `JSON.stringify(ipJson(ctx, r, base))`, written by hand for the create path (same keys, same order, same
 * escaping): the hottest response of the mock (bench:cloud) skips building and walking an object.
 */
export function ipJsonText(accountSidJson: string, r: IpRow, base: string): string {
  return `{"sid":${str(r.sid)},"account_sid":${accountSidJson},"sim_sid":${str(r.sim_sid)},"sim_iccid":${str(r.sim_iccid)},` +
    `"status":${str(r.status)},"direction":${str(r.direction)},"device_ip":${str(r.device_ip)},"device_port":${r.device_port},` +
    `"payload_type":${str(r.payload_type)},"payload":${str(r.payload)},"date_created":"${iso(r.created_ms)}",` +
    `"date_updated":"${iso(r.updated_ms)}","url":${JSON.stringify(`${base}/IpCommands/${r.sid}`)}}`;
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
const CREATE_PARAMS = {
  Sim: { type: "string", required: true },
  Payload: { type: "string", required: true },
  DevicePort: { type: "integer", required: true, min: 0, max: 65535 },
  PayloadType: { type: "enum", values: ["text", "binary"] },
  CallbackUrl: { type: "uri" },
  CallbackMethod: { type: "enum", values: ["GET", "POST"] },
} as const;

/** What the create path needs of a SIM and its Fleet's data switch (null without a Fleet), in one statement. */
type SimWithFleet = Pick<SimRow, "sid" | "iccid" | "status"> & { fleet_data_enabled: number | null };

interface Transition {
  r: IpRow;
  status: string;
  deviceIp: string | null;
  error?: { code: number; message: string };
}

export function registerIpCommands(app: FastifyInstance, ctx: CloudContext): void {
  const db = ctx.db;
  const insert = db.prepare(`INSERT INTO ss_ip_commands (sid, sim_sid, sim_iccid, status, direction, device_ip, device_port,
    payload_type, payload, callback_url, callback_method, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const getRow = db.prepare("SELECT * FROM ss_ip_commands WHERE sid = ?");
  const setStatus = db.prepare("UPDATE ss_ip_commands SET status = ?, device_ip = ?, updated_ms = ? WHERE sid = ?");
  const simWithFleet = `SELECT s.sid, s.iccid, s.status, f.data_enabled AS fleet_data_enabled FROM ss_sims s LEFT JOIN ss_fleets f ON f.sid = s.fleet_sid WHERE s.`;
  const simBySid = db.prepare(`${simWithFleet}sid = ?`);
  const simByName = db.prepare(`${simWithFleet}unique_name = ?`);
  const simRow = db.prepare("SELECT * FROM ss_sims WHERE sid = ?");
  const accountSidJson = JSON.stringify(ctx.accountSid);

  const insertRow = (r: IpRow): void => {
    insert.run(r.sid, r.sim_sid, r.sim_iccid, r.status, r.direction, r.device_ip, r.device_port, r.payload_type, r.payload, r.callback_url, r.callback_method, r.created_ms, r.updated_ms);
  };
  /** Inserts the record and counts the Command, in one transaction; returns the SIM's status after. */
  const insertAndCount = db.transaction((r: IpRow, sim: Pick<SimRow, "sid" | "status">): string => {
    insertRow(r);
    return countCommand(ctx, sim);
  });
  /** One INSERT when the SIM's count no longer matters (active/inactive), else INSERT + count in a transaction. */
  const create = (r: IpRow, sim: Pick<SimRow, "sid" | "status">): string => {
    ctx.groupCommit();
    if (sim.status === "active" || sim.status === "inactive") {
      insertRow(r);
      return sim.status;
    }
    return insertAndCount(r, sim);
  };

  const webhookParams = (r: IpRow, sim: SimRow | null, error?: { code: number; message: string }) => ({
    AccountSid: ctx.accountSid, ApiVersion: "v1", CommandSid: r.sid, IpCommandSid: r.sid, SimSid: r.sim_sid,
    SimUniqueName: sim?.unique_name ?? null, SimIccid: r.sim_iccid, PayloadType: r.payload_type, Payload: r.payload,
    Direction: r.direction, Status: r.status, DeviceIp: r.device_ip, DevicePort: r.device_port,
    ErrorCode: error?.code, ErrorMessage: error?.message,
  });

  // Status transitions (queued → sent | failed) are collected and written once per tick, in one
  // transaction (ctx.groupCommit); events and callbacks follow the writes, so whoever sees them reads the
  // new status.
  let batch: Transition[] = [];
  const applyBatch = (ts: Transition[]): Transition[] => {
    ctx.groupCommit();
    const done: Transition[] = [];
    const now = ctx.now().getTime();
    for (const t of ts) {
      const deviceIp = t.deviceIp ?? t.r.device_ip;
      if (setStatus.run(t.status, deviceIp, now, t.r.sid).changes === 0) continue; // purged meanwhile
      t.r.status = t.status;
      t.r.device_ip = deviceIp;
      t.r.updated_ms = now;
      done.push(t);
    }
    return done;
  };
  const flush = (): void => {
    const ts = batch;
    batch = [];
    if (!db.open) return; // the cloud closed meanwhile
    for (const { r, status, error } of applyBatch(ts)) {
      ctx.events.emit(`ip_command.${status}`, { sim_sid: r.sim_sid, command_sid: r.sid, device_ip: r.device_ip, error_code: error?.code ?? null, error_message: error?.message ?? null });
      if (r.callback_url) {
        const sim = (simRow.get(r.sim_sid) as SimRow | undefined) ?? null;
        ctx.callbacks.send({ url: r.callback_url, method: r.callback_method as "GET" | "POST", kind: "ip_command.status", resourceSid: r.sid, simSid: r.sim_sid, params: webhookParams(r, sim, error) });
      }
    }
  };
  /** `r` is the in-memory row of the command (no re-read); it is updated with the new status. */
  const transition = (r: IpRow, status: string, deviceIp: string | null, error?: { code: number; message: string }): void => {
    if (batch.length === 0) setImmediate(flush);
    batch.push({ r, status, deviceIp, error });
  };

  app.post("/supersim/v1/IpCommands", async (req, reply) => {
    const p = readParams(req.body, CREATE_PARAMS);
    const type = p.PayloadType ?? "text";
    const bytes = decodePayload(p.Payload, type);
    if (bytes.length > MAX_IP_PAYLOAD) throw badParam(`Payload is ${bytes.length} bytes; the maximum is ${MAX_IP_PAYLOAD} bytes`);
    const sim = (isSid(p.Sim, "HS") ? simBySid.get(p.Sim) : simByName.get(p.Sim)) as SimWithFleet | undefined;
    if (!sim) throw new TwilioError(404, 20404, `The requested resource /Sims/${p.Sim} was not found`);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 83400, `IP Commands error: the Super SIM ${sim.sid} is neither active nor ready (status ${sim.status})`);
    if (sim.fleet_data_enabled === 0)
      throw new TwilioError(400, 83400, `IP Commands error: data is disabled on the Fleet of the Super SIM ${sim.sid}`);
    const now = ctx.now().getTime();
    const sid = ctx.sid("HG");
    const r: IpRow = {
      seq: 0, sid, sim_sid: sim.sid, sim_iccid: sim.iccid, status: "queued", direction: "to_sim", device_ip: null, device_port: p.DevicePort,
      payload_type: type, payload: p.Payload, callback_url: p.CallbackUrl ?? null, callback_method: p.CallbackMethod ?? "POST", created_ms: now, updated_ms: now,
    };
    create(r, sim);
    // The answer shows the record as created (queued), whatever happens to it next.
    const body = ipJsonText(accountSidJson, r, v1(ctx, req));
    ctx.events.emit("ip_command.queued", { sim_sid: sim.sid, command_sid: sid });
    ctx.network.sendIp(sim.sid, p.DevicePort, bytes, {
      onSent: (ip) => transition(r, "sent", ip),
      onFailed: (code, message) => transition(r, "failed", null, { code, message }),
    }, sid);
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
    const f = new ListFilter()
      .eq("Sim", q.Sim, "sim_sid", (v) => bySidOrName<SimRow>(ctx, "ss_sims", "HS", v)?.sid ?? "")
      .eq("SimIccid", q.SimIccid, "sim_iccid")
      .eq("Status", q.Status, "status")
      .eq("Direction", q.Direction, "direction");
    const page = fetchPage<IpRow & Record<string, unknown>>(db, { table: "ss_ip_commands", where: f.where, args: f.args }, pr);
    const base = v1(ctx, req);
    return v1Envelope({ key: "ip_commands", url: `${base}/IpCommands`, filters: f.params, pr, page, items: page.rows.map((r) => ipJson(ctx, r, base)) });
  });

  app.get("/supersim/v1/IpCommands/:sid", async (req) => {
    const sid = (req.params as { sid: string }).sid;
    const r = isSid(sid, "HG") ? (getRow.get(sid) as IpRow | undefined) : undefined;
    if (!r) throw notFound(`/IpCommands/${sid}`);
    return ipJson(ctx, r, v1(ctx, req));
  });

  // Device → cloud: a datagram at the SIM's `mo` address.
  ctx.network.onMoIp("supersim", (netSim, m) => {
    const sim = simRow.get(netSim.sid) as SimRow | undefined;
    if (!sim) return;
    const now = ctx.now().getTime();
    const sid = ctx.sid("HG");
    const r: IpRow = {
      seq: 0, sid, sim_sid: sim.sid, sim_iccid: sim.iccid, status: "received", direction: "from_sim", device_ip: m.deviceIp, device_port: m.devicePort,
      payload_type: "binary", payload: m.payload.toString("base64"), callback_url: null, callback_method: "POST", created_ms: now, updated_ms: now,
    };
    create(r, sim);
    ctx.events.emit("ip_command.received", { sim_sid: sim.sid, command_sid: sid, device_port: m.devicePort, bytes: m.payload.length });
    const fleet = fleetOf(ctx, sim);
    if (fleet?.ip_commands_url) {
      ctx.callbacks.send({ url: fleet.ip_commands_url, method: fleet.ip_commands_method as "GET" | "POST", kind: "fleet.ip_commands", resourceSid: sid, simSid: sim.sid, params: webhookParams(r, sim) });
    }
  });
}
