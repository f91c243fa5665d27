/**
 * The Lua CLIs' request loop: one JSON request per stdin line in, one JSON answer per line out
 * (flushed per line); blank lines are skipped. Bad JSON and a failing handler become
 * `{error: {code, message}}` answers, never a crash.
 */
import { parseJson, stringifyJson } from "./json.js";

export function serveLines(handle: (request: unknown) => unknown): void {
  let line = io.read("l");
  while (line !== undefined) {
    if (line.length > 0) {
      let answer: string;
      const parsed = parseJson(line);
      if (!parsed.ok) {
        answer = stringifyJson({ error: { code: "invalid-request", message: "bad JSON: " + parsed.message } });
      } else {
        try {
          answer = stringifyJson(handle(parsed.value));
        } catch (e) {
          answer = stringifyJson({ error: { code: "internal", message: tostring(e) } });
        }
      }
      io.write(answer, "\n");
      io.stdout.flush();
    }
    line = io.read("l");
  }
}
