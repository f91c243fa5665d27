/** `ping` → `pong` (DESIGN.md §6). */
import type { HandlerResult } from "./types.js";

export function ping(): HandlerResult {
  return { ok: true, value: "pong" };
}
