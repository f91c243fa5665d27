/** `ping` → `pong`: the liveness check (docs/agent.md). */
import type { HandlerResult } from "./types.js";

export function ping(): HandlerResult {
  return { ok: true, value: "pong" };
}
