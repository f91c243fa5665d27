/**
 * What Programmable Wireless does on the mock network (docs/mock-network.md "SMS") and towards its callbacks:
 *
 * - SIMs: the network's view of each (`register`); a suspended, deactivated or canceled SIM cannot attach.
 * - MT: a `to_sim` Command becomes an SMS-DELIVER from originator "2936" (IncludeSid start/end applied to
 *   the text, concatenated SMS when SID + space + body need more than one; binary mode sends the decoded
 *   bytes as 8-bit data) queued at the SIM's SMSC.
 *   With DeliveryReceiptRequested (default true): queued → `sent` when the first TPDU leaves → `delivered`
 *   when the modem's DELIVER-REPORT for the last part arrives | `failed` (no DELIVER-REPORT after 1 + 3
 *   sends, an RP-ERROR, or expiry). Without it, `sent` is the end: nobody asked for the receipt whose
 *   absence would make it `failed`; only an SMS that expires before it was ever sent still fails.
 *   Status never goes backwards.
 * - The status callback (CallbackUrl/CallbackMethod, signed by ctx.callbacks) fires once, when sending is
 *   over: on `delivered` or `failed`, or on `sent` when no receipt was requested. Form parameters on POST,
 *   the query string on GET: CommandSid, CommandStatus, SimSid, SimUniqueName, ErrorCode and ErrorMessage
 *   (failed only), ApiVersion=v1, AccountSid, CommandMode.
 * - MO: an SMS-SUBMIT to "2936" (reassembled when concatenated) becomes a `from_sim` Command with status
 *   `received`, POSTed (or GET) to the SIM's commands_callback_url with CommandSid, SimSid, SimUniqueName,
 *   Command, Status=received, ApiVersion=v1, AccountSid, CommandMode. Text longer than 160 characters is
 *   truncated (Twilio's warning 33111, emitted as an event). 8-bit MO data becomes a binary Command (base64).
 *
 * Failure codes (mock choices; Twilio documents none for Wireless SMS delivery): 30003 "Unreachable
 * destination handset" when no DELIVER-REPORT came or the SMS expired, 30008 "Unknown error" when the modem
 * answered RP-ERROR. A callback that does not answer 2xx is recorded (GET /_mock/callbacks) with 11200.
 */
import type { CloudContext } from "../../context.js";
import type { MoSms, NetSim } from "../../mock-network/index.js";
import { commandProgress, createCommandRow, setCommandStatus, simBySid, type CommandRow, type CommandStatus, type SimRow, type SimStatus } from "./store.js";

export const WIRELESS_ORIGINATOR = "2936";

/** Keeps the network's view of the SIM current; a suspended/deactivated/canceled SIM cannot attach. */
export function register(ctx: CloudContext, sim: Pick<SimRow, "sid" | "unique_name" | "status">): void {
  const blocked = sim.status === "suspended" || sim.status === "deactivated" || sim.status === "canceled";
  ctx.network.upsertSim({ sid: sim.sid, uniqueName: sim.unique_name, kind: "wireless", blocked });
}

/** After a Command was counted: a SIM whose status changed (`ready` → `active` at its 5th Command) is an event. */
export function commandCounted(ctx: CloudContext, sim: Pick<SimRow, "sid" | "status">, after: SimStatus): void {
  if (after !== sim.status) ctx.events.emit("wireless_sim.status", { sim_sid: sim.sid, from: sim.status, status: after, reason: "fifth command" });
}
const ORDER: Record<CommandStatus, number> = { queued: 0, received: 0, sent: 1, delivered: 2, failed: 3 };

function statusCallback(ctx: CloudContext, row: CommandRow): void {
  if (row.callback_url === null) return;
  const sim = simBySid(ctx, row.sim_sid);
  const url = row.callback_url;
  const method = row.callback_method === "GET" ? "GET" : "POST";
  const params = {
    CommandSid: row.sid,
    CommandStatus: row.status,
    SimSid: row.sim_sid,
    SimUniqueName: sim?.unique_name ?? null,
    ErrorCode: row.error_code,
    ErrorMessage: row.error_message,
    ApiVersion: "v1",
    AccountSid: row.account_sid,
    CommandMode: row.command_mode,
  };
  ctx.callbacks.send({ url, method, params, kind: "wireless_command.status", resourceSid: row.sid, simSid: row.sim_sid, errorCode: 11200 });
}

