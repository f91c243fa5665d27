/**
 * Bridge configuration: the library options of `startBridge`, and the CLI's merge of a YAML/JSON file,
 * SIMCMD_BRIDGE_* environment variables and flags (later wins), all validated against options.ts with clear errors.
 */
import { hostname } from "node:os";
import { accessSync, constants, readFileSync } from "node:fs";
import YAML from "yaml";
import type { Clock } from "../../firmware/hal/clock.js";
import { OPTION_SPECS, envOf, flagOf, type OptionSpec } from "./options.js";

export interface TwilioOptions {
  baseUrl?: string;
  accountSid?: string;
  authToken?: string;
  koreSecret?: string;
}

export interface HuaweiOptions {
  baseUrl?: string;
  appId?: string;
  secret?: string;
  serviceId?: string;
}

/** Several instances behind one load balancer (docs/bridge.md, "Running several instances"). */
export interface ClusterOptions {
  /** The same as `redis`. */
  redis?: string;
  /** The same as `postgres`. */
  postgres?: string;
  schema?: string;
  lease?: number;
  stateRepair?: number;
}

/** `startBridge(options)`: every field optional; see options.ts for meaning, default and unit. */
export interface BridgeOptions {
  port?: number;
  host?: string;
  publicUrl?: string;
  data?: string;
  durability?: "normal" | "full";
  prefix?: string;
  instance?: string;
  mqtt?: string;
  mqttUsername?: string;
  mqttPassword?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  mqttInsecure?: boolean;
  mqttVersion?: "4" | "5" | 4 | 5;
  sessionExpiry?: number;
  keepalive?: number;
  shared?: "auto" | "on" | "off";
  shareGroup?: string;
  brokerPort?: number;
  brokerHost?: string;
  signature?: "auto" | "twilio" | "kore" | "off";
  twilio?: TwilioOptions;
  messagingFrom?: string;
  /** Device (its phone number, with or without +) → From number or Messaging Service SID. */
  messagingDeviceFrom?: Record<string, string>;
  huawei?: HuaweiOptions;
  redis?: string;
  postgres?: string;
  cluster?: ClusterOptions;
  dedupeTtl?: number;
  noCommunication?: number;
  maxRequestBytes?: number;
  platformTimeout?: number;
  retryBase?: number;
  retryMax?: number;
  messagingRetry?: number;
  qos?: "1" | "2" | 1 | 2;
  inflight?: number;
  requestTimeout?: number;
  outboxStuckAfter?: number;
  /**
   * Injected clock (tests): the time of events, retries, expiry, no_communication, stuck rows and the MQTT
   * reconnect backoff. Its `now()` is Unix time in ms. Default: host-tools/clock/node-clock.ts.
   */
  clock?: Clock;
  /** Log lines (default: none). */
  log?: (line: string) => void;
}

export interface BridgeConfig {
  port: number;
  host: string;
  publicUrl: string | null;
  data: string;
  durability: "normal" | "full";
  prefix: string;
  instance: string;
  mqtt: string | null;
  mqttUsername?: string;
  mqttPassword?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  mqttInsecure: boolean;
  mqttVersion: 4 | 5;
  sessionExpiry: number;
  keepalive: number;
  shared: "auto" | "on" | "off";
  shareGroup: string;
  brokerPort: number;
  brokerHost: string;
  signature: "auto" | "twilio" | "kore" | "off";
  twilio: { baseUrl?: string; accountSid: string; authToken: string; koreSecret: string };
  messagingFrom?: string;
  /** Device (phone number without +) → From; see messagingFromFor. */
  messagingDeviceFrom: Record<string, string>;
  huawei: { baseUrl?: string; appId: string; secret: string; serviceId: string };
  /** With Redis: several instances share dedupe and device state (RedisDeviceStates). */
  redis?: string;
  /** With PostgreSQL: outbox rows are copied there, and a survivor takes over an instance that died (PgMirror). */
  postgres?: string;
  cluster: { redis?: string; postgres?: string; schema: string; lease: number; stateRepair: number };
  dedupeTtl: number;
  noCommunication: number;
  maxRequestBytes: number;
  platformTimeout: number;
  retryBase: number;
  retryMax: number;
  messagingRetry: number;
  qos: 1 | 2;
  inflight: number;
  requestTimeout: number;
  outboxStuckAfter: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function getPath(o: Record<string, unknown>, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function setPath(o: Record<string, unknown>, path: string, v: unknown): void {
  const ks = path.split(".");
  let cur = o;
  for (const k of ks.slice(0, -1)) {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[ks[ks.length - 1] as string] = v;
}

/** Checks one value (from any source) against its spec; strings from flags/env are converted. */
function coerce(s: OptionSpec, v: unknown, where: string): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(`${where}: ${what}`);
  };
  switch (s.type) {
    case "int": {
      const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) return bad(`must be an integer${s.unit ? " (" + s.unit + ")" : ""}, got ${JSON.stringify(v)}`);
      if ((s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) return bad(`must be from ${s.min ?? "-∞"} to ${s.max ?? "∞"}, got ${n}`);
      return n;
    }
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === "true" || v === "1" || v === "yes") return true;
      if (v === "false" || v === "0" || v === "no") return false;
      return bad(`must be true or false, got ${JSON.stringify(v)}`);
    case "enum": {
      const t = typeof v === "number" ? String(v) : v;
      if (typeof t !== "string" || !(s.values ?? []).includes(t)) return bad(`must be one of ${(s.values ?? []).join(", ")}, got ${JSON.stringify(v)}`);
      return t;
    }
    case "url": {
      if (typeof v !== "string" || v === "") return bad("must be a URL");
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return bad(`is not a valid URL: ${v}`);
      }
      if (s.protocols !== undefined && !s.protocols.includes(u.protocol))
        return bad(`must be a ${s.protocols.map((p) => p.slice(0, -1)).join(", ")} URL, got ${u.protocol.slice(0, -1)}:`);
      return v.replace(/\/+$/, "");
    }
    case "map": {
      // a mapping (file, library) or `k=v,k=v` (flag, environment); a key or value may not contain `=` or `,`
      let entries: [string, unknown][];
      if (typeof v === "string") {
        entries = [];
        for (const item of v.split(",")) {
          const i = item.indexOf("=");
          if (i <= 0 || i === item.length - 1) return bad(`must be key=value pairs separated by commas, got ${JSON.stringify(item)}`);
          entries.push([item.slice(0, i).trim(), item.slice(i + 1).trim()]);
        }
      } else if (typeof v === "object" && v !== null && !Array.isArray(v)) entries = Object.entries(v);
      else return bad(`must be a mapping (or key=value,… as text), got ${JSON.stringify(v)}`);
      const out = Object.create(null) as Record<string, string>;
      for (const [k, x] of entries) {
        if (typeof x !== "string" || x === "") return bad(`${k}: must be a non-empty string, got ${JSON.stringify(x)}`);
        out[k] = x;
      }
      return out;
    }
    default:
      if (typeof v !== "string" || v === "") return bad(`must be a non-empty string, got ${JSON.stringify(v)}`);
      return v;
  }
}

