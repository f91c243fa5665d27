/** `info` → firmware version, runtime, uptime and modem (docs/agent.md). */
import type { HandlerContext, HandlerResult } from "./types.js";

export function info(_args: unknown, ctx: HandlerContext): HandlerResult {
  const i = ctx.info;
  if (ctx.envelope === "cbor") {
    return { ok: true, value: { version: i.version, runtime: i.runtime, uptime_s: ctx.uptimeSeconds, modem: i.modem } };
  }
  return { ok: true, value: "simcmd " + i.version + " runtime=" + i.runtime + " uptime=" + ctx.uptimeSeconds + "s modem=" + i.modem };
}
