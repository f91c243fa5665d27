/**
 * Loads dist/firmware/espruino/pdu.js as Espruino would (a plain script defining the global
 * `simcmdPdu`), inside a Node `vm` context from which the globals Espruino lacks (Map, Set,
 * Symbol, …) have been removed, so a bundle that relies on them fails here too.
 */
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { BANNED_GLOBALS } from "./es5-check.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** The path of a built artifact; throws a clear message when `npm run build` has not run. */
export function builtFile(relative: string): string {
  const file = path.join(ROOT, relative);
  if (!fs.existsSync(file)) throw new Error(`${relative} is missing: run \`npm run build\` first`);
  return file;
}

export interface EspruinoPdu {
  decode(hex: unknown, options?: { smsc?: boolean; direction?: string }): Record<string, unknown>;
  encode(pdu: unknown, options?: { smsc?: boolean }): Record<string, unknown>;
  encodeSubmit(options: unknown): Record<string, unknown>;
  text(s: string): { code_points: number[]; text: string };
}

export function loadEspruinoBundle(): EspruinoPdu {
  const code = fs.readFileSync(builtFile("dist/firmware/espruino/pdu.js"), "utf8");
  const context = vm.createContext({});
  vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
  vm.runInContext(code, context, { filename: "espruino/pdu.js" });
  return (context as { simcmdPdu: EspruinoPdu }).simcmdPdu;
}

/** A UTF-8 byte string (one char per octet) as the Unicode string it encodes. */
export function fromUtf8Bytes(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** A Unicode string as a UTF-8 byte string. */
export function toUtf8Bytes(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}
