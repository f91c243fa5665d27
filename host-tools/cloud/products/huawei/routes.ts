/**
 * The Huawei-style NB-IoT product over HTTP: device commands modelled on Huawei OceanConnect (IoT platform
 * v1.4.0 application API), and the mock-only admin routes. Routes (JSON; under `/huawei`):
 *
 *   POST /huawei/iocm/app/sec/v1.1.0/login                   form appId=<AccountSid>&secret=<AuthToken>
 *        → 200 {accessToken, tokenType: "bearer", refreshToken, expiresIn: 3600, scope: "default"}
 *   POST /huawei/iocm/app/cmd/v1.4.0/deviceCommands[?appId=]  create → 201 the command (status PENDING)
 *        body {deviceId, command: {serviceId, method, paras}, callbackUrl?, expireTime? (s, default 172800;
 *        0 = immediate), maxRetransmit? (0..3, default 3)}
 *   GET  /huawei/iocm/app/cmd/v1.4.0/deviceCommands?deviceId=&startTime=&endTime=&pageNo=&pageSize=
 *        → 200 {pagination: {pageNo, pageSize, totalSize}, data: [command…]} (newest first; times yyyyMMddTHHmmssZ)
 *   GET  /huawei/iocm/app/cmd/v1.4.0/deviceCommands/{commandId} → 200 the command (mock addition)
 *   POST /_mock/huawei/devices {device_id?, node_id?, name?} → 201 {deviceId, nodeId, name}: a device on the
 *        mock network (attach it with /_mock/sims/{deviceId|nodeId}/attach, port 5683 = its command port)
 *   POST /_mock/huawei/config {ack_timeout_ms?, device_port?, long_result_codes?, notify_timeout_ms?}
 *
 * Auth: `Authorization: Bearer <accessToken>` from the login (OceanConnect also sends `app_key`, accepted
 * and ignored), or Basic AccountSid:AuthToken like the rest of the mock. Errors are Huawei-shaped
 * `{error_code, error_desc}`: 100022 invalid input (400), 100418 unknown device (404), 100612 unknown
 * command (404), 100208 bad appId/secret (401), 100217 no or bad token (401), 100413 body too large (413).
 * A command's fields are checked before anything is stored. Delivery: network.ts; rows: store.ts.
 * The /huawei routes answer errors in Huawei's shape (their own error handler); the /_mock/ routes in Twilio's,
 * like every /_mock/ route.
 */
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { basicCredentials } from "../../auth.js";
import type { CloudContext } from "../../context.js";
import { TwilioError, badParam } from "../../errors.js";
import { jsonObject, parseForm, scalar, type RawParams } from "../../form.js";
import { HUAWEI_KIND, type HuaweiEngine } from "./network.js";
import { commandPage, commandRow, deviceRow, insertCommand, insertDevice, nodeTaken, type HuaweiCommandRow } from "./store.js";

/** A command's expireTime when the create gives none: 48 hours. */
export const DEFAULT_EXPIRE_S = 172800;

/** Huawei-shaped error: `{error_code, error_desc}` with an HTTP status. */
export class HuaweiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    desc: string,
  ) {
    super(desc);
    this.name = "HuaweiError";
  }
  toJSON(): Record<string, unknown> {
    return { error_code: this.errorCode, error_desc: this.message };
  }
}

export const invalid = (desc: string): HuaweiError => new HuaweiError(400, "100022", `The input is invalid: ${desc}`);

