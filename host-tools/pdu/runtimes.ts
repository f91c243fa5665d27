/**
 * Decoding in a chosen runtime: Node (this process), XS (xsnap child) or Lua (lua5.3 child).
 * All three run the same firmware/core code and give the same JSON (docs/pdu.md).
 */
import { LuaRuntime } from "../runtimes/lua.js";
import { XsRuntime } from "../runtimes/xs.js";
import { decodePdu } from "./index.js";

export type Runtime = "node" | "xs" | "lua";

export interface DecodeItem {
  hex: string;
  smsc: boolean;
  direction: "mt" | "mo" | "auto";
}

/** A decoded PDU object, or `{error: {code, message}}`. */
export type DecodeOutput = object | { error: { code: string; message: string } };

function decodeHere(item: DecodeItem): DecodeOutput {
  try {
    return decodePdu(item.hex, { smsc: item.smsc, direction: item.direction });
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { error: { code: err.code ?? "internal", message: err.message } };
  }
}

/** Decodes every item in the runtime, in order. Starts and stops the runtime's process. */
export async function decodeMany(items: DecodeItem[], runtime: Runtime): Promise<DecodeOutput[]> {
  if (runtime === "node" || items.length === 0) return items.map(decodeHere);
  const rt = runtime === "xs" ? await XsRuntime.start() : await LuaRuntime.start();
  try {
    const req = { op: "decode", items: items.map((i) => ({ pdu: i.hex, smsc: i.smsc, direction: i.direction })) };
    const out = await rt.request(req);
    if (!Array.isArray(out) || out.length !== items.length) throw new Error(`${runtime} runtime returned ${Array.isArray(out) ? out.length : "no"} results for ${items.length} inputs`);
    return out as DecodeOutput[];
  } finally {
    await rt.close();
  }
}
