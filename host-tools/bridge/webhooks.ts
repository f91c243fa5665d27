/**
 * The HTTP side (DESIGN.md §5): platform webhooks, `/healthz`, `/metrics`.
 * Each webhook: signature check (X-Twilio-Signature, else kore-signature; against `publicUrl` + the path and
 * query as received, so it works behind a proxy) → 403 and a counted reject when bad or missing; then the
 * event is committed to the SQLite outbox (Engine.ingest) and only then answered 2xx. A storage failure
 * answers 503, so the platform retries.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { validateKoreSignature, validateSignature } from "../cloud/signature.js";
import { HUAWEI_NA_PATH, huaweiToken } from "./down-worker.js";
import type { Engine } from "./engine.js";
import * as map from "./uplink.js";

type Params = map.Params;

function toParams(sp: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of sp) {
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

function flat(p: Record<string, string | string[]>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  return out;
}

export interface WebhookDeps {
  engine: Engine;
  publicUrl: () => string | null;
  /** The /healthz body; `ok` false answers 503. */
  health: () => { ok: boolean };
}

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function buildHttp(d: WebhookDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true, return503OnClosing: true });
  const e = d.engine;
  const cfg = e.cfg;
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  const fullUrl = (req: FastifyRequest): string => {
    const origin = d.publicUrl() ?? `${req.protocol}://${req.headers.host ?? "localhost"}`;
    return origin + req.url;
  };

  const reject = (reply: FastifyReply, route: string, reason: string, status: number, message: string): FastifyReply => {
    e.metrics.inc("simcmd_bridge_rejects_total", { reason, route });
    return reply.code(status).type("text/plain").send(message);
  };

  /** True when the request is signed by the platform (either header, as configured). */
  const signed = (req: FastifyRequest, raw: string, form: Record<string, string | string[]>): boolean => {
    if (cfg.signature === "off") return true;
    const url = fullUrl(req);
    const tw = req.headers["x-twilio-signature"];
    const kore = req.headers["kore-signature"];
    if (cfg.signature !== "kore" && typeof tw === "string")
      return validateSignature(cfg.twilio.authToken, tw, url, req.method === "POST" ? form : {});
    if (cfg.signature !== "twilio" && typeof kore === "string") return validateKoreSignature(cfg.twilio.koreSecret, kore, req.method, url, raw);
    return false;
  };

  const twilioRoute = (path: string, route: string, mapper: (p: Params, q: Params) => map.BridgeEvent | null): void => {
    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const raw = typeof req.body === "string" ? req.body : "";
      const qi = req.url.indexOf("?");
      const query = flat(toParams(new URLSearchParams(qi < 0 ? "" : req.url.slice(qi + 1))));
      const form = req.method === "POST" ? toParams(new URLSearchParams(raw)) : toParams(new URLSearchParams(qi < 0 ? "" : req.url.slice(qi + 1)));
      if (!signed(req, raw, req.method === "POST" ? form : {})) return reject(reply, route, "signature", 403, "invalid or missing signature\n");
      let ev: map.BridgeEvent | null;
      try {
        ev = mapper(flat(form), query);
      } catch (err) {
        if (err instanceof map.WebhookError) return reject(reply, route, "bad_webhook", 400, err.message + "\n");
        throw err;
      }
      if (ev !== null) {
        try {
          await e.ingest(ev, route);
        } catch (err) {
          e.metrics.inc("simcmd_bridge_platform_errors_total", { platform: "store", class: "write" });
          return reply.code(503).type("text/plain").send(`not stored: ${(err as Error).message}\n`);
        }
      }
      if (route === "messages") return reply.code(200).type("text/xml").send(TWIML);
      return reply.code(204).send();
    };
    app.post(path, handler);
    app.get(path, handler);
  };

  twilioRoute("/webhooks/twilio/ip-commands", "ip-commands", map.ipCommands);
  twilioRoute("/webhooks/twilio/sms-commands", "sms-commands", map.smsCommands);
  twilioRoute("/webhooks/twilio/commands", "commands", map.wirelessCommands);
  twilioRoute("/webhooks/twilio/messages", "messages", map.messages);

  const token = cfg.huawei.secret === "" ? null : huaweiToken(cfg.huawei.secret);
  const huawei = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const q = (req.query ?? {}) as Params;
    if (token !== null && cfg.signature !== "off" && q.k !== token) return reject(reply, "huawei", "signature", 403, "missing or wrong callback token\n");
    let body: unknown;
    try {
      body = JSON.parse(typeof req.body === "string" ? req.body : "");
    } catch {
      return reject(reply, "huawei", "bad_webhook", 400, "not JSON\n");
    }
    let ev: map.BridgeEvent | null;
    try {
      ev = map.huawei(body, q);
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
  for (const p of ["/webhooks/huawei/cmd", HUAWEI_NA_PATH]) {
    app.post(p, huawei);
  }

  app.get("/healthz", async (_req, reply) => {
    const h = d.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get("/metrics", async (_req, reply) => reply.type("text/plain; version=0.0.4; charset=utf-8").send(e.metrics.render()));
  return app;
}
