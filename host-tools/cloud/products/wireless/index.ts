/**
 * Programmable Wireless v1 (`/wireless/v1/…`, or Host wireless.twilio.com): Sims, Commands, the mock-only
 * `POST /_mock/wireless/sims`, and MO SMS to 2936. See sims.ts, commands.ts and delivery.ts.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { registerWirelessCommands } from "./commands.js";
import { WIRELESS_ORIGINATOR, onMoCommand } from "./delivery.js";
import { register, registerWirelessSims } from "./sims.js";
import { WIRELESS_SCHEMA, type SimRow } from "./store.js";

export function registerWireless(app: FastifyInstance, ctx: CloudContext): void {
  ctx.db.exec(WIRELESS_SCHEMA);
  // SIMs kept in a data file are attachable again after a restart.
  for (const s of ctx.db.prepare("SELECT sid, unique_name, status FROM wireless_sims").all() as Pick<SimRow, "sid" | "unique_name" | "status">[])
    register(ctx, s);
  registerWirelessSims(app, ctx);
  registerWirelessCommands(app, ctx);
  ctx.network.onMoSms(WIRELESS_ORIGINATOR, (sim, m) => onMoCommand(ctx, sim, m));
}