/** The statuses after which nothing more happens to a Command (`sent` too when no receipt was requested). */
export function isFinal(status: CommandStatus, receiptRequested: boolean): boolean {
  return status === "delivered" || status === "failed" || status === "received" || (status === "sent" && !receiptRequested);
}

function move(ctx: CloudContext, sid: string, to: CommandStatus, error: { code: number; message: string } | null = null): void {
  const cur = commandProgress(ctx, sid);
  if (!cur || isFinal(cur.status, cur.delivery_receipt_requested === 1) || ORDER[to] <= ORDER[cur.status]) return;
  const row = setCommandStatus(ctx, sid, to, error);
  if (!row) return;
  ctx.events.emit(`wireless_command.${to}`, { sim_sid: row.sim_sid, command_sid: sid, error_code: row.error_code, error_message: row.error_message });
  if (isFinal(row.status, row.delivery_receipt_requested === 1)) statusCallback(ctx, row);
}

/** The text the device receives: the Command with its SID at the start or end when asked. */
export function bodyWithSid(text: string, sid: string, includeSid: "none" | "start" | "end"): string {
  return includeSid === "start" ? `${sid} ${text}` : includeSid === "end" ? `${text} ${sid}` : text;
}

/** Hands a freshly created `to_sim` Command to the SMSC; status changes follow asynchronously. */
export function deliverCommand(ctx: CloudContext, row: CommandRow, includeSid: "none" | "start" | "end"): void {
  const content =
    row.command_mode === "binary"
      ? { dataHex: Buffer.from(row.command ?? "", "base64").toString("hex") }
      : { text: bodyWithSid(row.command ?? "", row.sid, includeSid) };
  ctx.network.sendSms(
    row.sim_sid,
    { originator: WIRELESS_ORIGINATOR, ...content, receipt: row.delivery_receipt_requested === 1, ref: row.sid },
    {
      onSent: () => move(ctx, row.sid, "sent"),
      onDelivered: () => move(ctx, row.sid, "delivered"),
      onFailed: (reason: string) =>
        move(
          ctx,
          row.sid,
          "failed",
          reason === "rejected"
            ? { code: 30008, message: "Unknown error: the device rejected the SMS" }
            : { code: 30003, message: `Unreachable destination handset (${reason})` },
        ),
    },
  );
}

/** MO SMS to 2936 → a `from_sim` Command and the SIM's commands callback. */
export function onMoCommand(ctx: CloudContext, net: NetSim, m: MoSms): void {
  const sim = simBySid(ctx, net.sid);
  if (!sim) {
    ctx.events.emit("wireless_command.ignored", { sim_sid: net.sid, reason: "not a Programmable Wireless SIM" });
    return;
  }
  let command: string;
  let mode: "text" | "binary";
  if (m.text !== undefined) {
    mode = "text";
    const chars = [...m.text];
    if (chars.length > 160) ctx.events.emit("wireless_command.truncated", { sim_sid: sim.sid, warning: 33111, length: chars.length });
    command = chars.slice(0, 160).join("");
  } else {
    mode = "binary";
    command = Buffer.from(m.dataHex ?? "", "hex").toString("base64");
  }
  const { row, simStatus } = createCommandRow(ctx, sim, {
    command,
    command_mode: mode,
    delivery_receipt_requested: 0,
    status: "received",
    direction: "from_sim",
    callback_url: null,
    callback_method: "POST",
  });
  commandCounted(ctx, sim, simStatus);
  ctx.events.emit("wireless_command.received", { sim_sid: sim.sid, command_sid: row.sid });
  if (sim.commands_callback_url === null) return;
  ctx.callbacks.send({
    url: sim.commands_callback_url,
    method: sim.commands_callback_method === "GET" ? "GET" : "POST",
    kind: "wireless_sim.commands",
    resourceSid: row.sid,
    simSid: sim.sid,
    errorCode: 11200,
    params: {
      CommandSid: row.sid,
      SimSid: sim.sid,
      SimUniqueName: sim.unique_name,
      Command: command,
      Status: "received",
      ApiVersion: "v1",
      AccountSid: sim.account_sid,
      CommandMode: mode,
    },
  });
}
