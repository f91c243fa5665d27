/**
 * The HTTP side: platform webhooks, `/healthz`, `/metrics`.
 * Each webhook: signature check (X-Twilio-Signature, else kore-signature; against `publicUrl` + the path and
 * query as received, so it works behind a proxy) → 403 and a counted reject when bad or missing; then the
 * event is committed to the SQLite outbox (Engine.ingest) and only then answered 2xx. A storage failure
 * answers 503, so the platform retries.
 */
import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { FormError, parseUrlEncoded, type FormParams } from "../http/form-body.js";
import { jsonDepthProblem } from "../http/json-depth.js";
import { routeTable, serverOptions } from "../http/server.js";
import { validateKoreSignature, validateSignature } from "../platform/signature.js";
import { boundQuery, callbackKey, HUAWEI_NA_PATH, huaweiToken } from "./callback-token.js";
import type { BridgeConfig } from "./config.js";
import type { Engine } from "./engine.js";
import type { Metrics } from "./metrics.js";
import { WEBHOOK_PATHS } from "./routing.js";
import * as map from "./uplink.js";

type Params = map.Params;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Largest webhook body: the platforms send a few KB at most (a 1600-character SMS, a 1300-byte IP Command in base64). */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** The last value of each parameter, in a record without a prototype. */
function flat(p: FormParams): Params {
  const out = Object.create(null) as Params;
  for (const k in p) {
    const v = p[k];
    out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  }
  return out;
}

export interface WebhookDeps {
  cfg: BridgeConfig;
  /** Stores each event (Engine.ingest). */
  engine: Pick<Engine, "ingest">;
  metrics: Metrics;
  publicUrl: () => string | null;
  /** The /healthz body; `ok` false answers 503. */
  health: () => { ok: boolean };
}

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const text = (_status: number, message: string) => ({ type: "text/plain; charset=utf-8", body: message + "\n" });

