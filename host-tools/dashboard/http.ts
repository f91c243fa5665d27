/**
 * The dashboard's HTTP side: the page (public/, three static files), `GET /api/devices`, `GET /api/events`
 * (Server-Sent Events), `POST /api/devices/:name/down`, `GET /healthz`. Every error answers
 * `{error: {code, message}}`.
 */
import { readFileSync } from "node:fs";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { checkDeviceName, downRequest, HttpError, MAX_BODY_BYTES } from "./down.js";
import type { DeviceTable, EventFeed } from "./feed.js";

export interface HttpDeps {
  feed: EventFeed;
  devices: DeviceTable;
  prefix: string;
  mqttConnected: () => boolean;
  /** Publishes at QoS 1; resolves on the PUBACK, rejects with an HttpError 503 when the broker cannot take it. */
  publish: (topic: string, body: string) => Promise<void>;
  nextId: () => string;
  /** The address the page listens on: on a loopback address, requests must name a loopback host. */
  listenHost: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The host name of a Host header (without the port). */
function hostName(h: string): string {
  return h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : (h.split(":")[0] ?? "");
}

const PUBLIC = new URL("./public/", import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};
/** The page needs nothing from elsewhere; with inline script and style off, a stray `<img onerror>` cannot run. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function buildHttp(d: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const files = Object.entries(STATIC).map(([route, s]) => ({ route, type: s.type, body: readFileSync(new URL(s.file, PUBLIC)) }));
  for (const f of files) {
    app.get(f.route, async (_req, reply) =>
      reply.type(f.type).header("content-security-policy", CSP).header("x-content-type-options", "nosniff").header("cache-control", "no-cache").send(f.body),
    );
  }

  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());

  // DNS rebinding: a web page elsewhere whose name resolves to 127.0.0.1 reaches this listener with its own
  // name in Host. A page served on loopback answers only requests made to a loopback name.
  if (LOOPBACK.has(d.listenHost) || d.listenHost.startsWith("127.")) {
    app.addHook("onRequest", async (req) => {
      const h = hostName(req.headers.host ?? "").toLowerCase();
      if (!LOOPBACK.has(h) && !h.startsWith("127.")) throw new HttpError(403, "forbidden_host", `requests must be made to 127.0.0.1 or localhost, not ${h || "(no Host)"}`);
    });
  }

  // JSON only (a cross-site form or a "simple" fetch cannot send it without a CORS preflight, which is never
  // granted), read as bytes so that the errors are ours.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  app.setErrorHandler((e: FastifyError, _req, reply) => {
    if (e instanceof HttpError) return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return reply.code(400).send({ error: { code: "oversized", message: `the request body is larger than ${MAX_BODY_BYTES} bytes` } });
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return reply.code(415).send({ error: { code: "unsupported_media_type", message: "send the request as content-type application/json" } });
    const status = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    return reply.code(status).send({ error: { code: status === 500 ? "internal" : "bad_request", message: e.message } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: "not_found", message: `no route ${req.method} ${req.url}` } }));

  app.get("/healthz", async () => ({ ok: true, mqtt: d.mqttConnected(), sse_clients: d.feed.clientCount }));

  app.get("/api/devices", async () => ({ devices: d.devices.list() }));

  app.get("/api/events", (req, reply) => {
    const last = req.headers["last-event-id"];
    reply.hijack();
    if (!d.feed.attach(reply.raw, typeof last === "string" ? last : undefined)) {
      reply.raw.writeHead(503, { "content-type": "application/json" });
      reply.raw.end(JSON.stringify({ error: { code: "too_many_clients", message: "too many event streams are open" } }));
    }
  });

  app.post<{ Params: { name: string } }>("/api/devices/:name/down", async (req, reply) => {
    const name = req.params.name;
    checkDeviceName(name);
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, "unsupported_media_type", "send the request as content-type application/json");
    const { id, body } = downRequest(req.body, d.nextId);
    const topic = `${d.prefix}/devices/${name}/down`;
    await d.publish(topic, body);
    return reply.code(202).send({ id, topic });
  });
  return app;
}
