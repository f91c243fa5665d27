/**
 * What Super SIM does on the mock network (ctx.network) and towards the Fleet's webhooks:
 * - the SIMs it knows (`announceSim`: unique name for the admin routes; `inactive` = blocked);
 * - MT IP Commands: a real UDP datagram to the device (`sendIpCommand`): queued → sent (device_ip filled) |
 *   failed (83401 not attached), each change an event and a status callback;
 * - MT SMS Commands: an SMS-DELIVER from "000" (`sendSmsCommand`): queued → sent → delivered (its
 *   DELIVER-REPORT) | failed (no report after the resends, rejected, expired: 83400);
 * - MO: datagrams to the SIM's `mo` address and SMS-SUBMITs to "000" become `from_sim` records with status
 *   `received` and the Fleet's ip_commands_url / sms_commands_url webhook (IP payload base64, type binary).
 */
import type { CallbackRequest } from "../../callbacks.js";
import type { CloudContext } from "../../context.js";
import { createIpCommand, createSmsCommand, fleetOf, setIpCommandStatus, setSmsCommandStatus, simBySid, type IpRow, type SimRow, type SmsRow } from "./store.js";

/** The originator of Super SIM SMS Commands, and the number a device sends its SMS Commands to. */
export const SMS_COMMANDS_NUMBER = "000";

type Failure = { code: number; message: string };

/** Tells the network about the SIM (unique name for admin routes; inactive = blocked). */
export function announceSim(ctx: CloudContext, r: SimRow): void {
  ctx.network.upsertSim({ sid: r.sid, uniqueName: r.unique_name, kind: "supersim", blocked: r.status === "inactive" });
}

/** After a Command was counted: a `ready` SIM that became `active` (its 5th Command) is an event. */
export function commandCounted(ctx: CloudContext, sim: Pick<SimRow, "sid" | "status">, after: string): void {
  if (after === "active" && sim.status === "ready") ctx.events.emit("sim.status", { sim_sid: sim.sid, status: "active", reason: "5th command" });
}

function ipWebhookParams(ctx: CloudContext, r: IpRow, sim: SimRow | null, error?: Failure): CallbackRequest["params"] {
  return {
    AccountSid: ctx.accountSid, ApiVersion: "v1", CommandSid: r.sid, IpCommandSid: r.sid, SimSid: r.sim_sid,
    SimUniqueName: sim?.unique_name ?? null, SimIccid: r.sim_iccid, PayloadType: r.payload_type, Payload: r.payload,
    Direction: r.direction, Status: r.status, DeviceIp: r.device_ip, DevicePort: r.device_port,
    ErrorCode: error?.code, ErrorMessage: error?.message,
  };
}

function smsWebhookParams(ctx: CloudContext, r: SmsRow, sim: SimRow | null, error?: Failure): CallbackRequest["params"] {
  return {
    AccountSid: ctx.accountSid, ApiVersion: "v1", CommandSid: r.sid, SimSid: r.sim_sid, SimUniqueName: sim?.unique_name ?? null,
    SimIccid: sim?.iccid ?? null, Command: r.payload, Payload: r.payload, PayloadType: "text", Direction: r.direction, Status: r.status,
    ErrorCode: error?.code, ErrorMessage: error?.message,
  };
}

/**
 * Sends a freshly created `to_sim` IP Command. `r` is the command's row in memory (no re-read): it is updated
 * with each new status before the event and the callback about it, so whoever sees them reads the new status.
 */
export function sendIpCommand(ctx: CloudContext, r: IpRow, bytes: Buffer): void {
  const transition = (status: string, deviceIp: string | null, error?: Failure): void => {
    if (!ctx.db.open) return; // the cloud closed meanwhile
    const now = ctx.now().getTime();
    const ip = deviceIp ?? r.device_ip;
    if (!setIpCommandStatus(ctx, r.sid, status, ip, now)) return; // purged meanwhile
    r.status = status;
    r.device_ip = ip;
    r.updated_ms = now;
    ctx.events.emit(`ip_command.${status}`, { sim_sid: r.sim_sid, command_sid: r.sid, device_ip: r.device_ip, error_code: error?.code ?? null, error_message: error?.message ?? null });
    if (r.callback_url)
      ctx.callbacks.send({ url: r.callback_url, method: r.callback_method as "GET" | "POST", kind: "ip_command.status", resourceSid: r.sid, simSid: r.sim_sid, params: ipWebhookParams(ctx, r, simBySid(ctx, r.sim_sid) ?? null, error) });
  };
  ctx.network.sendIp(r.sim_sid, r.device_port, bytes, {
    onSent: (ip) => transition("sent", ip),
    onFailed: (code, message) => transition("failed", null, { code, message }),
  }, r.sid);
}

