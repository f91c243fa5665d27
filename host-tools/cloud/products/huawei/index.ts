/**
 * The Huawei-style NB-IoT product (`/huawei/…`): OceanConnect-like device commands (commands.ts), delivery
 * to devices on the mock network and status notifications (delivery.ts), and the mock-only admin routes
 * `POST /_mock/huawei/devices` and `POST /_mock/huawei/config` (Twilio-shaped errors, like every /_mock/ route).
 * The /huawei routes answer errors in Huawei's shape `{error_code, error_desc}` (their own error handler).
 */
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam } from "../../errors.js";
import type { SimKind } from "../../network/index.js";
import { HuaweiAuth, registerHuaweiCommands } from "./commands.js";
import { HuaweiEngine } from "./delivery.js";
import { HUAWEI_SCHEMA, HuaweiError, deviceRow, type DeviceRow } from "./store.js";

/** The network's SIM kind for Huawei devices (network/index.ts types only the Twilio kinds). */
export const HUAWEI_KIND: SimKind = "huawei";

function toHuawei(err: FastifyError | Error): HuaweiError {
  if (err instanceof HuaweiError) return err;
  if (err instanceof TwilioError) {
    if (err.status === 413) return new HuaweiError(413, "100413", "The request body is too large");
    if (err.status === 401) return new HuaweiError(401, "100217", err.message);
    if (err.status >= 400 && err.status < 500) return new HuaweiError(err.status, "100022", `The input is invalid: ${err.message}`);
  }
  const code = (err as FastifyError).code;
  const status = (err as FastifyError).statusCode;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return new HuaweiError(413, "100413", "The request body is too large");
  if (typeof status === "number" && status >= 400 && status < 500) return new HuaweiError(status, "100022", `The input is invalid: ${err.message}`);
  return new HuaweiError(500, "100001", "Internal server error");
}

export function registerHuawei(app: FastifyInstance, ctx: CloudContext): void {
  ctx.db.exec(HUAWEI_SCHEMA);
  ctx.retain("huawei_commands");
  const engine = new HuaweiEngine(ctx);
  const auth = new HuaweiAuth(ctx);
  for (const d of ctx.db.prepare("SELECT device_id, node_id FROM huawei_devices").all() as Pick<DeviceRow, "device_id" | "node_id">[])
    ctx.network.upsertSim({ sid: d.device_id, uniqueName: d.node_id, kind: HUAWEI_KIND });
  ctx.network.onMoIp(HUAWEI_KIND, (sim, m) => engine.onMo(sim, m));
  app.addHook("onClose", async () => engine.close());

  void app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError | Error, req, reply) => {
      const e = toHuawei(err);
      if (e.status >= 500) req.log.error({ err }, "huawei route error");
      void reply.code(e.status).send(e.toJSON());
    });
    registerHuaweiCommands(scope, ctx, auth, engine);
  });

  app.post("/_mock/huawei/devices", async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b)) throw badParam("The body must be a JSON object");
    const unknown = Object.keys(b).filter((k) => !["device_id", "node_id", "name"].includes(k));
    if (unknown.length > 0) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
    for (const k of ["device_id", "node_id", "name"])
      if (b[k] !== undefined && (typeof b[k] !== "string" || (b[k] as string).length === 0 || (b[k] as string).length > 64))
        throw badParam(`${k} must be a string of 1 to 64 characters`);
    const deviceId = (b.device_id as string | undefined) ?? randomUUID();
    const nodeId = (b.node_id as string | undefined) ?? `86${String(Date.now()).slice(-10)}${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`;
    if (deviceRow(ctx, deviceId) || ctx.network.resolve(deviceId)) throw new TwilioError(409, 20409, `Device ${deviceId} exists`);
    if (ctx.db.prepare("SELECT 1 FROM huawei_devices WHERE node_id = ?").get(nodeId) || ctx.network.resolve(nodeId))
      throw new TwilioError(409, 20409, `A device with nodeId ${nodeId} exists`);
    ctx.db.prepare("INSERT INTO huawei_devices (device_id, node_id, name, created_ms) VALUES (?,?,?,?)").run(deviceId, nodeId, (b.name as string | undefined) ?? null, ctx.now().getTime());
    ctx.network.upsertSim({ sid: deviceId, uniqueName: nodeId, kind: HUAWEI_KIND });
    ctx.events.emit("huawei_device.created", { sim_sid: deviceId, node_id: nodeId });
    return reply.code(201).send({ deviceId, nodeId, name: (b.name as string | undefined) ?? null, commandPort: engine.timing.devicePort });
  });

  app.post("/_mock/huawei/config", async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b)) throw badParam("The body must be a JSON object");
    const t = engine.timing;
    const num = (k: string, lo: number, hi: number): number | undefined => {
      const v = b[k];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw badParam(`${k} must be an integer from ${lo} to ${hi}`);
      return v;
    };
    const unknown = Object.keys(b).filter((k) => !["ack_timeout_ms", "device_port", "long_result_codes", "notify_timeout_ms"].includes(k));
    if (unknown.length > 0) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
    if (b.long_result_codes !== undefined && typeof b.long_result_codes !== "boolean") throw badParam("long_result_codes must be true or false");
    const ack = num("ack_timeout_ms", 10, 600000);
    const port = num("device_port", 1, 65535);
    const nt = num("notify_timeout_ms", 10, 60000);
    if (ack !== undefined) t.ackTimeoutMs = ack;
    if (port !== undefined) t.devicePort = port;
    if (nt !== undefined) t.notifyTimeoutMs = nt;
    if (b.long_result_codes !== undefined) t.longResultCodes = b.long_result_codes as boolean;
    return { ack_timeout_ms: t.ackTimeoutMs, device_port: t.devicePort, long_result_codes: t.longResultCodes, notify_timeout_ms: t.notifyTimeoutMs };
  });
}
