/**
 * The query the bridge puts in every status-callback URL it gives a platform: `dl` (its downlink row) and
 * `id` (the request id), so that any instance can correlate the callback, bound together by `t`, an HMAC
 * of both made with the bridge's callback key; Huawei URLs also carry `k`, the token that stands in for the
 * signature Huawei does not make.
 *
 * Why `t`: a kore-signature covers the URL without its query, so under KORE anyone who saw one signed
 * callback could replay it with another `dl`/`id`. A callback whose `t` does not match has its `dl` and
 * `id` ignored (the bridge then correlates by the platform's reference alone), never trusted.
 *
 * The key is derived from the secrets the bridge is configured with (auth token, else KORE secret, else
 * Huawei secret), so every instance that shares them accepts the others' callbacks, and a restart keeps
 * accepting the callbacks of commands sent before it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { BridgeConfig } from "./config.js";

/** The key (empty when the bridge has no secret at all, which only `signature: off` allows). */
export function callbackKey(cfg: BridgeConfig): string {
  const secret = cfg.twilio.authToken || cfg.twilio.koreSecret || cfg.huawei.secret;
  return secret === "" ? "" : createHmac("sha256", secret).update("simcmd-bridge callback key").digest("hex");
}

/** The token the bridge adds to its Huawei callback URL (never empty while the bridge has a secret). */
export function huaweiToken(cfg: BridgeConfig): string {
  const secret = cfg.huawei.secret || callbackKey(cfg);
  return secret === "" ? "" : createHmac("sha256", secret).update("simcmd-bridge huawei callback").digest("hex").slice(0, 24);
}

/** The path Huawei's NA callback uses: `https://server:port/v1.0.0/messageReceiver/cmd`. */
export const HUAWEI_NA_PATH = "/v1.0.0/messageReceiver/cmd";

/**
 * The callback URL to register with the Huawei platform (for commands the bridge did not create, and as the
 * NA's subscribed address): the NA path under `publicUrl`, with the token as `k` — the notification itself
 * carries no credential, so the URL does.
 */
export function huaweiCallbackUrl(publicUrl: string, cfg: BridgeConfig): string {
  const token = huaweiToken(cfg);
  return token === "" ? `${publicUrl}${HUAWEI_NA_PATH}` : `${publicUrl}${HUAWEI_NA_PATH}?k=${token}`;
}

function bind(key: string, dl: string, id: string): string {
  return createHmac("sha256", key).update(`${dl}\n${id}`).digest("hex").slice(0, 32);
}

/** `dl=…&id=…&t=…` for a callback URL (no `t` when the bridge has no key). */
export function callbackQuery(key: string, dl: number, id: string): string {
  const q = `dl=${dl}&id=${encodeURIComponent(id)}`;
  return key === "" ? q : `${q}&t=${bind(key, String(dl), id)}`;
}

/**
 * The query with `dl` and `id` removed unless `t` binds them (with no key — `signature: off` — they are
 * taken as they are). `q` is not changed.
 */
export function boundQuery<Q extends Record<string, string | undefined>>(key: string, q: Q): Q {
  if (key === "" || (q.dl === undefined && q.id === undefined)) return q;
  const t = q.t;
  const want = bind(key, q.dl ?? "", q.id ?? "");
  if (typeof t === "string" && t.length === want.length && timingSafeEqual(Buffer.from(t), Buffer.from(want))) return q;
  const out = { ...q };
  delete out.dl;
  delete out.id;
  return out;
}
