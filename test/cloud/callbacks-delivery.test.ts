/**
 * Callbacks.deliver against a real HTTP receiver: what a receiver sees and what the outcome records, for the
 * cases the transport (webhook-request.ts) handles itself: signed POST, redirects, a response body without
 * end, no answer (timeout), nothing listening (connection failed).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import Database from "better-sqlite3";
import { Callbacks, CALLBACK_RESPONSE_MAX } from "../../host-tools/cloud/callbacks.js";
import { EventBus } from "../../host-tools/cloud/events.js";
import { validateSignature } from "../../host-tools/platform/signature.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };
let server: Server;
let base: string;
const seen: Seen[] = [];
let route: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => void res.writeHead(204).end();
const db = new Database(":memory:");
const callbacks = new Callbacks(db, new EventBus(() => new Date()), TOKEN, () => new Date(), { retries: 0, timeoutMs: 500, totalMs: 500 });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      route(req, res, body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  callbacks.close();
  server.closeAllConnections();
  server.close();
  db.close();
});

const send = (url: string, method: "GET" | "POST" = "POST") =>
  callbacks.deliver({ url, method, kind: "test", params: { Status: "sent", CommandSid: "HG1", Skipped: null } });

describe("Callbacks.deliver over HTTP", () => {
  test("a signed form POST; 2xx is success", async () => {
    seen.length = 0;
    route = (_q, res) => void res.writeHead(204).end();
    expect(await send(`${base}/cb?x=1`)).toEqual({ ok: true, attempts: 1, statusCode: 204, error: null });
    const s = seen[0] as Seen;
    expect(s).toMatchObject({ method: "POST", url: "/cb?x=1", body: "Status=sent&CommandSid=HG1" });
    expect(s.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=utf-8");
    expect(validateSignature(TOKEN, s.headers["x-twilio-signature"] as string, `${base}/cb?x=1`, { Status: "sent", CommandSid: "HG1" })).toBe(true);
  });

  test("redirects are followed: after a 302 a POST becomes a GET without body, a 307 keeps it", async () => {
    seen.length = 0;
    route = (req, res) => {
      if (req.url === "/a") res.writeHead(302, { location: "/b" }).end();
      else if (req.url === "/c") res.writeHead(307, { location: `${base}/d` }).end();
      else res.writeHead(200).end("ok");
    };
    expect((await send(`${base}/a`)).statusCode).toBe(200);
    expect(seen.map((s) => [s.method, s.url, s.body, s.headers["content-type"]])).toEqual([["POST", "/a", "Status=sent&CommandSid=HG1", expect.any(String)], ["GET", "/b", "", undefined]]);
    seen.length = 0;
    expect((await send(`${base}/c`)).statusCode).toBe(200);
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([["POST", "/c", "Status=sent&CommandSid=HG1"], ["POST", "/d", "Status=sent&CommandSid=HG1"]]);
  });

  test("a response body without end: the status counts once the cap is read", async () => {
    route = (_q, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const more = (): void => {
        if (res.destroyed) return;
        res.write(chunk);
        setTimeout(more, 1);
      };
      more();
    };
    expect(CALLBACK_RESPONSE_MAX).toBe(64 * 1024);
    expect(await send(`${base}/endless`)).toEqual({ ok: true, attempts: 1, statusCode: 200, error: null });
  });

  test("no answer within the timeout, and nothing listening", async () => {
    route = () => undefined; // never answers
    expect(await send(`${base}/silent#rt=100`)).toMatchObject({ ok: false, attempts: 1, statusCode: null, error: "timeout" });
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const r = await send(`http://127.0.0.1:${port}/x`);
    expect(r).toMatchObject({ ok: false, attempts: 1, statusCode: null });
    expect(r.error).toMatch(/^connection failed: /);
  });
});
