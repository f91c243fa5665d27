/**
 * Lua PDU CLI (dist/firmware/lua/pdu.lua, TypeScriptToLua, Lua 5.3): `lua5.3 pdu.lua` reads one
 * JSON request per line on stdin and writes one JSON result per line on stdout (flushed per
 * line). Requests are those of ../shared/pdu-service.ts: `{ op, items }` → a JSON array, one
 * result per item; `{ pdu, smsc?, direction? }` → one object. Blank lines are skipped. Text is
 * UTF-8 bytes (utf8Text). An absent SMSC is written as `"smsc":null` through json.ts's JSON_NULL
 * sentinel, since a Lua table cannot hold nil.
 */
import { utf8Text } from "../../core/text.js";
import { runRequest } from "../shared/pdu-service.js";
import { JSON_NULL } from "./json.js";
import { serveLines } from "./serve-lines.js";

/** CPU time in milliseconds (os.clock); the Lua port has no wall clock without extra modules. */
function luaClockMs(): number {
  return os.clock() * 1000;
}

serveLines(function (request: unknown): unknown {
  return runRequest(request, utf8Text, JSON_NULL, { now: luaClockMs });
});
