/**
 * The device agent in Lua 5.3 (dist/firmware/lua/agent.lua, TypeScriptToLua): `lua5.3 agent.lua`
 * reads one JSON request per line on stdin and writes one JSON answer per line — the requests of
 * ../shared/agent-service.ts (init, ip, sms). Storage is in memory here; a NodeMCU build would
 * back the same KeyValueStore with its `file` module. Text is UTF-8 bytes (utf8Text).
 */
import { MemoryStore } from "../../hal/storage.js";
import { utf8Text } from "../../core/text.js";
import { createAgentService } from "../shared/agent-service.js";
import { parseJson, stringifyJson } from "./json.js";

/** Milliseconds of CPU time: the agent only needs a clock that never goes back (uptime). */
function nowMs(): number {
  return Math.floor(os.clock() * 1000);
}

const service = createAgentService(new MemoryStore(), nowMs, utf8Text);

function handleLine(line: string): string {
  const parsed = parseJson(line);
  if (!parsed.ok) return stringifyJson({ error: { code: "invalid-request", message: "bad JSON: " + parsed.message } });
  const req = parsed.value;
  if (typeof req !== "object" || req === null) return stringifyJson({ error: { code: "invalid-request", message: "a request is a JSON object" } });
  try {
    return stringifyJson(service.run(req as { [key: string]: unknown }));
  } catch (e) {
    return stringifyJson({ error: { code: "internal", message: tostring(e) } });
  }
}

let line = io.read("l");
while (line !== undefined) {
  if (line.length > 0) {
    io.write(handleLine(line), "\n");
    io.stdout.flush();
  }
  line = io.read("l");
}
