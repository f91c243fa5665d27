/**
 * One HTTP(S) request of an outgoing webhook (callbacks.ts), on node:http with keep-alive connections:
 * resolves with the response status once its body is read (at most `maxBody` bytes; past that, or when the
 * body fails half way, the connection is dropped and the status is what counts). Redirects are followed as
 * fetch() follows them (at most 20; 303, and 301/302 after a POST, become a GET without body). Rejects on a
 * connection failure or a URL that is not http(s); with a `WebhookAbort` when `timeoutMs` passes before
 * the status (redirects included) or the agents are closed meanwhile.
 *
 *   const agents = new WebhookAgents();
 *   const status = await agents.request(url, "POST", headers, body, 64 * 1024, 15000);
 *   agents.close();                                      // ends what is in flight, drops idle connections
 */
import http from "node:http";
import https from "node:https";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

/** The request was cut short: its time ran out (`timeout`) or the agents closed. */
export class WebhookAbort extends Error {
  constructor(readonly timeout: boolean) {
    super(timeout ? "timeout" : "closed");
  }
}

/** One request in flight (redirect hops included): what a timeout or close() cuts. */
interface Flight {
  req: http.ClientRequest | null;
  abort: WebhookAbort | null;
}

export class WebhookAgents {
  private readonly http = new http.Agent({ keepAlive: true });
  private readonly https = new https.Agent({ keepAlive: true });
  private readonly flights = new Set<Flight>();
  private closed = false;

  async request(url: string, method: "GET" | "POST", headers: Record<string, string>, body: string | undefined, maxBody: number, timeoutMs: number): Promise<number> {
    if (this.closed) throw new WebhookAbort(false);
    const f: Flight = { req: null, abort: null };
    this.flights.add(f);
    const timer = setTimeout(() => this.cut(f, new WebhookAbort(true)), timeoutMs);
    try {
      let target = new URL(url);
      let m: string = method;
      let h = headers;
      let b = body;
      for (let hop = 0; ; hop++) {
        const { status, location } = await this.once(f, target, m, h, b, maxBody);
        if (!REDIRECTS.has(status) || location === undefined) return status;
        if (hop >= MAX_REDIRECTS) throw new Error("redirect count exceeded");
        target = new URL(location, target);
        if (status === 303 ? m !== "GET" && m !== "HEAD" : (status === 301 || status === 302) && m === "POST") {
          m = "GET";
          b = undefined;
          h = Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== "content-type"));
        }
      }
    } finally {
      clearTimeout(timer);
      this.flights.delete(f);
    }
  }

  private cut(f: Flight, why: WebhookAbort): void {
    if (f.abort !== null) return;
    f.abort = why;
    f.req?.destroy(why);
  }

  private once(f: Flight, u: URL, method: string, headers: Record<string, string>, body: string | undefined, maxBody: number): Promise<{ status: number; location?: string }> {
    return new Promise((resolve, reject) => {
      if (f.abort !== null) return reject(f.abort);
      const secure = u.protocol === "https:";
      if (!secure && u.protocol !== "http:") return reject(new Error(`unsupported protocol ${u.protocol}`));
      const h = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
      const req = (secure ? https : http).request(u, { method, headers: h, agent: secure ? this.https : this.http }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        const done = (): void => resolve({ status, location });
        let n = 0;
        res.on("data", (chunk: Buffer) => {
          n += chunk.length;
          if (n > maxBody) {
            res.destroy();
            done();
          }
        });
        res.on("end", done);
        // a body that fails half way (or is cut): the status has arrived, and is what counts
        res.on("error", done);
        res.on("close", done);
      });
      f.req = req;
      req.on("error", (e) => reject(f.abort ?? e));
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const f of this.flights) this.cut(f, new WebhookAbort(false));
    this.http.destroy();
    this.https.destroy();
  }
}
