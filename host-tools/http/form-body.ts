/**
 * application/x-www-form-urlencoded (and query string) parsing for every server of the package: the mock
 * cloud's strict parameter reader and the bridge's webhooks both go through `parseUrlEncoded`.
 *
 * Hostile input is bounded before anything grows: one pass over the text (a repeated key appends to its
 * list in place), at most `maxParams` pairs and `maxValues` values for one name, else a FormError. Percent
 * escapes are decoded strictly: a `%` not followed by two hex digits, or bytes that are not UTF-8, are a
 * FormError, never a silent U+FFFD.
 *
 *   parseUrlEncoded("a=1&b=2&a=3")   // → {a: ["1", "3"], b: "2"} (a null-prototype record)
 */

export type FormParams = Record<string, string | string[] | undefined>;

export interface FormLimits {
  /** Pairs at most (`a=1&a=2` is two). Default 1000. */
  maxParams?: number;
  /** Values for one name at most. Default 100. */
  maxValues?: number;
}

export const FORM_MAX_PARAMS = 1000;
export const FORM_MAX_VALUES = 100;

export class FormError extends Error {
  override name = "FormError";
}

function decode(s: string, what: () => string): string {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
  try {
    return decodeURIComponent(s.indexOf("+") < 0 ? s : s.replace(/\+/g, " "));
  } catch {
    throw new FormError(`invalid percent-encoding in ${what()}`);
  }
}

/** Parses `text` (no leading `?`). Empty pairs (`a=1&&b=2`) are skipped; a pair without `=` has the value "". */
export function parseUrlEncoded(text: string, limits: FormLimits = {}): FormParams {
  const maxParams = limits.maxParams ?? FORM_MAX_PARAMS;
  const maxValues = limits.maxValues ?? FORM_MAX_VALUES;
  const out = Object.create(null) as FormParams;
  let pairs = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (++pairs > maxParams) throw new FormError(`more than ${maxParams} parameters`);
      const pair = text.slice(start, end);
      const eq = pair.indexOf("=");
      const key = decode(eq < 0 ? pair : pair.slice(0, eq), () => "a parameter name");
      if (key === "") throw new FormError("a parameter without a name");
      const value = eq < 0 ? "" : decode(pair.slice(eq + 1), () => `parameter ${key}`);
      const prev = out[key];
      if (prev === undefined) out[key] = value;
      else if (typeof prev === "string") out[key] = maxValues < 2 ? tooMany(key, maxValues) : [prev, value];
      else if (prev.length >= maxValues) tooMany(key, maxValues);
      else prev.push(value);
    }
    start = end + 1;
  }
  return out;
}

function tooMany(key: string, max: number): never {
  throw new FormError(`parameter ${key} is given more than ${max} times`);
}