/** Sends a freshly created `to_sim` SMS Command through the SIM's SMSC. */
export function sendSmsCommand(ctx: CloudContext, r: SmsRow): void {
  const transition = (status: string, error?: Failure): void => {
    if (!ctx.db.open) return; // the cloud closed meanwhile
    const row = setSmsCommandStatus(ctx, r.sid, status);
    if (!row) return;
    ctx.events.emit(`sms_command.${status}`, { sim_sid: row.sim_sid, command_sid: row.sid, error_code: error?.code ?? null, error_message: error?.message ?? null });
    if (row.callback_url)
      ctx.callbacks.send({ url: row.callback_url, method: row.callback_method as "GET" | "POST", kind: "sms_command.status", resourceSid: row.sid, simSid: row.sim_sid, params: smsWebhookParams(ctx, row, simBySid(ctx, row.sim_sid) ?? null, error) });
  };
  ctx.network.sendSms(r.sim_sid, { originator: SMS_COMMANDS_NUMBER, text: r.payload ?? "", receipt: true, ref: r.sid }, {
    onSent: () => transition("sent"),
    onDelivered: () => transition("delivered"),
    onFailed: (_reason, message) => transition("failed", { code: 83400, message }),
  });
}

/** Device → cloud: datagrams at a SIM's `mo` address and SMS-SUBMITs to "000". */
export function registerSuperSimNetwork(ctx: CloudContext): void {
  ctx.network.onMoIp("supersim", (netSim, m) => {
    const sim = simBySid(ctx, netSim.sid);
    if (!sim) return;
    const now = ctx.now().getTime();
    const sid = ctx.sid("HG");
    const r: IpRow = {
      seq: 0, sid, sim_sid: sim.sid, sim_iccid: sim.iccid, status: "received", direction: "from_sim", device_ip: m.deviceIp, device_port: m.devicePort,
      payload_type: "binary", payload: m.payload.toString("base64"), callback_url: null, callback_method: "POST", created_ms: now, updated_ms: now,
    };
    commandCounted(ctx, sim, createIpCommand(ctx, r, sim));
    ctx.events.emit("ip_command.received", { sim_sid: sim.sid, command_sid: sid, device_port: m.devicePort, bytes: m.payload.length });
    const fleet = fleetOf(ctx, sim);
    if (fleet?.ip_commands_url)
      ctx.callbacks.send({ url: fleet.ip_commands_url, method: fleet.ip_commands_method as "GET" | "POST", kind: "fleet.ip_commands", resourceSid: sid, simSid: sim.sid, params: ipWebhookParams(ctx, r, sim) });
  });

  ctx.network.onMoSms(SMS_COMMANDS_NUMBER, (netSim, m) => {
    const sim = simBySid(ctx, netSim.sid);
    if (!sim || netSim.kind !== "supersim") return;
    const now = ctx.now().getTime();
    const r: SmsRow = {
      seq: 0, sid: ctx.sid("HC"), sim_sid: sim.sid, payload: m.text ?? Buffer.from(m.dataHex ?? "", "hex").toString("base64"), status: "received",
      direction: "from_sim", callback_url: null, callback_method: "POST", created_ms: now, updated_ms: now,
    };
    commandCounted(ctx, sim, createSmsCommand(ctx, r, sim));
    ctx.events.emit("sms_command.received", { sim_sid: sim.sid, command_sid: r.sid });
    const fleet = fleetOf(ctx, sim);
    if (fleet?.sms_commands_url)
      ctx.callbacks.send({ url: fleet.sms_commands_url, method: fleet.sms_commands_method as "GET" | "POST", kind: "fleet.sms_commands", resourceSid: r.sid, simSid: sim.sid, params: smsWebhookParams(ctx, r, sim) });
  });
}
