/**
 * Command line parsing, ITU-T V.250 §5.2–5.4: the "AT" prefix, basic commands (E0, V1, Q0, Z, I, &F, S3=13)
 * that may follow one another, and extended commands (+NAME, &… , $…) separated by ";".
 * Each command comes out as its name, its form (exec, set "=", read "?", test "=?") and raw arguments.
 */

export type CommandForm = "exec" | "set" | "read" | "test";

export interface AtCommand {
  /** Upper-case name: "+CMGS", "E", "V", "&F", "S3", "I". */
  name: string;
  form: CommandForm;
  /** Arguments as written (quotes kept), split on commas outside quotes, trimmed. Basic commands: [number] when given. */
  args: string[];
  /** The command as written, for logs. */
  text: string;
}

/** Splits a parameter list on commas outside double quotes. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.length === 1 && out[0] === "" ? [] : out;
}

/** Finds where the next ";" outside quotes is, or the end. */
function endOfExtended(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (s[i] === ";" && !quoted) return i;
  }
  return s.length;
}

function extended(body: string): AtCommand {
  const m = /^([+$&%^#*][A-Za-z0-9_!%&./:-]*)(=\?|\?|=)?(.*)$/s.exec(body);
  if (m === null) return { name: body.toUpperCase(), form: "exec", args: [], text: body };
  const name = (m[1] as string).toUpperCase();
  const op = m[2];
  const form: CommandForm = op === "=?" ? "test" : op === "?" ? "read" : op === "=" ? "set" : "exec";
  return { name, form, args: form === "set" ? splitArgs(m[3] ?? "") : [], text: body };
}

/**
 * Parses one command line (without the final CR). Returns null when it has no "AT" prefix;
 * characters before "AT" are discarded as V.250 §5.2.1 says. Throws SyntaxError on a malformed line.
 */
export function parseCommandLine(line: string): AtCommand[] | null {
  const at = line.toUpperCase().indexOf("AT");
  if (at < 0) return null;
  const s = line.slice(at + 2).trim();
  const out: AtCommand[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ";" || c === " ") {
      i++;
      continue;
    }
    if (c === "+" || c === "$" || c === "%" || c === "^" || c === "#" || c === "*" || (c === "&" && /[A-Za-z]{2}/.test(s.slice(i + 1, i + 3)))) {
      const end = endOfExtended(s, i);
      out.push(extended(s.slice(i, end)));
      i = end;
      continue;
    }
    const u = c.toUpperCase();
    if (u === "S") {
      const m = /^[Ss](\d+)(=\?|\?|=)?(\d*)/.exec(s.slice(i));
      if (m === null) throw new SyntaxError(`bad S-register command at '${s.slice(i)}'`);
      const form: CommandForm = m[2] === "?" ? "read" : m[2] === "=?" ? "test" : m[2] === "=" ? "set" : "exec";
      out.push({ name: "S" + m[1], form, args: m[3] !== "" ? [m[3] as string] : [], text: m[0] });
      i += m[0].length;
      continue;
    }
    if (u === "D") {
      const end = endOfExtended(s, i);
      out.push({ name: "D", form: "exec", args: [s.slice(i + 1, end)], text: s.slice(i, end) });
      i = end;
      continue;
    }
    const m = /^(&?[A-Za-z])(\?|=\?|=)?(\d*)/.exec(s.slice(i));
    if (m === null) throw new SyntaxError(`unexpected '${c}'`);
    const form: CommandForm = m[2] === "?" ? "read" : m[2] === "=?" ? "test" : m[2] === "=" ? "set" : "exec";
    out.push({ name: (m[1] as string).toUpperCase(), form, args: m[3] !== "" ? [m[3] as string] : [], text: m[0] });
    i += m[0].length;
  }
  return out;
}

/** The value of a string parameter: quotes removed. */
export function unquote(arg: string | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const a = arg.trim();
  return a.length >= 2 && a.startsWith('"') && a.endsWith('"') ? a.slice(1, -1) : a;
}

/** An integer parameter; undefined when absent or empty; NaN when not a number. */
export function intArg(arg: string | undefined): number | undefined {
  if (arg === undefined) return undefined;
  const a = unquote(arg) as string;
  if (a === "") return undefined;
  return /^-?\d+$/.test(a) ? Number(a) : NaN;
}
