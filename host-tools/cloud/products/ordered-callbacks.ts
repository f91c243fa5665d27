/**
 * Status callbacks of one resource delivered strictly one after another (`sent` before `delivered`), on top
 * of ctx.callbacks.deliver (which signs, retries and records). Different resources do not wait for each other.
 */
import type { CallbackRequest } from "../callbacks.js";
import type { CloudContext } from "../context.js";

const chains = new WeakMap<CloudContext, Map<string, Promise<unknown>>>();

export function sendInOrder(ctx: CloudContext, key: string, req: CallbackRequest): void {
  let m = chains.get(ctx);
  if (!m) chains.set(ctx, (m = new Map()));
  const map = m;
  const next = (map.get(key) ?? Promise.resolve()).then(() => ctx.callbacks.deliver(req));
  map.set(key, next);
  void next.finally(() => {
    if (map.get(key) === next) map.delete(key);
  });
}