/** What a Messaging From may be: an E.164 number, a Messaging Service SID, or an alphanumeric sender ID. */
export const MESSAGING_FROM = /^(\+[1-9]\d{1,14}|MG[0-9a-f]{32}|[A-Za-z0-9 ]{1,11})$/;
/** A Messaging device: its phone number, E.164 digits (the `+` is not part of a topic level). */
const PHONE_DEVICE = /^\+?(\d{6,15})$/;

/** Checks one option's value by its spec (throws ConfigError naming `where`): for callers that take one option early. */
export function checkOption(path: string, v: unknown, where = `option ${path}`): unknown {
  const s = OPTION_SPECS.find((x) => x.path === path);
  if (s === undefined) throw new ConfigError(`unknown option ${path}`);
  return coerce(s, v, where);
}

const KNOWN_OBJECTS = new Set(["twilio", "huawei", "cluster"]);

/** Rejects unknown keys in a config file / options object (typos must not pass silently). */
function checkKeys(o: Record<string, unknown>, where: string, extra: string[] = []): void {
  const known = new Set([...OPTION_SPECS.map((s) => s.path), ...extra]);
  for (const [k, v] of Object.entries(o)) {
    if (KNOWN_OBJECTS.has(k) && typeof v === "object" && v !== null) {
      for (const k2 of Object.keys(v)) if (!known.has(`${k}.${k2}`)) throw new ConfigError(`${where}: unknown option ${k}.${k2}`);
    } else if (!known.has(k)) throw new ConfigError(`${where}: unknown option ${k}`);
  }
}

