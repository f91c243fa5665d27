/**
 * Super SIM SmsCommands: POST /v1/SmsCommands (201), GET /v1/SmsCommands (200; Sim/Status/Direction, paging),
 * GET /v1/SmsCommands/{Sid} (200).
 * to_sim: Payload ≤ one SMS (160 GSM 7-bit septets or 70 UCS2 characters; 400/20001 otherwise), sent as an
 * SMS-DELIVER from "000"; queued → sent (the TPDU left for the modem) → delivered (its DELIVER-REPORT) |
 * failed (no report after the resends, rejected, expired: 83400).
 * Synchronous 4xx, nothing written — the IP Commands rules applied to SMS: an unknown Sim 404/20404; a SIM
 * neither `active` nor `ready` 400/20001; a SIM whose Fleet has SMS Commands disabled 400/20001 (no code
 * is documented for either: 20001 is the mock's choice).
 * from_sim: SMS-SUBMITs to "000" become `received` records and the Fleet's sms_commands_url webhook.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { badParam, notFound, TwilioError } from "../../errors.js";
import { readParams } from "../../form.js";
import { smsFits } from "../../network/index.js";
import { fetchPage, ListFilter, readPaging, v1Envelope, PAGING_PARAMS } from "../../paging.js";
import { isSid } from "../../sids.js";
import { bySidOrName, countCommand, fleetOf, iso, simParam, v1, type SimRow } from "./common.js";

interface SmsRow {
  seq: number;
  sid: string;
  sim_sid: string;
  payload: string | null;
  status: string;
  direction: string;
  callback_url: string | null;
  callback_method: string;
  created_ms: number;
  updated_ms: number;
}

export function smsJson(ctx: CloudContext, r: SmsRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: ctx.accountSid,
    sim_sid: r.sim_sid,
    payload: r.payload,
    status: r.status,
    direction: r.direction,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/SmsCommands/${r.sid}`,
  };
}

export function registerSmsCommands(app: FastifyInstance, ctx: CloudContext): void {
  const db = ctx.db;
  const insert = db.prepare(`INSERT INTO ss_sms_commands (sid, sim_sid, payload, status, direction, callback_url, callback_method,
    created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?)`);
  const getRow = db.prepare("SELECT * FROM ss_sms_commands WHERE sid = ?");
  const simRow = (sid: string) => (db.prepare("SELECT * FROM ss_sims WHERE sid = ?").get(sid) as SimRow | undefined) ?? null;

  const params = (r: SmsRow, sim: SimRow | null, error?: { code: number; message: string }) => ({
    AccountSid: ctx.accountSid, ApiVersion: "v1", CommandSid: r.sid, SimSid: r.sim_sid, SimUniqueName: sim?.unique_name ?? null,
    SimIccid: sim?.iccid ?? null, Command: r.payload, Payload: r.payload, PayloadType: "text", Direction: r.direction, Status: r.status,
    ErrorCode: error?.code, ErrorMessage: error?.message,
  });

  const transition = (sid: string, status: string, error?: { code: number; message: string }): void => {
    if (!db.open) return; // the cloud closed meanwhile
    const cur = getRow.get(sid) as SmsRow | undefined;
    if (!cur || cur.status === "delivered" || cur.status === "failed") return;
    db.prepare("UPDATE ss_sms_commands SET status = ?, updated_ms = ? WHERE sid = ?").run(status, ctx.now().getTime(), sid);
    const r = getRow.get(sid) as SmsRow;
    ctx.events.emit(`sms_command.${status}`, { sim_sid: r.sim_sid, command_sid: sid, error_code: error?.code ?? null, error_message: error?.message ?? null });
    if (r.callback_url)
      ctx.callbacks.send({ url: r.callback_url, method: r.callback_method as "GET" | "POST", kind: "sms_command.status", resourceSid: sid, simSid: r.sim_sid, params: params(r, simRow(r.sim_sid), error) });
  };

  /** Inserts the record and counts the Command in one transaction; returns the SIM's status after. */
  const create = db.transaction((sid: string, sim: SimRow, payload: string, url: string | null, method: string, now: number, status = "queued", direction = "to_sim"): string => {
    insert.run(sid, sim.sid, payload, status, direction, url, method, now, now);
    return countCommand(ctx, sim);
  });

  app.post("/supersim/v1/SmsCommands", async (req, reply) => {
    const p = readParams(req.body, {
      Sim: { type: "string", required: true },
      Payload: { type: "string", required: true },
      CallbackMethod: { type: "enum", values: ["GET", "POST"] },
      CallbackUrl: { type: "uri" },
    });
    if (!smsFits(p.Payload)) throw badParam("Payload is longer than one SMS: at most 160 GSM 7-bit characters or 70 UCS2 characters");
    const sim = simParam(ctx, p.Sim);
    if (sim.status !== "ready" && sim.status !== "active")
      throw new TwilioError(400, 20001, `Invalid SIM State: the Super SIM ${sim.sid} is neither active nor ready (status ${sim.status})`);
    if (fleetOf(ctx, sim)?.sms_commands_enabled === 0)
      throw new TwilioError(400, 20001, `SMS Commands are disabled on the Fleet of the Super SIM ${sim.sid}`);
    const now = ctx.now().getTime();
    const sid = ctx.sid("HC");
    create(sid, sim, p.Payload, p.CallbackUrl ?? null, p.CallbackMethod ?? "POST", now);
    const r = getRow.get(sid) as SmsRow;
    ctx.events.emit("sms_command.queued", { sim_sid: sim.sid, command_sid: sid });
    ctx.network.sendSms(sim.sid, { originator: "000", text: p.Payload, receipt: true, ref: sid }, {
      onSent: () => transition(sid, "sent"),
      onDelivered: () => transition(sid, "delivered"),
      onFailed: (_reason, message) => transition(sid, "failed", { code: 83400, message }),
    });
    return reply.code(201).send(smsJson(ctx, r, v1(ctx, req)));
  });

  app.get("/supersim/v1/SmsCommands", async (req) => {
    const q = readParams(req.query, {
      Sim: { type: "string" },
      Status: { type: "enum", values: ["queued", "sent", "delivered", "received", "failed"] },
      Direction: { type: "enum", values: ["to_sim", "from_sim"] },
    }, { where: "query", ignore: PAGING_PARAMS });
    const pr = readPaging(req.query);
    const f = new ListFilter()
      .eq("Sim", q.Sim, "sim_sid", (v) => bySidOrName<SimRow>(ctx, "ss_sims", "HS", v)?.sid ?? "")
      .eq("Status", q.Status, "status")
      .eq("Direction", q.Direction, "direction");
    const page = fetchPage<SmsRow & Record<string, unknown>>(db, { table: "ss_sms_commands", where: f.where, args: f.args }, pr);
    const base = v1(ctx, req);
    return v1Envelope({ key: "sms_commands", url: `${base}/SmsCommands`, filters: f.params, pr, page, items: page.rows.map((r) => smsJson(ctx, r, base)) });
  });

  app.get("/supersim/v1/SmsCommands/:sid", async (req) => {
    const sid = (req.params as { sid: string }).sid;
    const r = isSid(sid, "HC") ? (getRow.get(sid) as SmsRow | undefined) : undefined;
    if (!r) throw notFound(`/SmsCommands/${sid}`);
    return smsJson(ctx, r, v1(ctx, req));
  });

  // Device → cloud: SMS-SUBMIT to 000.
  ctx.network.onMoSms("000", (netSim, m) => {
    const sim = simRow(netSim.sid);
    if (!sim || netSim.kind !== "supersim") return;
    const now = ctx.now().getTime();
    const sid = ctx.sid("HC");
    const payload = m.text ?? Buffer.from(m.dataHex ?? "", "hex").toString("base64");
    create(sid, sim, payload, null, "POST", now, "received", "from_sim");
    const r = getRow.get(sid) as SmsRow;
    ctx.events.emit("sms_command.received", { sim_sid: sim.sid, command_sid: sid });
    const fleet = fleetOf(ctx, sim);
    if (fleet?.sms_commands_url)
      ctx.callbacks.send({ url: fleet.sms_commands_url, method: fleet.sms_commands_method as "GET" | "POST", kind: "fleet.sms_commands", resourceSid: sid, simSid: sim.sid, params: params(r, sim) });
  });
}
