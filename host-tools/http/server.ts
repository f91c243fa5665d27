/**
 * What every HTTP server of the package (the bridge, the mock cloud, the dashboard) sets the same way, so
 * that hostile or broken clients meet the same bounds everywhere, and every answer is in the server's own
 * error shape — never fastify's or Node's:
 *
 * - `requestTimeoutMs`: the whole request (headers and body) must arrive within it, else 408 and the
 *   connection is closed (Node's `requestTimeout` / `headersTimeout`, checked every
 *   `checkEveryMs(requestTimeoutMs)`); a slow body cannot hold a connection open. Responses that stream
 *   (Server-Sent Events) are not affected.
 * - errors before routing (a bad `%` escape in the path → 400, headers over Node's 16 KiB → 431, a timeout
 *   → 408, any other malformed request → 400) go through `shape`.
 * - `routeTable(app)`: a method the path does not take → 405 with `Allow`, instead of fastify's 404.
 *
 *   const app = Fastify({ logger: false, bodyLimit, ...serverOptions({ requestTimeoutMs: 10_000, shape }) });
 *   const routes = routeTable(app);                       // before the routes are added
 *   app.setNotFoundHandler((req, reply) => { const allow = routes.allowed(req.method, req.url); … });
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyHttpOptions, FastifyInstance, FastifyReply } from "fastify";
import type { Server } from "node:http";

/** The body and content type of an error answer, in the server's own shape. */
export type ErrorShape = (status: number, message: string) => { type: string; body: string };

export interface HardenOptions {
  /** The whole request must arrive within this many ms. */
  requestTimeoutMs: number;
  shape: ErrorShape;
}

/** How often Node checks for requests over their time: often enough that a timeout is not late by more than a quarter. */
export function checkEveryMs(timeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4)));
}

/** Fastify options: request timeouts, and client / framework errors in `shape`. */
export function serverOptions(o: HardenOptions): Partial<FastifyHttpOptions<Server>> {
  const t = o.requestTimeoutMs;
  return {
    requestTimeout: t,
    http: { requestTimeout: t, headersTimeout: t, connectionsCheckingInterval: checkEveryMs(t) },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === "ECONNRESET" || socket.destroyed) return;
      const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const message =
        status === 408 ? `the request did not arrive within ${t} ms` : status === 431 ? "the request headers are too large" : "malformed HTTP request";
      const { type, body } = o.shape(status, message);
      if (socket.writable)
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy();
    },
    frameworkErrors: (err, _req, res) => {
      const { type, body } = o.shape(400, err.code === "FST_ERR_BAD_URL" ? "the request path is not valid percent-encoding" : err.message);
      void (res as FastifyReply).code(400).type(type).send(body);
    },
  };
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * Records every route added from now on, so the not-found handler can tell "no such path" (404) from "not
 * with this method" (405): `allowed(url)` lists the methods some route takes at that path (empty: none).
 */
export function routeTable(app: FastifyInstance): { allowed(url: string): string[] } {
  const routes: { re: RegExp; methods: string[] }[] = [];
  app.addHook("onRoute", (r) => {
    const pattern = r.url
      .split("/")
      .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).map(String);
    routes.push({ re: new RegExp(`^${pattern}$`), methods });
  });
  return {
    allowed(url: string): string[] {
      const path = url.split("?")[0] ?? url;
      const out = new Set<string>();
      for (const r of routes) if (r.re.test(path)) for (const m of r.methods) out.add(m);
      return METHODS.filter((m) => out.has(m));
    },
  };
}