/** Validates library options and fills the defaults. */
export function normalize(o: BridgeOptions): BridgeConfig {
  const raw = o as unknown as Record<string, unknown>;
  checkKeys(raw, "startBridge options", ["clock", "log"]);
  const out: Record<string, unknown> = {};
  for (const s of OPTION_SPECS) {
    const v = getPath(raw, s.path);
    const val = v === undefined || v === null ? s.default : coerce(s, v, `option ${s.path}`);
    if (val !== undefined) setPath(out, s.path, val);
  }
  const c = out as unknown as BridgeConfig & { mqttVersion: string | number; qos: string | number };
  c.mqttVersion = Number(c.mqttVersion) === 4 ? 4 : 5;
  c.qos = Number(c.qos) === 2 ? 2 : 1;
  c.instance ??= hostname().replace(/[^A-Za-z0-9_.-]/g, "-") || "bridge";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c.instance)) throw new ConfigError(`option instance: letters, digits, _ . - only (1..64), got ${JSON.stringify(c.instance)}`);
  if (/[#+]/.test(c.prefix) || c.prefix.startsWith("/") || c.prefix.endsWith("/")) throw new ConfigError("option prefix: no wildcards (+ #) and no leading/trailing slash");
  if (/[#+/]/.test(c.shareGroup)) throw new ConfigError("option shareGroup: no wildcards or slashes");
  c.mqtt ??= null;
  c.publicUrl ??= null;
  // cluster.stateRepair has a default, so the section is always there
  if (c.redis !== undefined && c.cluster.redis !== undefined && c.redis !== c.cluster.redis)
    throw new ConfigError("options redis and cluster.redis name different servers: give one");
  c.redis ??= c.cluster.redis;
  if (c.postgres !== undefined && c.cluster.postgres !== undefined && c.postgres !== c.cluster.postgres)
    throw new ConfigError("options postgres and cluster.postgres name different servers: give one");
  c.postgres ??= c.cluster.postgres;
  // qos 2's exactly-once state is this instance's broker session, which only this instance can finish: a
  // survivor taking its rows over would publish again what the broker already has (docs/bridge.md)
  if (c.qos === 2 && c.postgres !== undefined)
    throw new ConfigError("options qos 2 and postgres (outbox takeover) cannot be combined: qos 2 needs each instance to come back on its own data directory");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(c.cluster.schema)) throw new ConfigError("option cluster.schema: lower-case letters, digits and _ only (1..63)");
  const tw = (c.twilio ?? {}) as Partial<BridgeConfig["twilio"]>;
  if (tw.accountSid !== undefined && !/^AC[0-9a-fA-F]{32}$/.test(tw.accountSid)) throw new ConfigError("option twilio.accountSid: AC followed by 32 hex digits");
  c.twilio = { ...tw, accountSid: tw.accountSid ?? "", authToken: tw.authToken ?? "", koreSecret: tw.koreSecret ?? tw.authToken ?? "" };
  const hw = (c.huawei ?? {}) as Partial<BridgeConfig["huawei"]>;
  c.huawei = {
    baseUrl: hw.baseUrl ?? (c.twilio.baseUrl ? `${c.twilio.baseUrl}/huawei` : undefined),
    appId: hw.appId ?? c.twilio.accountSid,
    secret: hw.secret ?? c.twilio.authToken,
    serviceId: hw.serviceId ?? "simcmd",
  };
  // Each webhook scheme is checked with its own secret, and one that has none refuses (never an empty key);
  // without any secret nothing could be accepted.
  if (c.signature !== "off" && c.twilio.authToken === "" && c.twilio.koreSecret === "" && c.huawei.secret === "")
    throw new ConfigError("twilio.authToken (or twilio.koreSecret, huawei.secret) is required to check webhook signatures (or set signature: off, testing only)");
  if (c.signature === "twilio" && c.twilio.authToken === "") throw new ConfigError("signature twilio needs twilio.authToken");
  if (c.signature === "kore" && c.twilio.koreSecret === "") throw new ConfigError("signature kore needs twilio.koreSecret (or twilio.authToken)");
  // files the bridge will read: checked now, before anything is created (the data directory, the broker link)
  for (const k of ["mqttCa", "mqttCert", "mqttKey"] as const) {
    const f = c[k];
    if (f === undefined) continue;
    try {
      accessSync(f, constants.R_OK);
    } catch (e) {
      throw new ConfigError(`option ${k}: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (c.messagingFrom !== undefined && !MESSAGING_FROM.test(c.messagingFrom))
    throw new ConfigError("option messagingFrom: an E.164 number, an alphanumeric sender ID or a Messaging Service SID (MG…)");
  const perDevice = Object.create(null) as Record<string, string>;
  for (const [device, from] of Object.entries(c.messagingDeviceFrom ?? {})) {
    const m = PHONE_DEVICE.exec(device);
    if (!m) throw new ConfigError(`option messagingDeviceFrom: ${JSON.stringify(device)} is not a phone number (6 to 15 digits, + optional)`);
    if (!MESSAGING_FROM.test(from)) throw new ConfigError(`option messagingDeviceFrom: ${device}: an E.164 number, an alphanumeric sender ID or a Messaging Service SID (MG…), got ${JSON.stringify(from)}`);
    perDevice[m[1] as string] = from;
  }
  c.messagingDeviceFrom = perDevice;
  return c;
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON) into an options object. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`config file ${file}: must be a mapping of option names to values`);
  const o = doc as Record<string, unknown>;
  checkKeys(o, `config file ${file}`);
  for (const s of OPTION_SPECS) {
    const v = getPath(o, s.path);
    if (v !== undefined && v !== null) setPath(o, s.path, coerce(s, v, `config file ${file}: ${s.path}`));
  }
  return o;
}

/** file < env < flags. `flags` maps flag names without dashes (as parseArgs gives them) to strings/booleans. */
export function mergeSources(file: Record<string, unknown>, env: NodeJS.ProcessEnv, flags: Record<string, string | boolean | undefined>): BridgeOptions {
  const out: Record<string, unknown> = structuredClone(file);
  for (const s of OPTION_SPECS) {
    const e = env[envOf(s.path)];
    if (e !== undefined && e !== "") setPath(out, s.path, coerce(s, e, `environment ${envOf(s.path)}`));
    const f = flags[flagOf(s.path).slice(2)];
    if (f !== undefined) setPath(out, s.path, coerce(s, f, `flag ${flagOf(s.path)}`));
  }
  return out as BridgeOptions;
}
