/**
 * The device agent in Lua 5.3 (dist/firmware/lua/agent.lua, TypeScriptToLua): `lua5.3 agent.lua`
 * reads one JSON request per line on stdin and writes one JSON answer per line — the requests of
 * ../shared/agent-service.ts (init, ip, sms). Storage is in memory here; a NodeMCU build would
 * back the same KeyValueStore with its `file` module. Text is UTF-8 bytes (utf8Text).
 */
import { MemoryStore } from "../../hal/storage.js";
import { utf8Text } from "../../core/text.js";
import { createAgentService } from "../shared/agent-service.js";
import { serveLines } from "./serve-lines.js";

/** Milliseconds of CPU time: the agent only needs a clock that never goes back (uptime). */
function nowMs(): number {
  return Math.floor(os.clock() * 1000);
}

const service = createAgentService(new MemoryStore(), { now: nowMs }, utf8Text);

serveLines(function (request: unknown): unknown {
  if (typeof request !== "object" || request === null) return { error: { code: "invalid-request", message: "a request is a JSON object" } };
  return service.run(request as { [key: string]: unknown });
});
