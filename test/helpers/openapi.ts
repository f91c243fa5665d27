/**
 * Validates JSON against the platforms' official OpenAPI specs with ajv: the directory SIMCMD_SPECS names, else a
 * `specs` folder beside the checkout (the specs are not part of this repository).
 *
 *   const check = schemaValidator("twilio_supersim_v1.json", "supersim.v1.ip_command");
 *   expectValid(check, body);                          // throws with ajv's messages when invalid
 *   const list = responseValidator("twilio_supersim_v1.json", "/v1/IpCommands", "get");   // the inline 200 schema
 *
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a type union with "null" (also on enums and $refs),
 * `#/components/schemas/X` refs resolve inside the same spec, vendor keys (x-twilio) and `format`s that
 * ajv-formats lacks (uri-map, http-method, date-time-rfc-2822, phone-number, …) are accepted.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const SPECS = process.env.SIMCMD_SPECS ?? join(dirname(fileURLToPath(import.meta.url)), "../../../shared/specs");

type Json = Record<string, unknown>;
const specs = new Map<string, Json>();
const ajvs = new Map<string, Ajv>();
const cache = new Map<string, ValidateFunction>();

function spec(file: string): Json {
  let s = specs.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(join(SPECS, file), "utf8")) as Json;
    specs.set(file, s);
  }
  return s;
}

/** OpenAPI 3.0 schema → JSON Schema (draft-07 flavour ajv accepts). */
export function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (typeof node !== "object" || node === null) return node;
  const o = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith("x-") || k === "nullable" || k === "example" || k === "examples" || k === "description") continue;
    if (k === "$ref" && typeof v === "string") {
      out.$ref = v.replace("#/components/schemas/", "#/definitions/");
      continue;
    }
    out[k] = k === "properties" || k === "definitions" ? Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, convert(pv)])) : convert(v);
  }
  if (o.nullable === true) {
    if (out.$ref !== undefined) return { anyOf: [{ $ref: out.$ref }, { type: "null" }] };
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  }
  return out;
}

function ajvFor(file: string): Ajv {
  let ajv = ajvs.get(file);
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    for (const f of ["uri-map", "http-method", "date-time-rfc-2822", "phone-number", "int64", "int32", "currency", "uri-template", "decimal", "float", "double"])
      ajv.addFormat(f, true);
    const comps = (spec(file).components as Json | undefined)?.schemas as Json | undefined;
    ajv.addSchema({ $id: "spec", definitions: convert(comps ?? {}) as Json }, "spec");
    ajvs.set(file, ajv);
  }
  return ajv;
}

function compile(file: string, key: string, schema: unknown): ValidateFunction {
  const k = `${file}#${key}`;
  let v = cache.get(k);
  if (!v) {
    const conv = JSON.parse(JSON.stringify(convert(schema)).replace(/"#\/definitions\//g, '"spec#/definitions/')) as Json;
    v = ajvFor(file).compile(conv);
    cache.set(k, v);
  }
  return v;
}

export interface FormParameter {
  path: string;
  method: string;
  name: string;
  /** The parameter's description, or that of the schema its `$ref` names when it has none of its own. */
  description: string;
}

/** Every form parameter of every operation of a spec file, in document order. */
export function formParameters(file: string): FormParameter[] {
  const s = spec(file);
  const comps = ((s.components as Json | undefined)?.schemas ?? {}) as Json;
  const out: FormParameter[] = [];
  for (const [path, ops] of Object.entries(s.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const schema = ((((op as Json).requestBody as Json | undefined)?.content as Json | undefined)?.["application/x-www-form-urlencoded"] as Json | undefined)?.schema as Json | undefined;
      for (const [name, p] of Object.entries((schema?.properties ?? {}) as Json)) {
        const prop = p as Json;
        const ref = typeof prop.$ref === "string" ? (comps[prop.$ref.replace("#/components/schemas/", "")] as Json | undefined) : undefined;
        const description = String(prop.description ?? ref?.description ?? "");
        out.push({ path, method, name, description });
      }
    }
  }
  return out;
}

/** A validator for `components.schemas[name]` of a spec file (e.g. "twilio_supersim_v1.json"). */
export function schemaValidator(file: string, name: string): ValidateFunction {
  const comps = (spec(file).components as Json).schemas as Json;
  if (!(name in comps)) throw new Error(`${file} has no component schema '${name}'`);
  return compile(file, `schema:${name}`, { $ref: `#/components/schemas/${name}` });
}

/** A validator for the JSON schema of a path's response (default: the first 2xx). */
export function responseValidator(file: string, path: string, method: string, status?: string): ValidateFunction {
  const op = ((spec(file).paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
  if (!op) throw new Error(`${file} has no ${method} ${path}`);
  const responses = op.responses as Json;
  const code = status ?? Object.keys(responses).find((c) => c.startsWith("2"));
  const schema = ((((responses[code ?? ""] as Json | undefined)?.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema);
  if (!schema) throw new Error(`${file} ${method} ${path} has no JSON schema for ${code}`);
  return compile(file, `response:${method}:${path}:${code}`, schema);
}

/** Throws (failing the test) with ajv's messages when `data` is invalid. */
export function expectValid(v: ValidateFunction, data: unknown): void {
  if (!v(data)) throw new Error(`schema validation failed: ${JSON.stringify(v.errors, null, 1)}\nfor ${JSON.stringify(data).slice(0, 2000)}`);
}
