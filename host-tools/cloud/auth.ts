/**
 * Authentication:
 * - HTTP Basic `AC…:authToken` on every product and /_mock/ route; anything else → 401/20003
 *   ("No credentials provided" without a header, "invalid username" for another SID, and so on).
 * - KORE variant: OAuth2 client-credentials. `POST /api-services/v1/auth/token` (KORE's documented token
 *   URL, path of https://api.korewireless.com/api-services/v1/auth/token; alias `POST /oauth/token`) with
 *   `grant_type=client_credentials` and the client id/secret either as form fields `client_id`/`client_secret`
 *   or as Basic credentials. The mock's client id/secret are the account SID and auth token. Answer
 *   `{access_token, token_type: "Bearer", expires_in: 3600, scope: ""}`; errors are OAuth-shaped
 *   (`{error: "invalid_client"|"unsupported_grant_type"|"invalid_request", error_description}`).
 *   `Authorization: Bearer <token>` is then accepted on every route, like Basic.
 * - A route opts out with `config: { auth: false }` (e.g. a product with its own auth scheme).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authError, TwilioError } from "./errors.js";
import { parseForm, scalar, type RawParams } from "./form.js";

export const TOKEN_TTL_S = 3600;

export interface AuthOptions {
  accountSid: string;
  authToken: string;
  now(): Date;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Decodes `Authorization: Basic …` into [user, password], or null. */
export function basicCredentials(header: string | undefined): [string, string] | null {
  if (header === undefined || !/^basic /i.test(header)) return null;
  const text = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/** How many distinct Basic header values keep their decision (clients reuse one header for every call). */
const BASIC_CACHE = 64;

export class Authenticator {
  private readonly tokens = new Map<string, number>();
  /** Basic header value → null (accepted) or the 401 message; the decision never changes for a value. */
  private readonly basicDecisions = new Map<string, string | null>();
  constructor(private readonly o: AuthOptions) {}

  private basicDecision(h: string): string | null {
    const c = basicCredentials(h);
    if (c === null) return "Authentication Error - invalid authorization header";
    if (!same(c[0], this.o.accountSid)) return "Authentication Error - invalid username";
    if (!same(c[1], this.o.authToken)) return "Authentication Error - invalid password";
    return null;
  }

  /** Throws 401/20003 unless the request carries valid Basic credentials or a live Bearer token. */
  check(req: FastifyRequest): void {
    const h = req.headers.authorization;
    if (h === undefined || h.trim() === "") throw authError("Authentication Error - No credentials provided");
    if (/^bearer /i.test(h)) {
      const tok = h.slice(7).trim();
      const exp = this.tokens.get(tok);
      if (exp === undefined || exp <= this.o.now().getTime()) {
        this.tokens.delete(tok);
        throw authError("Authentication Error - invalid or expired token");
      }
      return;
    }
    let d = this.basicDecisions.get(h);
    if (d === undefined) {
      d = this.basicDecision(h);
      if (this.basicDecisions.size >= BASIC_CACHE) this.basicDecisions.clear();
      this.basicDecisions.set(h, d);
    }
    if (d !== null) throw authError(d);
  }

  /** Issues a Bearer token (OAuth2 client credentials). */
  issue(): { access_token: string; token_type: "Bearer"; expires_in: number; scope: string } {
    const now = this.o.now().getTime();
    for (const [t, exp] of this.tokens) if (exp <= now) this.tokens.delete(t);
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, now + TOKEN_TTL_S * 1000);
    return { access_token: token, token_type: "Bearer", expires_in: TOKEN_TTL_S, scope: "" };
  }

  private tokenRoute = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const body: RawParams = typeof req.body === "string" ? parseForm(req.body) : ((req.body ?? {}) as RawParams);
    const oauth = (status: number, error: string, description: string) =>
      reply.code(status).send({ error, error_description: description });
    // RFC 6749 §3.2: each parameter at most once; and a JSON body's numbers are not the strings asked for
    let grant: string | undefined, formId: string | undefined, formSecret: string | undefined;
    try {
      grant = scalar(body, "grant_type");
      formId = scalar(body, "client_id");
      formSecret = scalar(body, "client_secret");
    } catch (e) {
      if (e instanceof TwilioError) return oauth(400, "invalid_request", e.message);
      throw e;
    }
    if (grant !== "client_credentials") return oauth(400, "unsupported_grant_type", "grant_type must be client_credentials");
    const basic = basicCredentials(req.headers.authorization);
    const id = basic?.[0] ?? formId;
    const secret = basic?.[1] ?? formSecret;
    if (id === undefined || secret === undefined) return oauth(400, "invalid_request", "client_id and client_secret are required");
    if (!same(id, this.o.accountSid) || !same(secret, this.o.authToken)) return oauth(401, "invalid_client", "Client authentication failed");
    void reply.header("cache-control", "no-store");
    return this.issue();
  };

  /** Installs the onRequest check and the token routes. */
  install(app: FastifyInstance): void {
    app.addHook("onRequest", (req, _reply, done) => {
      const cfg = req.routeOptions.config as { auth?: boolean } | undefined;
      if (cfg?.auth === false) return done();
      try {
        this.check(req);
        done();
      } catch (e) {
        done(e as Error);
      }
    });
    for (const path of ["/api-services/v1/auth/token", "/oauth/token"])
      app.post(path, { config: { auth: false } }, this.tokenRoute);
  }
}
