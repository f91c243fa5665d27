/**
 * The Super SIM v1 product: Fleets, Sims, IpCommands, SmsCommands under /supersim/v1 (and Host supersim.*).
 * routes.ts serves the API, store.ts keeps the rows, network.ts does what follows on the mock network.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { announceSim, registerSuperSimNetwork } from "./network.js";
import { registerSuperSimRoutes } from "./routes.js";
import { allSims, createTables } from "./store.js";

export function registerSuperSim(app: FastifyInstance, ctx: CloudContext): void {
  createTables(ctx);
  ctx.retain("ss_ip_commands");
  ctx.retain("ss_sms_commands");
  // SIMs kept in a data file are attachable again after a restart.
  for (const r of allSims(ctx)) announceSim(ctx, r);
  registerSuperSimRoutes(app, ctx);
  registerSuperSimNetwork(ctx);
}
