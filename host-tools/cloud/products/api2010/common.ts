/**
 * Shared pieces of the 2010 API (`/api/2010-04-01/…`, or Host api.twilio.com): the account check on
 * `/Accounts/{AccountSid}/…`, the optional `.json` suffix, and resource URIs relative to the API origin.
 */
import type { FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { displayPath, notFound } from "../../errors.js";

export const API_PREFIX = "/api/2010-04-01";
export const API_VERSION = "2010-04-01";

/** A route path and its `.json` twin: 2010 paths carry `.json` (the SDKs always send it). */
export function withJson(path: string): string[] {
  return [path, `${path}.json`];
}

/** A `:sid` path parameter without its `.json` suffix. */
export function stripJson(s: string): string {
  return s.endsWith(".json") ? s.slice(0, -5) : s;
}

/** 404/20404 unless the path's AccountSid is this mock's account (another account's data is never shown). */
export function checkAccount(ctx: CloudContext, req: FastifyRequest, accountSid: string): void {
  if (accountSid !== ctx.accountSid) throw notFound(displayPath(req.url));
}

/** 404/20404 for the request's own path. */
export function notFoundHere(req: FastifyRequest): Error {
  return notFound(displayPath(req.url));
}

/** `/2010-04-01/Accounts/AC…` (relative to https://api.twilio.com, as 2010 `uri` fields are). */
export function accountUri(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}`;
}