/** OceanConnect's time format: `20151212T121212Z`. */
export function huaweiTime(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

export function commandOut(r: HuaweiCommandRow): Record<string, unknown> {
  return {
    commandId: r.command_id,
    appId: r.app_id,
    deviceId: r.device_id,
    command: { serviceId: r.service_id, method: r.method, paras: JSON.parse(r.paras) as unknown },
    callbackUrl: r.callback_url,
    expireTime: r.expire_time,
    status: r.status,
    result: r.result_code === null ? null : { resultCode: r.result_code, resultDetail: r.result_detail === null ? null : (JSON.parse(r.result_detail) as unknown) },
    creationTime: huaweiTime(r.created_ms),
    executeTime: huaweiTime(r.execute_ms),
    platformIssuedTime: huaweiTime(r.platform_issued_ms),
    deliveredTime: huaweiTime(r.delivered_ms),
    issuedTimes: r.issued_times,
    maxRetransmit: r.max_retransmit,
  };
}

const TOKEN_TTL_S = 3600;
const BASE = "/huawei/iocm/app/cmd/v1.4.0/deviceCommands";

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class HuaweiAuth {
  private readonly tokens = new Map<string, number>();
  constructor(private readonly ctx: CloudContext) {}

  check(req: FastifyRequest): void {
    const h = req.headers.authorization ?? "";
    if (/^bearer /i.test(h)) {
      const exp = this.tokens.get(h.slice(7).trim());
      if (exp !== undefined && exp > this.ctx.now().getTime()) return;
      throw new HuaweiError(401, "100217", "The application hasn't been authorized: invalid or expired accessToken");
    }
    const c = basicCredentials(h);
    if (c && same(c[0], this.ctx.accountSid) && same(c[1], this.ctx.authToken)) return;
    throw new HuaweiError(401, "100217", "The application hasn't been authorized: send Authorization: Bearer <accessToken>");
  }

  login(body: unknown): Record<string, unknown> {
    const raw: RawParams = typeof body === "string" ? parseForm(body) : ((body ?? {}) as RawParams);
    // strings given once (a repeated one, or a JSON number, is a 400 through the scope's error handler)
    const appId = scalar(raw, "appId");
    const secret = scalar(raw, "secret");
    if (appId === undefined || secret === undefined) throw invalid("appId and secret are required");
    if (!same(appId, this.ctx.accountSid) || !same(secret, this.ctx.authToken)) throw new HuaweiError(401, "100208", "AppId or secret is not right.");
    const token = randomBytes(24).toString("hex");
    this.tokens.set(token, this.ctx.now().getTime() + TOKEN_TTL_S * 1000);
    return { accessToken: token, tokenType: "bearer", refreshToken: randomBytes(24).toString("hex"), expiresIn: TOKEN_TTL_S, scope: "default" };
  }
}

interface CreateBody {
  deviceId: string;
  serviceId: string;
  method: string;
  paras: Record<string, unknown>;
  callbackUrl: string | null;
  expireTime: number;
  maxRetransmit: number;
}

/** Validates a create body completely (throws 100022) before anything is written. */
export function parseCreate(body: unknown): CreateBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("the body must be a JSON object");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !["deviceId", "command", "callbackUrl", "expireTime", "maxRetransmit"].includes(k));
  if (unknown.length > 0) throw invalid(`unknown fields ${unknown.join(", ")}`);
  const str = (v: unknown, name: string, max: number): string => {
    if (typeof v !== "string" || v.length === 0 || v.length > max) throw invalid(`${name} must be a string of 1 to ${max} characters`);
    return v;
  };
  const deviceId = str(b.deviceId, "deviceId", 64);
  const c = b.command;
  if (typeof c !== "object" || c === null || Array.isArray(c)) throw invalid("command must be an object {serviceId, method, paras}");
  const cmd = c as Record<string, unknown>;
  const extra = Object.keys(cmd).filter((k) => !["serviceId", "method", "paras"].includes(k));
  if (extra.length > 0) throw invalid(`unknown fields command.${extra.join(", command.")}`);
  const serviceId = str(cmd.serviceId, "command.serviceId", 64);
  const method = str(cmd.method, "command.method", 128);
  if (typeof cmd.paras !== "object" || cmd.paras === null || Array.isArray(cmd.paras)) throw invalid("command.paras must be an object");
  let callbackUrl: string | null = null;
  if (b.callbackUrl !== undefined && b.callbackUrl !== null) {
    callbackUrl = str(b.callbackUrl, "callbackUrl", 1024);
    if (!/^https?:\/\/\S+$/.test(callbackUrl)) throw invalid("callbackUrl must be an http(s) URL");
  }
  const int = (v: unknown, name: string, lo: number, hi: number, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw invalid(`${name} must be an integer from ${lo} to ${hi}`);
    return v;
  };
  return {
    deviceId,
    serviceId,
    method,
    paras: cmd.paras as Record<string, unknown>,
    callbackUrl,
    expireTime: int(b.expireTime, "expireTime", 0, 2592000, DEFAULT_EXPIRE_S),
    maxRetransmit: int(b.maxRetransmit, "maxRetransmit", 0, 3, 3),
  };
}

function qInt(q: Record<string, unknown>, k: string, lo: number, hi: number, dflt: number): number {
  const v = q[k];
  if (v === undefined || v === "") return dflt;
  if (typeof v !== "string" || !/^\d{1,9}$/.test(v) || Number(v) < lo || Number(v) > hi) throw invalid(`${k} must be an integer from ${lo} to ${hi}`);
  return Number(v);
}

function qTime(q: Record<string, unknown>, k: string): number | null {
  const v = q[k];
  if (v === undefined || v === "") return null;
  const m = typeof v === "string" ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v) : null;
  if (!m) throw invalid(`${k} must be a time yyyyMMddTHHmmssZ`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls month 13 or second 99 over into the next unit: a real time reads back the same
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s)
    throw invalid(`${k} is not a real time: ${v}`);
  return t;
}

/** A query parameter given at most once, as a string (a repeated one would otherwise drop the filter). */
function qStr(q: Record<string, unknown>, k: string): string | undefined {
  const v = q[k];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw invalid(`${k} must be given once`);
  return v;
}

