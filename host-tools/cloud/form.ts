/**
 * Strict application/x-www-form-urlencoded parsing and typed parameter reading.
 *
 * - `parseForm(body)` → `RawParams` (null-prototype record; a repeated key gives a string[]); a malformed
 *   percent escape or a key without a name is a 400/20001 TwilioError, never a 500.
 * - `readParams(raw, spec)` → typed values by a declared spec. Unknown names → 400/20001 (see errors.ts);
 *   a scalar given twice → 400; a missing required one → 400 "Missing required parameter X in the post body";
 *   integers must be decimal, booleans `true`/`false` (any case), enums exact, uris absolute http(s).
 *   An empty value means "not given" for optional params, except `type: "string"` with `empty: true`.
 *
 * Example:
 *   const p = readParams(req.body, {
 *     Sim: { type: "string", required: true },
 *     DevicePort: { type: "integer", required: true, min: 0, max: 65535 },
 *     CallbackMethod: { type: "enum", values: ["GET", "POST"] },
 *   } as const);            // p.Sim: string, p.DevicePort: number, p.CallbackMethod?: "GET" | "POST"
 */
import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import { FormError, parseUrlEncoded } from "../http/form-body.js";
import { jsonDepthProblem } from "../http/json-depth.js";
import { badParam } from "./errors.js";

export type RawParams = Record<string, string | string[] | undefined>;

export type FieldSpec =
  | { type: "string"; required?: boolean; maxLength?: number; empty?: boolean }
  | { type: "uri"; required?: boolean }
  | { type: "integer"; required?: boolean; min?: number; max?: number }
  | { type: "boolean"; required?: boolean }
  | { type: "enum"; required?: boolean; values: readonly string[] }
  | { type: "list"; required?: boolean };

type ValueOf<F> = F extends { type: "integer" }
  ? number
  : F extends { type: "boolean" }
    ? boolean
    : F extends { type: "enum"; values: readonly (infer V)[] }
      ? V
      : F extends { type: "list" }
        ? string[]
        : string;

type RequiredKeys<S> = { [K in keyof S]: S[K] extends { required: true } ? K : never }[keyof S];
type OptionalKeys<S> = Exclude<keyof S, RequiredKeys<S>>;
export type Parsed<S> = { [K in RequiredKeys<S>]: ValueOf<S[K]> } & { [K in OptionalKeys<S>]?: ValueOf<S[K]> };

/** Parses a form body strictly (linear, bounded: host-tools/http/form-body.ts). Empty input → no params. */
export function parseForm(body: string): RawParams {
  try {
    return parseUrlEncoded(body);
  } catch (e) {
    if (e instanceof FormError) throw badParam(`Malformed form body: ${e.message}`);
    throw e;
  }
}

/**
 * Registers the strict parser for form bodies, and a JSON parser (fastify's own, for the /_mock/ and Huawei
 * routes) in front of which the same check runs: a body that is not valid UTF-8 is a 400/20001, never
 * silently turned into U+FFFD replacement characters.
 */
export function installFormParser(app: FastifyInstance): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, (_req, body, done) => {
    try {
      const buf = body as Buffer;
      if (!isUtf8(buf)) throw badParam("Malformed form body: not valid UTF-8");
      done(null, parseForm(buf.toString("utf8")));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const buf = body as Buffer;
    if (!isUtf8(buf)) return done(badParam("Malformed JSON body: not valid UTF-8"), undefined);
    const text = buf.toString("utf8");
    const deep = jsonDepthProblem(text);
    if (deep !== null) return done(badParam(`Malformed JSON body: ${deep}`), undefined);
    json(req, text, done);
  });
}

/** One parameter as a string (undefined when absent); 400/20001 when repeated or not a string (a JSON body). */
export function scalar(raw: RawParams, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || typeof v === "string") return v;
  if (Array.isArray(v)) throw badParam(`Parameter ${name} was given more than once`);
  // Only a JSON body can get here (form values are strings): a number, object, null… is the wrong type.
  throw badParam(`Parameter ${name} must be a string (form-encoded) value`);
}

