/**
 * Super SIM IpCommands: POST /v1/IpCommands (201), GET /v1/IpCommands (200; Sim/SimIccid/Status/Direction
 * filters, paging), GET /v1/IpCommands/{Sid} (200).
 * Lifecycle: to_sim queued → sent (device_ip filled, a real UDP datagram left) | failed (83401 not attached;
 * 83400 SIM not ready/active or Fleet data disabled). Datagrams to the SIM's `mo` address → from_sim
 * `received` records and the Fleet's ip_commands_url webhook (payload base64, type binary).
 * Payload ≤ 1300 bytes decoded (400/20001 otherwise — no documented code, reference §5b).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound } from "../../errors.js";
import { readParams } from "../../form.js";
import { fetchPage, readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { isSid } from "../../sids.js";
import { bySidOrName, countCommand, fleetOf, iso, simParam, v1, type SimRow } from "./common.js";

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

function decodePayload(payload: string, type: string): Buffer {
  if (type === "binary") {
    const clean = payload.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw badParam("Payload must be Base64 when PayloadType is binary");
    return Buffer.from(clean, "base64");
  }
  return Buffer.from(payload, "utf8");
}

export function registerIpCommands(app: FastifyInstance, ctx: CloudContext): void {
  const db = ctx.db;
  const insert = db.prepare(`INSERT INTO ss_ip_commands (sid, sim_sid, sim_iccid, status, direction, device_ip, device_port,
    payload_type, payload, callback_url, callback_method, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const getRow = db.prepare("SELECT * FROM ss_ip_commands WHERE sid = ?");
  const setStatus = db.prepare("UPDATE ss_ip_commands SET status = ?, device_ip = COALESCE(?, device_ip), updated_ms = ? WHERE sid = ? RETURNING *");

  /** Inserts the record and counts the Command, in one transaction; returns the SIM's status after. */
  const create = db.transaction((r: IpRow): string => {
    insert.run(r.sid, r.sim_sid, r.sim_iccid, r.status, r.direction, r.device_ip, r.device_port, r.payload_type, r.payload, r.callback_url, r.callback_method, r.created_ms, r.updated_ms);
    return countCommand(ctx, r.sim_sid);
  });

  const webhookParams = (r: IpRow, sim: SimRow | null, error?: { code: number; message: string }) => ({
    AccountSid: ctx.accountSid, ApiVersion: "v1", CommandSid: r.sid, IpCommandSid: r.sid, SimSid: r.sim_sid,
    SimUniqueName: sim?.unique_name ?? null, SimIccid: r.sim_iccid, PayloadType: r.payload_type, Payload: r.payload,
    Direction: r.direction, Status: r.status, DeviceIp: r.device_ip, DevicePort: r.device_port,
    ErrorCode: error?.code, ErrorMessage: error?.message,
  });

  const transition = (sid: string, status: string, deviceIp: string | null, error?: { code: number; message: string }): void => {
    const r = setStatus.get(status, deviceIp, ctx.now().getTime(), sid) as IpRow | undefined;
    if (!r) return;
    ctx.events.emit(`ip_command.${status}`, { sim_sid: r.sim_sid, command_sid: sid, device_ip: r.device_ip, error_code: error?.code ?? null });
    if (r.callback_url) {
      const sim = (db.prepare("SELECT * FROM ss_sims WHERE sid = ?").get(r.sim_sid) as SimRow | undefined) ?? null;
      ctx.callbacks.send({ url: r.callback_url, method: r.callback_method as "GET" | "POST", kind: "ip_command.status", resourceSid: sid, simSid: r.sim_sid, params: webhookParams(r, sim, error) });
    }
  };

  app.post("/supersim/v1/IpCommands", async (req, reply) => {
    const p = readParams(req.body, {
      Sim: { type: "string", required: true },
      Payload: { type: "string", required: true },
      DevicePort: { type: "integer", required: true, min: 0, max: 65535 },
      PayloadType: { type: "enum", values: ["text", "binary"] },
      CallbackUrl: { type: "uri" },
      CallbackMethod: { type: "enum", values: ["GET", "POST"] },
    });
    const type = p.PayloadType ?? "text";
    const bytes = decodePayload(p.Payload, type);
    if (bytes.length > MAX_IP_PAYLOAD) throw badParam(`Payload is ${bytes.length} bytes; the maximum is ${MAX_IP_PAYLOAD} bytes`);
    const sim = simParam(ctx, p.Sim);
    const fleet = fleetOf(ctx, sim);
    const now = ctx.now().getTime();
    const sid = ctx.sid("HG");
    const r: IpRow = {
      seq: 0, sid, sim_sid: sim.sid, sim_iccid: sim.iccid, status: "queued", direction: "to_sim", device_ip: null, device_port: p.DevicePort,
      payload_type: type, payload: p.Payload, callback_url: p.CallbackUrl ?? null, callback_method: p.CallbackMethod ?? "POST", created_ms: now, updated_ms: now,
    };
    const simStatus = create(r);
    ctx.events.emit("ip_command.queued", { sim_sid: sim.sid, command_sid: sid });
    if (simStatus !== "ready" && simStatus !== "active") {
      const e = { code: 83400, message: `IP Commands error: the Super SIM is ${simStatus}` };
      setImmediate(() => transition(sid, "failed", null, e));
    } else if (fleet !== null && fleet.data_enabled === 0) {
      setImmediate(() => transition(sid, "failed", null, { code: 83400, message: "IP Commands error: data is disabled for the Super SIM's Fleet" }));
    } else {
      ctx.network.sendIp(sim.sid, p.DevicePort, bytes, {
        onSent: (ip) => transition(sid, "sent", ip),
        onFailed: (code, message) => transition(sid, "failed", null, { code, message }),
      });
    }
    return reply.code(201).send(ipJson(ctx, r, v1(ctx, req)));
  });

  app.get("/supersim/v1/IpCommands", async (req: FastifyRequest) => {
    const q = readParams(req.query, {
      Sim: { type: "string" },
      SimIccid: { type: "string" },
      Status: { type: "enum", values: ["queued", "sent", "received", "failed"] },
      Direction: { type: "enum", values: ["to_sim", "from_sim"] },
    }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const conds: string[] = [];
    const args: unknown[] = [];
    const filters: [string, string][] = [];
    if (q.Sim !== undefined) {
      const s = bySidOrName<SimRow>(ctx, "ss_sims", "HS", q.Sim);
      conds.push("sim_sid = ?");
      args.push(s?.sid ?? "");
      filters.push(["Sim", q.Sim]);
    }
    if (q.SimIccid !== undefined) { conds.push("sim_iccid = ?"); args.push(q.SimIccid); filters.push(["SimIccid", q.SimIccid]); }
    if (q.Status !== undefined) { conds.push("status = ?"); args.push(q.Status); filters.push(["Status", q.Status]); }
    if (q.Direction !== undefined) { conds.push("direction = ?"); args.push(q.Direction); filters.push(["Direction", q.Direction]); }
    const page = fetchPage<IpRow & Record<string, unknown>>(db, { table: "ss_ip_commands", where: conds.join(" AND ") || "1", args }, pr);
    const base = v1(ctx, req);
    return v1Envelope({ key: "ip_commands", url: `${base}/IpCommands`, filters, pr, page, items: page.rows.map((r) => ipJson(ctx, r, base)) });
  });

  app.get("/supersim/v1/IpCommands/:sid", async (req) => {
    const sid = (req.params as { sid: string }).sid;
    const r = isSid(sid, "HG") ? (getRow.get(sid) as IpRow | undefined) : undefined;
    if (!r) throw notFound(`/IpCommands/${sid}`);
    return ipJson(ctx, r, v1(ctx, req));
  });

  // Device → cloud: a datagram at the SIM's `mo` address.
  ctx.network.onMoIp("supersim", (netSim, m) => {
    const sim = db.prepare("SELECT * FROM ss_sims WHERE sid = ?").get(netSim.sid) as SimRow | undefined;
    if (!sim) return;
    const now = ctx.now().getTime();
    const sid = ctx.sid("HG");
    const payload = m.payload.toString("base64");
    insert.run(sid, sim.sid, sim.iccid, "received", "from_sim", m.deviceIp, m.devicePort, "binary", payload, null, "POST", now, now);
    countCommand(ctx, sim.sid);
    const r = getRow.get(sid) as IpRow;
    ctx.events.emit("ip_command.received", { sim_sid: sim.sid, command_sid: sid, device_port: m.devicePort, bytes: m.payload.length });
    const fleet = fleetOf(ctx, sim);
    if (fleet?.ip_commands_url) {
      ctx.callbacks.send({ url: fleet.ip_commands_url, method: fleet.ip_commands_method as "GET" | "POST", kind: "fleet.ip_commands", resourceSid: sid, simSid: sim.sid, params: webhookParams(r, sim) });
    }
  });
}
