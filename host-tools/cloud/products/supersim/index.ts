/** The Super SIM v1 product: Fleets, Sims, IpCommands, SmsCommands under /supersim/v1 (and Host supersim.*). */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { SCHEMA } from "./common.js";
import { registerFleets } from "./fleets.js";
import { registerIpCommands } from "./ip-commands.js";
import { registerSims } from "./sims.js";
import { registerSmsCommands } from "./sms-commands.js";

export function registerSuperSim(app: FastifyInstance, ctx: CloudContext): void {
  ctx.db.exec(SCHEMA);
  ctx.retain("ss_ip_commands");
  ctx.retain("ss_sms_commands");
  registerFleets(app, ctx);
  registerSims(app, ctx);
  registerIpCommands(app, ctx);
  registerSmsCommands(app, ctx);
}
