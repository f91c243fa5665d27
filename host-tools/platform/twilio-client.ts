/**
 * `twilioClient({baseUrl, accountSid, authToken})`: the official `twilio` client (twilio-node), used by the
 * bridge for its downlinks and by the mock cloud's seeding, `simcmd dev` and HIL runs. Without `baseUrl`
 * it talks to the real platform. With it, its RequestClient rewrites every request URL
 * `https://<product>.twilio.com/<path>` to `<baseUrl>/<product>/<path>` — `supersim`, `wireless`, `api`
 * (→ /api/2010-04-01/…), and any other product name the same way — including the `nextPage()` URLs.
 * URLs already under `baseUrl` (the mock's own paging links) pass unchanged. KORE hosts are mapped too:
 * supersim.api.korewireless.com → /supersim, programmable-wireless.api.korewireless.com → /wireless.
 * So the same client code runs against Twilio, KORE or the mock cloud (host-tools/cloud), which serves every
 * product under its own path prefix.
 */
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import type * as ResponseModule from "twilio/lib/http/response.js";

type TwilioResponse<T> = ResponseModule.default<T>;

export interface TwilioClientOptions {
  /** Where the API is served, e.g. the mock cloud's `http://127.0.0.1:4010`. Absent → the real Twilio. */
  baseUrl?: string;
  accountSid: string;
  authToken: string;
  /** Extra twilio-node client options (timeout, logLevel, …). */
  clientOptions?: Record<string, unknown>;
}

const KORE: Record<string, string> = {
  "supersim.api.korewireless.com": "supersim",
  "programmable-wireless.api.korewireless.com": "wireless",
};

/** The URL rewrite, exported for tests: `https://supersim.twilio.com/v1/Sims` → `<base>/supersim/v1/Sims`. */
export function rewriteTwilioUrl(uri: string, baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  if (uri.startsWith(base + "/")) return uri;
  const m = /^https?:\/\/([^/?#]+)(.*)$/.exec(uri);
  if (!m) return uri;
  const host = (m[1] as string).toLowerCase().replace(/:\d+$/, "");
  const rest = m[2] ?? "";
  const kore = KORE[host];
  if (kore) return `${base}/${kore}${rest}`;
  const t = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)*?\.twilio\.com$/.exec(host);
  if (!t) return uri;
  return `${base}/${t[1]}${rest}`;
}

class RewritingRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ keepAlive: true });
  }
  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUrl(opts.uri, this.baseUrl) });
  }
}

/** The official client, redirected to `baseUrl` when it is given. */
export function twilioClient(o: TwilioClientOptions): twilio.Twilio {
  const opts: Record<string, unknown> = { ...(o.clientOptions ?? {}) };
  if (o.baseUrl !== undefined) opts.httpClient = new RewritingRequestClient(o.baseUrl);
  return twilio(o.accountSid, o.authToken, opts);
}
