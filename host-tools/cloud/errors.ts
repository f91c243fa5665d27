/**
 * Twilio-shaped errors: `{code, message, more_info, status}` (the legacy 4-field shape; never the RFC 9457
 * one, which twilio-node ≥ 5.12 turns into another exception type).
 *
 * Codes used by the mock (documented ones, plus the mock-specific choices where Twilio documents none):
 * - 20001 (400) parameter errors: missing, unknown, repeated, wrong type, malformed form body, a value out
 *   of range (including an IP Command payload over 1300 bytes and an SMS over one message; no documented
 *   code exists for those). Unknown parameters are **rejected** (a typo must not pass silently), though the
 *   real API documents 20001 as a warning and ignores them.
 * - 20003 (401) authentication; 20404 (404) unknown resource/path; 20413 (413) body too large;
 *   20415 (415) unsupported content type (mock-specific); 20405 (405) method not allowed (with `Allow`);
 *   20403 (403) a create past the record cap; 20408 (408) a request that did not arrive in time; 20431 (431)
 *   headers too large; 20503 (503) too many event streams (all mock-specific);
 *   20500 (500) a bug in the mock — never for bad input.
 * - Products add their own (83xxx Super SIM, 331xx Wireless, …) by throwing `new TwilioError(…)`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export class TwilioError extends Error {
  readonly status: number;
  readonly code: number;
  /** Extra fields put into the body (e.g. `detail` on 401s). */
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "TwilioError";
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
  get moreInfo(): string {
    return `https://www.twilio.com/docs/errors/${this.code}`;
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, more_info: this.moreInfo, status: this.status, ...this.extra };
  }
}

/** 400/20001 — a parameter problem; the message names the parameter. */
export function badParam(message: string): TwilioError {
  return new TwilioError(400, 20001, message);
}

/** 404/20404 with Twilio's wording; `path` is shown without the product prefix (`/IpCommands/HG…`). */
export function notFound(path: string): TwilioError {
  return new TwilioError(404, 20404, `The requested resource ${path} was not found`);
}

/** 401/20003. */
export function authError(message = "Authentication Error - No credentials provided"): TwilioError {
  return new TwilioError(401, 20003, message, { detail: "Your AccountSid or AuthToken was incorrect." });
}

/** The request path as Twilio's 404 messages show it: product prefix and query removed. */
export function displayPath(url: string): string {
  const path = url.split("?")[0] ?? url;
  const m = /^\/(supersim|wireless|huawei)(\/v\d+)?(\/.*)?$/.exec(path);
  if (m) return m[3] ?? "/";
  return path.replace(/^\/api(?=\/2010-04-01)/, "");
}

/** The `errors` member of CloudContext: the constructors above. */
export const errors = { TwilioError, badParam, notFound, authError, displayPath };
export type Errors = typeof errors;

function send(reply: FastifyReply, e: TwilioError): void {
  void reply.code(e.status).header("content-type", "application/json; charset=utf-8").send(e.toJSON());
}

/** The Twilio code the mock gives an HTTP status of its own (malformed requests, timeouts, 405 …). */
function codeOf(status: number): number {
  return status === 400 ? 20001 : 20000 + status;
}

/** Errors answered before routing (host-tools/http/server.ts), in the Twilio shape. */
export function twilioShape(status: number, message: string): { type: string; body: string } {
  return { type: "application/json; charset=utf-8", body: JSON.stringify(new TwilioError(status, codeOf(status), message).toJSON()) };
}

/**
 * Installs the error and not-found handlers: every failure is a Twilio-shaped body; bad input is never a 500.
 * `allowed(url)`: the methods routes take at a path, so a wrong method is 405/20405 (with `Allow`), not 404.
 */
export function installErrorHandlers(app: FastifyInstance, allowed: (url: string) => string[] = () => []): void {
  app.setErrorHandler((err: FastifyError | TwilioError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof TwilioError) return send(reply, err);
    const code = (err as FastifyError).code;
    const status = (err as FastifyError).statusCode;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return send(reply, new TwilioError(413, 20413, "Request Entity Too Large"));
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return send(reply, new TwilioError(415, 20415, `Unsupported Content-Type: ${String(req.headers["content-type"])}`));
    if (code === "FST_ERR_CTP_EMPTY_JSON_BODY" || code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err as FastifyError).validation)
      return send(reply, badParam(`Malformed request body: ${err.message}`));
    if (typeof status === "number" && status >= 400 && status < 500) return send(reply, new TwilioError(status, codeOf(status), err.message));
    req.log.error({ err }, "mock cloud internal error");
    return send(reply, new TwilioError(500, 20500, "Internal Server Error"));
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const allow = allowed(req.url);
    if (allow.length === 0) return send(reply, notFound(displayPath(req.url)));
    void reply.header("allow", allow.join(", "));
    return send(reply, new TwilioError(405, 20405, `The requested resource ${displayPath(req.url)} does not allow ${req.method}; allowed: ${allow.join(", ")}`));
  });
}
