/**
 * `config get <key>` / `config set <key> <value>` (docs/agent.md): the device settings, stored
 * under `c.<key>` (Moddable Preference keys are at most 15 characters).
 * CBOR: `a: ["get", key]` or `a: ["set", key, value]`.
 */
import type { CborValue } from "../../core/cbor.js";
import type { HandlerContext, HandlerResult } from "./types.js";

/** Settings a device has; anything else is refused. */
export const CONFIG_KEYS = ["device_port", "mo_address", "transport", "sim", "modem", "apn"];

function words(args: CborValue): string[] {
  const out: string[] = [];
  if (typeof args === "string") {
    let cur = "";
    for (let i = 0; i < args.length; i++) {
      const c = args.charAt(i);
      if (c === " ") {
        if (cur !== "") out.push(cur);
        cur = "";
      } else {
        cur += c;
      }
    }
    if (cur !== "") out.push(cur);
  } else if (Array.isArray(args)) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      out.push(typeof a === "string" ? a : typeof a === "number" ? "" + a : "");
    }
  }
  return out;
}

export function config(args: CborValue, ctx: HandlerContext): HandlerResult {
  const w = words(args);
  const op = w[0];
  const key = w[1];
  if (op !== "get" && op !== "set") return { ok: false, reason: "usage: config get <key> | config set <key> <value>" };
  if (key === undefined || CONFIG_KEYS.indexOf(key) < 0) return { ok: false, reason: "unknown key (one of " + CONFIG_KEYS.join(", ") + ")" };
  if (op === "get") {
    const v = ctx.storage.get("c." + key);
    return { ok: true, value: v === undefined ? "" : v };
  }
  const value = w.slice(2).join(" ");
  if (value === "") return { ok: false, reason: "config set needs a value" };
  if (value.length > 200) return { ok: false, reason: "value longer than 200 characters" };
  ctx.storage.set("c." + key, value);
  return { ok: true, value: value };
}
