/**
 * The firmware PDU codec running in Lua 5.3 (TypeScriptToLua build, dist/firmware/lua/pdu.lua)
 * under Debian's `lua5.3`. One JSON request per line in, one JSON result per line out
 * (firmware/ports/lua/pdu-cli.ts). One process serves any number of requests, in order.
 *
 *   const lua = await LuaRuntime.start();
 *   await lua.request({ op: "decode", items: [hex] });  // → [result]
 *   await lua.close();
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { LineProcess, packageRoot } from "./line-process.js";

export interface LuaRuntimeOptions {
  /** The Lua interpreter. Default: "lua5.3" (or $SIMCMD_LUA when set). */
  lua?: string;
  /** The script to run. Default: <package>/dist/firmware/lua/pdu.lua. */
  script?: string;
}

export class LuaRuntime {
  readonly #proc: LineProcess;

  private constructor(proc: LineProcess) {
    this.#proc = proc;
  }

  static async start(options: LuaRuntimeOptions = {}): Promise<LuaRuntime> {
    const root = packageRoot();
    const lua = options.lua ?? process.env["SIMCMD_LUA"] ?? "lua5.3";
    const script = path.resolve(options.script ?? path.join(root, "dist/firmware/lua/pdu.lua"));
    const probe = spawnSync(lua, ["-v"], { stdio: "ignore" });
    if (probe.error !== undefined) {
      throw new Error(`${lua} not found: apt-get install lua5.3`);
    }
    if (!fs.existsSync(script)) {
      throw new Error(`lua runtime: ${script} is missing (run \`npm run build\` first)`);
    }
    return new LuaRuntime(new LineProcess("lua runtime", lua, [script], root));
  }

  /** Sends one request line; resolves with the parsed result line. */
  request(req: object): Promise<unknown> {
    return this.#proc.request(req);
  }

  async close(): Promise<void> {
    await this.#proc.close();
  }
}