function convert(name: string, v: string, f: FieldSpec): unknown {
  switch (f.type) {
    case "string":
      if (f.maxLength !== undefined && [...v].length > f.maxLength)
        throw badParam(`Parameter ${name} is longer than ${f.maxLength} characters`);
      return v;
    case "uri": {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw badParam(`Parameter ${name} is not a valid URL: ${v}`);
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") throw badParam(`Parameter ${name} must be an http(s) URL`);
      return v;
    }
    case "integer": {
      // canonical decimal only: no sign on zero, no leading zeros ("-0" would pass a min of 0 as -0)
      if (!/^(0|-?[1-9]\d{0,14})$/.test(v)) throw badParam(`Parameter ${name} must be an integer, got '${v}'`);
      const n = Number(v);
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        throw badParam(`Parameter ${name} must be between ${f.min ?? "-∞"} and ${f.max ?? "∞"}, got ${n}`);
      return n;
    }
    case "boolean": {
      const l = v.toLowerCase();
      if (l !== "true" && l !== "false") throw badParam(`Parameter ${name} must be true or false, got '${v}'`);
      return l === "true";
    }
    case "enum":
      if (!f.values.includes(v)) throw badParam(`Parameter ${name} must be one of ${f.values.join(", ")}, got '${v}'`);
      return v;
    case "list":
      return [v];
  }
}

/** Options: `where` = "post body" (default) or "query" (for messages). */
export function readParams<const S extends Record<string, FieldSpec>>(
  rawIn: unknown,
  spec: S,
  options: { where?: "post body" | "query"; ignore?: readonly string[] } = {},
): Parsed<S> {
  const raw = (rawIn ?? {}) as RawParams;
  if (typeof raw !== "object" || Array.isArray(raw)) throw badParam("Malformed request body");
  let unknown: string[] | null = null;
  for (const k in raw) if (!Object.hasOwn(spec, k) && !(options.ignore !== undefined && options.ignore.includes(k))) (unknown ??= []).push(k);
  if (unknown !== null) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
  const out: Record<string, unknown> = {};
  for (const name in spec) {
    const f = spec[name] as FieldSpec;
    if (f.type === "list") {
      const v = raw[name];
      const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
      if (list.some((x) => typeof x !== "string")) throw badParam(`Parameter ${name} must be a list of string values`);
      if (f.required && list.length === 0) throw badParam(`Missing required parameter ${name} in the ${options.where ?? "post body"}`);
      if (v !== undefined) out[name] = list;
      continue;
    }
    const v = scalar(raw, name);
    const empty = v === undefined || (v === "" && !(f.type === "string" && f.empty));
    if (empty) {
      if (f.required) throw badParam(`Missing required parameter ${name} in the ${options.where ?? "post body"}`);
      continue;
    }
    out[name] = convert(name, v, f);
  }
  return out as Parsed<S>;
}

/** Which of `names` were present in the raw params (even empty): for updates that clear a field with "". */
export function given(rawIn: unknown, name: string): boolean {
  return typeof rawIn === "object" && rawIn !== null && (rawIn as RawParams)[name] !== undefined;
}

/** 400/20001 naming every key of `b` that is not in `allowed` (unknown parameters are never ignored). */
export function onlyKeys(b: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw badParam(`Unknown parameters: ${unknown.join(", ")}`);
}

/** The JSON body of a mock-only route (absent: `{}`): an object, else 400/20001; with `allowed`, only those keys. */
export function jsonObject(body: unknown, allowed?: readonly string[]): Record<string, unknown> {
  const b = body ?? {};
  if (typeof b !== "object" || Array.isArray(b)) throw badParam("The body must be a JSON object");
  const o = b as Record<string, unknown>;
  if (allowed !== undefined) onlyKeys(o, allowed);
  return o;
}
