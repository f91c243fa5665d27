/**
 * The Huawei-style NB-IoT product (`/huawei/…`): OceanConnect-like device commands and the mock-only admin
 * routes `POST /_mock/huawei/devices` and `POST /_mock/huawei/config`. routes.ts serves the API, store.ts
 * keeps the rows, network.ts delivers the commands to devices on the mock network and notifies.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { HUAWEI_KIND, HuaweiEngine } from "./network.js";
import { registerHuaweiRoutes } from "./routes.js";
import { allDevices, createTables } from "./store.js";

export function registerHuawei(app: FastifyInstance, ctx: CloudContext): void {
  createTables(ctx);
  ctx.retain("huawei_commands");
  const engine = new HuaweiEngine(ctx);
  // devices kept in a data file are attachable again after a restart
  for (const d of allDevices(ctx)) ctx.network.upsertSim({ sid: d.device_id, uniqueName: d.node_id, kind: HUAWEI_KIND });
  ctx.network.onMoIp(HUAWEI_KIND, (sim, m) => engine.onMo(sim, m));
  app.addHook("onClose", async () => engine.close());
  registerHuaweiRoutes(app, ctx, engine);
}