export function buildHttp(d: WebhookDeps): FastifyInstance {
  const e = d.engine;
  const cfg = d.cfg;
  const app = Fastify({
    logger: false, bodyLimit: WEBHOOK_BODY_LIMIT, forceCloseConnections: true, return503OnClosing: true,
    ...serverOptions({ requestTimeoutMs: cfg.requestTimeout, shape: text }),
  });
  const routes = routeTable(app);
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).type("text/plain; charset=utf-8").send(`${status === 500 ? "internal error" : err.message}\n`);
  });
  app.setNotFoundHandler((req, reply) => {
    const allow = routes.allowed(req.url);
    if (allow.length > 0) return reply.code(405).header("allow", allow.join(", ")).type("text/plain; charset=utf-8").send(`${req.method} is not allowed here (${allow.join(", ")})\n`);
    return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
  });
  const key = callbackKey(cfg);

  const fullUrl = (req: FastifyRequest): string => {
    const origin = d.publicUrl() ?? `${req.protocol}://${req.headers.host ?? "localhost"}`;
    return origin + req.url;
  };

  const reject = (reply: FastifyReply, route: string, reason: string, status: number, message: string): FastifyReply => {
    d.metrics.inc("simcmd_bridge_rejects_total", { reason, route });
    return reply.code(status).type("text/plain").send(message);
  };

  /**
   * True when the request is signed by the platform (either header, as configured). A scheme whose secret
   * is not configured refuses: nothing is ever checked against an empty key.
   */
  const signed = (req: FastifyRequest, raw: string, form: FormParams): boolean => {
    if (cfg.signature === "off") return true;
    const url = fullUrl(req);
    const tw = req.headers["x-twilio-signature"];
    const kore = req.headers["kore-signature"];
    const t = cfg.twilio;
    if (cfg.signature !== "kore" && typeof tw === "string" && t.authToken !== "") return validateSignature(t.authToken, tw, url, form);
    if (cfg.signature !== "twilio" && typeof kore === "string" && t.koreSecret !== "") return validateKoreSignature(t.koreSecret, kore, req.method, url, raw);
    return false;
  };

  const twilioRoute = (path: string, route: string, mapper: (p: Params, q: Params) => map.BridgeEvent | null): void => {
    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const raw = typeof req.body === "string" ? req.body : "";
      const qi = req.url.indexOf("?");
      let queryParams: FormParams;
      let form: FormParams;
      try {
        queryParams = parseUrlEncoded(qi < 0 ? "" : req.url.slice(qi + 1));
        form = req.method === "POST" ? parseUrlEncoded(raw) : queryParams;
      } catch (err) {
        if (err instanceof FormError) return reject(reply, route, "bad_webhook", 400, `malformed form: ${err.message}\n`);
        throw err;
      }
      if (!signed(req, raw, req.method === "POST" ? form : {})) return reject(reply, route, "signature", 403, "invalid or missing signature\n");
      let ev: map.BridgeEvent | null;
      try {
        ev = mapper(flat(form), boundQuery(key, flat(queryParams)));
      } catch (err) {
        if (err instanceof map.WebhookError) return reject(reply, route, "bad_webhook", 400, err.message + "\n");
        throw err;
      }
      if (ev !== null) {
        try {
          await e.ingest(ev, route);
        } catch (err) {
          d.metrics.inc("simcmd_bridge_platform_errors_total", { platform: "store", class: "write" });
          return reply.code(503).type("text/plain").send(`not stored: ${(err as Error).message}\n`);
        }
      }
      if (route === "messages") return reply.code(200).type("text/xml").send(TWIML);
      return reply.code(204).send();
    };
    app.post(path, handler);
    app.get(path, handler);
  };

  twilioRoute(WEBHOOK_PATHS.ipCommands, "ip-commands", map.ipCommands);
  twilioRoute(WEBHOOK_PATHS.smsCommands, "sms-commands", map.smsCommands);
  twilioRoute(WEBHOOK_PATHS.wirelessCommands, "commands", map.wirelessCommands);
  twilioRoute(WEBHOOK_PATHS.messages, "messages", map.messages);

  const token = huaweiToken(cfg);
  const huawei = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const qi = req.url.indexOf("?");
    let q: Params;
    try {
      q = flat(parseUrlEncoded(qi < 0 ? "" : req.url.slice(qi + 1)));
    } catch (err) {
      if (err instanceof FormError) return reject(reply, "huawei", "bad_webhook", 400, `malformed query: ${err.message}\n`);
      throw err;
    }
    // Huawei does not sign: the token the bridge put in the callback URL is the proof (never an empty one)
    if (cfg.signature !== "off" && (token === "" || typeof q.k !== "string" || !sameText(q.k, token)))
      return reject(reply, "huawei", "signature", 403, "missing or wrong callback token\n");
    let body: unknown;
    const text = typeof req.body === "string" ? req.body : "";
    const deep = jsonDepthProblem(text);
    if (deep !== null) return reject(reply, "huawei", "bad_webhook", 400, `${deep}\n`);
    try {
      body = JSON.parse(text);
    } catch {
      return reject(reply, "huawei", "bad_webhook", 400, "not JSON\n");
    }
    let ev: map.BridgeEvent | null;
    try {
      ev = map.huawei(body, boundQuery(key, q));
    } catch (err) {
      if (err instanceof map.WebhookError) return reject(reply, "huawei", "bad_webhook", 400, err.message + "\n");
      throw err;
    }
    if (ev !== null) {
      try {
        await e.ingest(ev, "huawei");
      } catch (err) {
        return reply.code(503).type("text/plain").send(`not stored: ${(err as Error).message}\n`);
      }
    }
    return reply.code(200).send({ result: "ok" });
  };
  for (const p of [WEBHOOK_PATHS.huawei, HUAWEI_NA_PATH]) {
    app.post(p, huawei);
  }

  app.get("/healthz", async (_req, reply) => {
    const h = d.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get("/metrics", async (_req, reply) => reply.type("text/plain; version=0.0.4; charset=utf-8").send(d.metrics.render()));
  return app;
}
