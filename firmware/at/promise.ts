/**
 * A promise wrapper over AtEngine.send for host code (Node, XS hosts): `await sendAsync(at,
 * "AT+CSQ", { prefix: "+CSQ:" })`. Not exported from index.ts: device bundles stay
 * callback-only (Espruino has Promise but no async/await; Lua has neither).
 */
import type { AtEngine } from "./engine.js";
import type { SendOptions } from "./options.js";
import type { AtResult } from "./results.js";

// The firmware tsconfig has only ES5 libraries; hosts have the real Promise. Declared here, in
// this module only, so the file type-checks in both builds.
declare const Promise: new <T>(executor: (resolve: (value: T) => void) => void) => PromiseLike<T>;

/** Resolves with the command's result; never rejects (timeouts and errors are results). */
export function sendAsync(engine: AtEngine, command: string, options?: SendOptions): PromiseLike<AtResult> {
  return new Promise<AtResult>((resolve) => {
    engine.send(command, options, resolve);
  });
}
