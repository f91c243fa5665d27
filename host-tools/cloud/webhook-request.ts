/**
 * One HTTP(S) request of an outgoing webhook (callbacks.ts, the Huawei notifications), on undici's dispatch
 * API with keep-alive connections: resolves with the response status once its body is read (at most
 * `maxBody` bytes; past that, or when the body fails half way, the request is aborted, which drops its
 * connection, and the status is what counts). Rejects on a connection failure or a URL that is not http(s);
 * with a `WebhookAbort` when `timeoutMs` passes before the response has been read (redirects included) or
 * the agents are closed meanwhile.
 *
 * Redirects are followed as fetch() follows them (at most 20; 303, and 301/302 after a POST, become a GET
 * without body). That loop is here, not undici's redirect interceptor: undici 6's keeps the POST on a
 * 301/302, and answers the last 3xx instead of failing past the limit.
 *
 *   const agents = new WebhookAgents();
 *   const status = await agents.request(url, "POST", headers, body, 64 * 1024, 15000);
 *   agents.close();                                      // ends what is in flight, drops idle connections
 */
import { Agent, type Dispatcher } from "undici";

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
  hop: Hop | null;
  abort: WebhookAbort | null;
}

interface HopResult {
  status: number;
  location?: string;
}

/** The handler of one hop: keeps the status and Location, counts the body up to the cap. */
class Hop implements Dispatcher.DispatchHandlers {
  private status = 0;
  private location: string | undefined;
  private read = 0;
  private done = false;
  private cancel: ((err?: Error) => void) | null = null;

  constructor(
    private readonly maxBody: number,
    private readonly resolve: (r: HopResult) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  /** Ends the hop now: with its status if it has one, else rejects with `why`. */
  cut(why: Error): void {
    if (this.cancel !== null) this.cancel(why);
    else this.settle(why);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.cancel = abort;
    if (this.done) abort(new Error("settled"));
  }

  onHeaders(status: number, headers: Buffer[]): boolean {
    this.status = status;
    if (REDIRECTS.has(status))
      for (let i = 0; i < headers.length; i += 2) {
        if (String(headers[i]).toLowerCase() === "location") this.location = String(headers[i + 1]);
      }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.read += chunk.length;
    if (this.read > this.maxBody) {
      this.settle(null);
      this.cancel?.(new Error("response body over the cap"));
    }
    return true;
  }

  onComplete(): void {
    this.settle(null);
  }

  // a body that fails half way (or is cut): the status has arrived, and is what counts
  onError(err: Error): void {
    this.settle(err);
  }

  private settle(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    if (this.status !== 0) this.resolve({ status: this.status, location: this.location });
    else this.reject(err ?? new Error("no response"));
  }
}

export class WebhookAgents {
  private readonly agent = new Agent();
  private readonly flights = new Set<Flight>();
  private closed = false;

  async request(url: string, method: "GET" | "POST", headers: Record<string, string>, body: string | undefined, maxBody: number, timeoutMs: number): Promise<number> {
    if (this.closed) throw new WebhookAbort(false);
    const f: Flight = { hop: null, abort: null };
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
    f.hop?.cut(why);
  }

  private once(f: Flight, u: URL, method: string, headers: Record<string, string>, body: string | undefined, maxBody: number): Promise<HopResult> {
    return new Promise((resolve, reject) => {
      if (f.abort !== null) return reject(f.abort);
      if (u.protocol !== "http:" && u.protocol !== "https:") return reject(new Error(`unsupported protocol ${u.protocol}`));
      const hop = new Hop(maxBody, resolve, (e) => reject(f.abort ?? e));
      f.hop = hop;
      this.agent.dispatch({ origin: u.origin, path: u.pathname + u.search, method: method as Dispatcher.HttpMethod, headers, body: body ?? null }, hop);
    });
  }

  close(): void {
    this.closed = true;
    for (const f of this.flights) this.cut(f, new WebhookAbort(false));
    this.agent.destroy().catch(() => undefined);
  }
}
