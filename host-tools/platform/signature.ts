/**
 * Webhook signatures of the platforms, made by the mock cloud (its callbacks) and checked by the bridge.
 *
 * - `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the auth token, over the full URL followed by each
 *   POST parameter name+value sorted by name (array values de-duplicated and sorted). GET: URL only.
 * - `kore-signature` (KORE's Super SIM and Wireless): hex SHA-256 (a plain hash) of secret + METHOD + URL
 *   without query/fragment + raw body.
 *
 * `validateSignature` is what a receiver (the bridge, a test) uses; like twilio-node's validateRequest it
 * also accepts the URL with the default port added or removed.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type SignParams = Record<string, string | string[] | undefined>;

/** The X-Twilio-Signature value for `url` and form params (pass {} for GET). */
export function twilioSignature(authToken: string, url: string, params: SignParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const v = params[name];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? [...new Set(v)].sort() : [v];
    for (const x of values) data += name + x;
  }
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}

/** The kore-signature value: sha256(secret + METHOD + url-without-query + rawBody), hex. Empty secret → "". */
export function koreSignature(secret: string, method: string, url: string, rawBody: string): string {
  if (secret === "") return "";
  const u = url.split("#")[0]?.split("?")[0] ?? url;
  return createHash("sha256").update(secret + method.toUpperCase() + u + rawBody, "utf8").digest("hex");
}

function eq(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function portVariants(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    const dflt = u.protocol === "https:" ? "443" : "80";
    if (u.port === "") {
      const withPort = `${u.protocol}//${u.username ? u.username + (u.password ? ":" + u.password : "") + "@" : ""}${u.hostname}:${dflt}${u.pathname}${u.search}`;
      out.push(withPort);
    } else if (u.port === dflt) {
      out.push(url.replace(`:${dflt}`, ""));
    }
  } catch {
    /* not a URL: only the literal form */
  }
  return out;
}

/**
 * True when `signature` (the X-Twilio-Signature header) matches `url` (exactly as the caller requested it,
 * query included) and the decoded form params (POST) or {} (GET).
 */
export function validateSignature(authToken: string, signature: string | undefined, url: string, params: SignParams = {}): boolean {
  // an empty key is a key anyone can sign with: nothing is valid under it
  if (authToken === "" || signature === undefined || signature === "") return false;
  if (eq(twilioSignature(authToken, url, params), signature)) return true;
  return portVariants(url).slice(1).some((u) => eq(twilioSignature(authToken, u, params), signature));
}

/** True when `signature` (the kore-signature header) matches; never under an empty secret. */
export function validateKoreSignature(secret: string, signature: string | undefined, method: string, url: string, rawBody: string): boolean {
  if (secret === "" || signature === undefined || signature === "") return false;
  return eq(koreSignature(secret, method, url, rawBody), signature);
}
