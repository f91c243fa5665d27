/**
 * The dashboard's HTTP side: the page (public/, three static files), `GET /api/devices`, `GET /api/events`
 * (Server-Sent Events), `POST /api/devices/:name/down`, `GET /healthz`. Every error answers
 * `{error: {code, message}}`.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { routeTable, serverOptions } from "../http/server.js";
import { checkDeviceName, downRequest, HttpError, MAX_BODY_BYTES } from "./down.js";
import { registerCloudRoutes, type CloudDeps } from "./cloud-routes.js";
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
  /** Host names (lower case, no port) accepted besides IP literals and `localhost`. */
  allowedHosts: readonly string[];
  /** A request (headers and body) must arrive within this many ms. */
  requestTimeoutMs: number;
  /** Journeys, latency and the mock cloud (cloud-routes.ts). */
  cloud: Omit<CloudDeps, "devices">;
}

/** The host name of a Host header (without the port; an IPv6 literal without its brackets), lower case. */
export function hostName(h: string): string {
  const l = h.trim().toLowerCase();
  if (l.startsWith("[")) {
    const m = /^\[([^\]]*)\](?::\d*)?$/.exec(l);
    return m ? (m[1] as string) : l;
  }
  const colon = l.lastIndexOf(":");
  return colon < 0 ? l : l.slice(0, colon);
}

/** True for an IP literal of the loopback range (127.0.0.0/8, ::1, and IPv4-mapped 127.x). */
function loopbackIp(h: string): boolean {
  const v = isIP(h);
  if (v === 4) return h.startsWith("127.");
  if (v === 6) return h === "::1" || /^::ffff:127\./.test(h) || /^(0{1,4}:){7}0{0,3}1$/.test(h);
  return false;
}

/**
 * The DNS-rebinding guard: which Host names the page answers. A page elsewhere can make its own name resolve
 * to this address, but it cannot make the browser send an IP literal or `localhost` as the Host: so those
 * (loopback ones only, when the page listens on loopback) and the names the user configured are accepted,
 * any other name is not.
 */
export function hostAllowed(host: string | undefined, listenHost: string, allowed: readonly string[]): boolean {
  const h = hostName(host ?? "");
  if (h === "") return false;
  if (h === "localhost" || allowed.includes(h)) return true;
  if (isIP(h) === 0) return false;
  return !loopbackIp(listenHost) && listenHost !== "localhost" ? true : loopbackIp(h);
}

const PUBLIC = new URL("./public/", import.meta.url);
const JS = "text/javascript; charset=utf-8";
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  ...Object.fromEntries(["app.js", "dom.js", "journey.js", "network.js", "chart.js", "platform.js"].map((f) => [`/${f}`, { file: f, type: JS }])),
};
/** The page needs nothing from elsewhere; with inline script and style off, a stray `<img onerror>` cannot run. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function buildHttp(d: HttpDeps): FastifyInstance {
  const shape = (status: number, message: string) => ({
    type: "application/json; charset=utf-8",
    body: JSON.stringify({ error: { code: status === 408 ? "timeout" : status === 431 ? "headers_too_large" : "bad_request", message } }),
  });
  const app = Fastify({ logger: false, ...serverOptions({ requestTimeoutMs: d.requestTimeoutMs, shape }) });
  const routes = routeTable(app);
  const files = Object.entries(STATIC).map(([route, s]) => ({ route, type: s.type, body: readFileSync(new URL(s.file, PUBLIC)) }));
  for (const f of files) {
    app.get(f.route, async (_req, reply) =>
      reply.type(f.type).header("content-security-policy", CSP).header("x-content-type-options", "nosniff").header("cache-control", "no-cache").send(f.body),
    );
  }

  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());

  // DNS rebinding: a web page elsewhere whose name resolves to this address reaches the listener with its
  // own name in Host (hostAllowed).
  const allowedHosts = d.allowedHosts.map((h) => h.toLowerCase());
  app.addHook("onRequest", async (req) => {
    if (!hostAllowed(req.headers.host, d.listenHost, allowedHosts)) {
      const shown = (req.headers.host ?? "").slice(0, 100) || "(no Host)";
      throw new HttpError(403, "forbidden_host", `requests must name this page by an IP address, localhost${allowedHosts.length > 0 ? " or " + allowedHosts.join(", ") : ""} (allowedHosts), not ${shown}`);
    }
  });

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
  app.setNotFoundHandler((req, reply) => {
    const allow = routes.allowed(req.url);
    if (allow.length > 0)
      return reply.code(405).header("allow", allow.join(", ")).send({ error: { code: "method_not_allowed", message: `${req.method} is not allowed on ${req.url.split("?")[0] ?? ""}; allowed: ${allow.join(", ")}` } });
    return reply.code(404).send({ error: { code: "not_found", message: `no route ${req.method} ${req.url}` } });
  });

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

  registerCloudRoutes(app, { ...d.cloud, devices: d.devices });

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
