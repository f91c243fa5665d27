/**
 * One server, several products. Routes are registered under a path prefix:
 *   /supersim/v1/…  /wireless/v1/…  /api/2010-04-01/…  /huawei/…
 * A request whose Host names a product (supersim.twilio.com, wireless.twilio.com, api.twilio.com,
 * supersim.api.korewireless.com, programmable-wireless.api.korewireless.com) and whose path lacks the
 * prefix is rewritten to the prefixed path before routing (fastify `rewriteUrl`), so
 * `curl -H 'Host: supersim.twilio.com' http://127.0.0.1:P/v1/Sims` works.
 * `baseUrl(req, product)` gives the origin the caller used plus the prefix if it used one: the base for
 * every `url`/paging link in responses, so links point back at the mock the way it was reached.
 * `X-Forwarded-Proto` / `X-Forwarded-Host` are honoured only from a trusted proxy (`startCloud({trustProxy})`,
 * fastify's `trustProxy`): from anyone else they would point a client's next page — credentials and all — at
 * another host.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyRequest } from "fastify";

export type Product = "supersim" | "wireless" | "api" | "huawei";
export const PRODUCTS: readonly Product[] = ["supersim", "wireless", "api", "huawei"];

/** Host name (port removed, lower case) → product. */
export const PRODUCT_HOSTS: Readonly<Record<string, Product>> = {
  "supersim.twilio.com": "supersim",
  "wireless.twilio.com": "wireless",
  "api.twilio.com": "api",
  "supersim.api.korewireless.com": "supersim",
  "programmable-wireless.api.korewireless.com": "wireless",
};

/** KORE hosts (their callbacks also carry `kore-signature`; Bearer tokens are meant for them). */
export const KORE_HOSTS: readonly string[] = ["supersim.api.korewireless.com", "programmable-wireless.api.korewireless.com", "api.korewireless.com"];

export function hostName(host: string | undefined): string {
  if (host === undefined) return "";
  return host.replace(/:\d+$/, "").toLowerCase();
}

/** For fastify's `rewriteUrl`: adds the product prefix when the Host header names a product. */
export function rewriteUrl(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const host = hostName(req.headers.host);
  const product = Object.hasOwn(PRODUCT_HOSTS, host) ? PRODUCT_HOSTS[host] : undefined;
  if (product === undefined) return url;
  if (url === `/${product}` || url.startsWith(`/${product}/`) || url.startsWith(`/${product}?`) || url.startsWith("/_mock")) return url;
  return `/${product}${url}`;
}

/** True when the request reached the product through its Host header (no prefix in the original URL). */
export function viaHost(req: FastifyRequest): boolean {
  return req.originalUrl !== req.url;
}

/** Origin as the caller reached us: `http://127.0.0.1:4010` (X-Forwarded-* only through a trusted proxy). */
export function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host || "localhost"}`;
}

/** Base URL of `product` for links in responses: `http://127.0.0.1:4010/supersim` or `http://supersim.twilio.com`. */
export function baseUrl(req: FastifyRequest, product: Product): string {
  return viaHost(req) ? origin(req) : `${origin(req)}/${product}`;
}

/** The product a (rewritten) URL belongs to, or null for /_mock/ and others. */
export function productOf(url: string): Product | null {
  const first = url.split("?")[0]?.split("/")[1] ?? "";
  return (PRODUCTS as readonly string[]).includes(first) ? (first as Product) : null;
}
