/**
 * Programmable Wireless v1 (`/wireless/v1/…`, or Host wireless.twilio.com): Sims, Commands, the mock-only
 * `POST /_mock/wireless/sims`, and MO SMS to 2936. routes.ts serves the API, store.ts keeps the rows,
 * network.ts does what follows on the mock network.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { WIRELESS_ORIGINATOR, onMoCommand, register } from "./network.js";
import { registerWirelessRoutes } from "./routes.js";
import { allSims, createTables } from "./store.js";

export function registerWireless(app: FastifyInstance, ctx: CloudContext): void {
  createTables(ctx);
  ctx.retain("wireless_commands");
  // SIMs kept in a data file are attachable again after a restart.
  for (const s of allSims(ctx)) register(ctx, s);
  registerWirelessRoutes(app, ctx);
  ctx.network.onMoSms(WIRELESS_ORIGINATOR, (sim, m) => onMoCommand(ctx, sim, m));
}
