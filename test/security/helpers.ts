/** Helpers for the security suite: raw HTTP on a socket, an Aedes broker with a publish hook, signed webhooks. */
import { request } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { Aedes, type AedesOptions } from "aedes";
import { twilioSignature } from "../../host-tools/platform/signature.js";

type AuthorizePublishHandler = NonNullable<AedesOptions["authorizePublish"]>;

/** What came back on a raw connection: the status line's code (null: none), the head, the body, and when it closed. */
export interface RawAnswer {
  status: number | null;
  head: string;
  body: string;
  closedAfterMs: number;
}

/**
 * Opens a TCP connection, writes `first`, then `drip` one chunk every `everyMs` until the server closes the
 * connection (bounded by `maxMs`: the test fails rather than hang). Resolves with what the server answered.
 */
export function rawRequest(port: number, first: string | Buffer, o: { drip?: string; everyMs?: number; maxMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s: Socket = connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    let timer: ReturnType<typeof setInterval> | null = null;
    const guard = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server kept the connection open for ${o.maxMs ?? 10_000} ms`));
    }, o.maxMs ?? 10_000);
    s.on("connect", () => {
      s.write(first);
      if (o.drip !== undefined) timer = setInterval(() => s.writable && s.write(o.drip as string), o.everyMs ?? 100);
    });
    s.on("data", (d) => (got = Buffer.concat([got, d])));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(guard);
      if (timer) clearInterval(timer);
      const text = got.toString("utf8");
      const cut = text.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, head: cut < 0 ? text : text.slice(0, cut), body: cut < 0 ? "" : text.slice(cut + 4), closedAfterMs: Date.now() - started });
    });
  });
}

/** An Aedes broker (MQTT 3.1.1) with an `authorizePublish` hook: an error there makes Aedes close the connection. */
export async function hookedBroker(authorizePublish: AuthorizePublishHandler): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker({ authorizePublish });
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => broker.close(() => r()));
      await done;
    },
  };
}

/** POSTs a form to the bridge, signed with `token` (X-Twilio-Signature); resolves with status and body. */
export async function signedPost(url: string, token: string, params: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(token, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

/** A Fleet MO webhook (Super SIM IP Commands, from the SIM) for `device`. */
export function ipUplink(account: string, device: string, n: number): Record<string, string> {
  return {
    AccountSid: account, CommandSid: "HG" + String(n).padStart(32, "0"), SimSid: "HS" + "e".repeat(32), SimUniqueName: device,
    PayloadType: "binary", Payload: Buffer.from(`n${n}`).toString("base64"), Direction: "from_sim", Status: "received",
  };
}

/** Polls `f` until it returns something other than undefined (bounded): for state with no event to await. */
export async function until<T>(f: () => Promise<T | undefined>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An HTTP request through node:http (which, unlike fetch, sends the Host header it is given). */
export function httpRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? "GET", headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}
