/**
 * Nesting depth of JSON text, measured before it is parsed: a value nested thousands deep parses, but
 * JSON.stringify (and any recursive walk) of it overflows the stack later — a 500 on an HTTP route, a
 * message never acknowledged on MQTT. Every JSON body from the network goes through `jsonDepthProblem`.
 *
 *   jsonDepthProblem('{"a":[1,{"b":2}]}', 64)   // → null (depth 3)
 */

/** Nesting allowed for JSON from the network. */
export const MAX_JSON_DEPTH = 64;

/** Why `text` is nested too deep (null when it is not); one pass, strings skipped. */
export function jsonDepthProblem(text: string, max = MAX_JSON_DEPTH): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return `JSON nested deeper than ${max} levels`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}