function registerCommands(app: FastifyInstance, ctx: CloudContext, auth: HuaweiAuth, engine: HuaweiEngine): void {
  const open = { config: { auth: false } };
  app.post("/huawei/iocm/app/sec/v1.1.0/login", open, async (req) => auth.login(req.body));
  // the token is checked before the body is read (onRequest), so an unauthenticated client gets no parsing
  const authed = {
    ...open,
    onRequest: (req: FastifyRequest, _reply: unknown, done: (err?: Error) => void) => {
      try {
        auth.check(req);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  };

  app.post(BASE, authed, async (req, reply) => {
    const c = parseCreate(req.body);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const appId = qStr(q, "appId") ?? ctx.accountSid;
    if (!deviceRow(ctx, c.deviceId)) throw new HuaweiError(404, "100418", `The deviceData is not existed: ${c.deviceId}`);
    const commandId = randomUUID().replace(/-/g, "");
    const now = ctx.now().getTime();
    insertCommand(ctx, {
      command_id: commandId, app_id: appId, device_id: c.deviceId, service_id: c.serviceId, method: c.method, paras: JSON.stringify(c.paras),
      callback_url: c.callbackUrl, expire_time: c.expireTime, max_retransmit: c.maxRetransmit, created_ms: now, expires_ms: now + c.expireTime * 1000,
    });
    const row = commandRow(ctx, commandId) as HuaweiCommandRow;
    ctx.events.emit("huawei_command.pending", { sim_sid: c.deviceId, command_id: commandId });
    engine.submit(row);
    return reply.code(201).send(commandOut(row));
  });

  app.get(BASE, authed, async (req) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const pageNo = qInt(q, "pageNo", 0, 1e6, 0);
    const pageSize = qInt(q, "pageSize", 1, 250, 25);
    const deviceId = qStr(q, "deviceId");
    const { total, rows } = commandPage(ctx, { ...(deviceId !== undefined ? { deviceId } : {}), start: qTime(q, "startTime"), end: qTime(q, "endTime") }, pageNo, pageSize);
    return { pagination: { pageNo, pageSize, totalSize: total }, data: rows.map(commandOut) };
  });

  app.get<{ Params: { id: string } }>(`${BASE}/:id`, authed, async (req) => {
    const row = commandRow(ctx, req.params.id);
    if (!row) throw new HuaweiError(404, "100612", `Device command is not existed: ${req.params.id}`);
    return commandOut(row);
  });
}

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

/** The /huawei routes (Huawei-shaped errors) and the mock's admin routes for them. */
export function registerHuaweiRoutes(app: FastifyInstance, ctx: CloudContext, engine: HuaweiEngine): void {
  const auth = new HuaweiAuth(ctx);
  void app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError | Error, req, reply) => {
      const e = toHuawei(err);
      if (e.status >= 500) req.log.error({ err }, "huawei route error");
      void reply.code(e.status).send(e.toJSON());
    });
    registerCommands(scope, ctx, auth, engine);
  });

  app.post("/_mock/huawei/devices", async (req, reply) => {
    const b = jsonObject(req.body, ["device_id", "node_id", "name"]);
    for (const k of ["device_id", "node_id", "name"])
      if (b[k] !== undefined && (typeof b[k] !== "string" || (b[k] as string).length === 0 || (b[k] as string).length > 64))
        throw badParam(`${k} must be a string of 1 to 64 characters`);
    const deviceId = (b.device_id as string | undefined) ?? randomUUID();
    const nodeId = (b.node_id as string | undefined) ?? `86${String(Date.now()).slice(-10)}${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`;
    if (deviceRow(ctx, deviceId) || ctx.network.resolve(deviceId)) throw new TwilioError(409, 20409, `Device ${deviceId} exists`);
    if (nodeTaken(ctx, nodeId) || ctx.network.resolve(nodeId)) throw new TwilioError(409, 20409, `A device with nodeId ${nodeId} exists`);
    insertDevice(ctx, deviceId, nodeId, (b.name as string | undefined) ?? null);
    ctx.network.upsertSim({ sid: deviceId, uniqueName: nodeId, kind: HUAWEI_KIND });
    ctx.events.emit("huawei_device.created", { sim_sid: deviceId, node_id: nodeId });
    return reply.code(201).send({ deviceId, nodeId, name: (b.name as string | undefined) ?? null, commandPort: engine.timing.devicePort });
  });

  app.post("/_mock/huawei/config", async (req) => {
    const b = jsonObject(req.body, ["ack_timeout_ms", "device_port", "long_result_codes", "notify_timeout_ms"]);
    const t = engine.timing;
    const num = (k: string, lo: number, hi: number): number | undefined => {
      const v = b[k];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw badParam(`${k} must be an integer from ${lo} to ${hi}`);
      return v;
    };
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
