/**
 * A bounded fuzz (fast-check, fixed seed, a few hundred requests per server) of every HTTP route of the mock
 * cloud, the bridge and the dashboard: random methods, paths, parameter names and values (repeated keys,
 * long values, bad escapes, numbers where strings belong, nested JSON), bodies as form, JSON, raw bytes or
 * nothing, with and without credentials or signatures. Each answer must be below 500 and come within 1 s;
 * a refused request (4xx) must write nothing; RSS must stay bounded. The streaming routes (`/_mock/events`,
 * `/api/events`) are covered by cloud.test.ts and dashboard-api.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import Database from "better-sqlite3";
import fc from "fast-check";
import { join } from "node:path";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { startDashboard, type DashboardHandle } from "../../host-tools/dashboard/index.js";
import { Recorder, tempDir } from "../bridge/helpers.js";

const SEED = 20_251_111;
const RUNS = { cloud: 600, bridge: 400, dashboard: 300 };
const MAX_MS = 1000;

let cloud: CloudHandle;
let bridge: BridgeHandle;
let dash: DashboardHandle;
let rec: Recorder;
let bridgeDb: Database.Database;
const data = tempDir("sec-fuzz");
let rss0 = 0;

beforeAll(async () => {
  cloud = await startCloud({ callbacks: { timeoutMs: 200, totalMs: 400, retries: 0 } });
  bridge = await startBridge({ port: 0, brokerPort: 0, data: data.dir, instance: "fuzz", prefix: "fz", twilio: { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  dash = await startDashboard({ port: 0, mqtt: bridge.mqttUrl, prefix: "fzdash" });
  rec = await Recorder.open(bridge.mqttUrl, ["fzdash/devices/+/down"]);
  bridgeDb = new Database(join(data.dir, "bridge.db"), { readonly: true });
  rss0 = process.memoryUsage().rss;
});
afterAll(async () => {
  bridgeDb?.close();
  await rec?.close();
  await dash?.close();
  await bridge?.close();
  await cloud?.close();
  data.remove();
});

/** Routes of a fastify tree as `printRoutes({commonPrefix: false})` draws it: [path, methods][]. */
function routesOf(tree: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const at = line.indexOf("── ");
    if (at < 0) continue;
    const depth = (at - 1) / 4;
    const m = /^(\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3).trim());
    if (!m) continue;
    const seg = (m[1] as string).split("|")[0] as string;
    stack.length = depth;
    stack.push(seg);
    if (m[2]) out.push([stack.join(""), m[2].split(", ")]);
  }
  return out;
}

const KEYS = [
  "Sim", "Payload", "DevicePort", "PayloadType", "CallbackUrl", "CallbackMethod", "Status", "Fleet", "UniqueName", "Iccid", "RegistrationCode",
  "PageSize", "Page", "PageToken", "To", "From", "Body", "StatusCallback", "Command", "CommandMode", "grant_type", "client_id", "client_secret",
  "appId", "secret", "deviceId", "startTime", "endTime", "pageNo", "pageSize", "SimSid", "SimUniqueName", "CommandSid", "IpCommandSid",
  "Direction", "MessageSid", "SmsSid", "SmsStatus", "MessageStatus", "ErrorCode", "dl", "id", "t", "k", "command", "payload", "payload_type",
  "transport", "device_port", "expires_at", "loss", "latency_ms", "sms_max_resends", "mode", "ports", "msisdn", "device_id", "node_id",
  "__proto__", "constructor", "toString", "hasOwnProperty",
];
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", "%zz", "%", "%FF%FE", "-0", "007", "1.5", "1e3", "true", "null", "constructor", "a/+/#", "\u0000", "\ud800",
    "received", "failed", "queued", "client_credentials", "20261399T999999Z", "http://127.0.0.1:9/x", "ftp://x", "HS" + "0".repeat(32)),
  fc.integer({ min: -5, max: 70_000 }).map(String),
  fc.nat({ max: 6000 }).map((n) => "x".repeat(n)),
);
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
const pairs = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(key, text), { maxLength: 20 }) },
  // one key given many times
  { weight: 1, arbitrary: fc.tuple(key, text, fc.integer({ min: 2, max: 3000 })).map(([k, v, n]) => Array.from({ length: n }, () => [k, v] as [string, string])) },
);
/** A value nested `n` deep, kept as a marker until the body is written (the test itself must not recurse into it). */
const DEEP = /"?\uE000DEEP(\d+)"?/g;
const deepMark = (n: number) => `\uE000DEEP${n}`;
const deep = fc.integer({ min: 1, max: 12_000 }).map(deepMark);
/** JSON text of `v`, markers replaced by the nesting they stand for. */
const toJson = (v: unknown) => (JSON.stringify(v) ?? "null").replace(DEEP, (_m, n: string) => "[".repeat(Number(n)) + "]".repeat(Number(n)));
const toText = (v: unknown) => (typeof v === "string" ? v.replace(DEEP, (_m, n: string) => "[".repeat(Number(n)) + "]".repeat(Number(n))) : toJson(v));
const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 4 }), text, fc.integer(), deep);
const segment = fc.oneof(
  fc.constantFrom("HG" + "0".repeat(32), "HS" + "0".repeat(32), "AC5eedf00d5eedf00d5eedf00d5eedf00d", "DC" + "1".repeat(32), "nobody", "%zz", "..", "%2F", "%00", "a".repeat(300), "constructor"),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
);
const encoding = fc.constantFrom("form", "form", "json", "json-typed", "json-typed", "bytes", "none", "text");

const SID = (p: string) => p + "0".repeat(32);
/** A valid-looking body per route (by a part of its path), so that mutations reach past the first check. */
const SEEDS: [string, Record<string, unknown>][] = [
  ["/token", { grant_type: "client_credentials", client_id: "AC5eedf00d5eedf00d5eedf00d5eedf00d", client_secret: "5eedf00d5eedf00d5eedf00d5eedf00d" }],
  ["/login", { appId: "AC5eedf00d5eedf00d5eedf00d5eedf00d", secret: "5eedf00d5eedf00d5eedf00d5eedf00d" }],
  ["/deviceCommands", { deviceId: "fz-dev", command: { serviceId: "s", method: "m", paras: { a: 1 } }, expireTime: 60 }],
  ["/IpCommands", { Sim: "fz-sim", Payload: "ping", DevicePort: "6969", PayloadType: "text" }],
  ["/SmsCommands", { Sim: "fz-sim", Payload: "ping" }],
  ["/wireless/v1/Commands", { Sim: "fz-sim", Command: "ping", CommandMode: "text" }],
  ["/Messages", { To: "+15550001111", From: "+15550002222", Body: "hi" }],
  ["/Fleets", { NetworkAccessProfile: SID("HA"), UniqueName: "fz" }],
  ["/_mock/network", { loss: 0, latency_ms: 1, sms_max_resends: 1 }],
  ["/_mock/huawei", { device_id: "fz-dev", ack_timeout_ms: 100 }],
  ["/power", { mode: "idle", paging_delay_ms: 10 }],
  ["/attach", { ports: { "6969": "127.0.0.1:9" } }],
  ["/ip-commands", { AccountSid: "AC5eedf00d5eedf00d5eedf00d5eedf00d", CommandSid: SID("HG"), SimSid: SID("HS"), SimUniqueName: "fz", Status: "received", Direction: "from_sim", Payload: "aGk=", PayloadType: "binary" }],
  ["/sms-commands", { CommandSid: SID("HC"), SimSid: SID("HS"), Status: "delivered", Direction: "to_sim" }],
  ["/twilio/commands", { CommandSid: SID("DC"), SimSid: SID("DE"), CommandStatus: "delivered" }],
  ["/messages", { MessageSid: SID("SM"), From: "+15550001111", To: "+15550002222", SmsStatus: "received", Body: "hi" }],
  ["/cmd", { deviceId: "fz-dev", commandId: "c1", result: { resultCode: "SUCCESS", resultDetail: { a: 1 } } }],
  ["/down", { id: "fz1", command: "ping" }],
];

/** Changes to a seed: another value (of any type), a key dropped, added, given many times, or nested deep. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key, value: jsonish }),
  fc.record({ kind: fc.constant("drop" as const), key }),
  fc.record({ kind: fc.constant("repeat" as const), key, n: fc.integer({ min: 2, max: 40_000 }) }),
  fc.record({ kind: fc.constant("deep" as const), key, n: fc.integer({ min: 50, max: 10_000 }) }),
);

interface Shot {
  method: string;
  path: string;
  query: [string, string][];
  body: [string, string][];
  typed: Record<string, unknown>;
  /** A seed's keys given many times, for the form encodings: [key, times]. */
  repeat: [string, number] | null;
  bytes: Uint8Array;
  encoding: string;
  credentials: boolean;
}

function shots(routes: [string, string[]][]): fc.Arbitrary<Shot> {
  return fc
    .record({
      route: fc.constantFrom(...routes),
      method: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS") }),
      params: fc.array(segment, { minLength: 4, maxLength: 4 }),
      query: fc.oneof({ weight: 3, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(key, text), { maxLength: 8 }) }),
      body: pairs,
      typed: fc.dictionary(key, jsonish, { maxKeys: 8 }),
      mutations: fc.array(mutation, { maxLength: 3 }),
      seeded: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      bytes: fc.uint8Array({ maxLength: 3000 }),
      encoding,
      credentials: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      pick: fc.nat(),
    })
    .map(({ route, method, params, query, body, typed, bytes, encoding, credentials, pick, mutations, seeded }) => {
      let i = 0;
      const path = route[0].replace(/:[A-Za-z]+/g, () => params[i++ % 4] as string);
      const seed = seeded ? SEEDS.find(([part]) => route[0].includes(part))?.[1] : undefined;
      let repeat: [string, number] | null = null;
      if (seed !== undefined) {
        const t: Record<string, unknown> = { ...seed };
        // (typed is reassigned below: a record of anything, written out by toJson)
        for (const m of mutations) {
          if (m.kind === "set") t[m.key] = m.value;
          else if (m.kind === "drop") delete t[m.key];
          else if (m.kind === "deep") t[m.key] = deepMark(m.n);
          else repeat = [m.key, m.n];
        }
        typed = t as typeof typed;
        body = Object.entries(t).map(([k, v]) => [k, toText(v)] as [string, string]);
        if (encoding === "json") encoding = "json-typed";
      }
      return { method: method ?? (route[1][pick % route[1].length] as string), path, query, body, typed, repeat, bytes, encoding, credentials };
    });
}

interface Answer {
  status: number;
  ms: number;
}

async function send(origin: string, s: Shot, auth: (url: string, form: Record<string, string | string[]>) => Record<string, string>): Promise<Answer> {
  const qs = new URLSearchParams(s.query).toString();
  const url = origin + s.path + (qs ? "?" + qs : "");
  const headers: Record<string, string> = {};
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  const form: Record<string, string | string[]> = {};
  if (s.method !== "GET" && s.method !== "HEAD") {
    switch (s.encoding) {
      case "form":
        body = new URLSearchParams(s.body).toString();
        if (s.repeat !== null) body += `&${encodeURIComponent(s.repeat[0])}=`.repeat(s.repeat[1]);
        headers["content-type"] = "application/x-www-form-urlencoded";
        for (const [k, v] of s.body) {
          const cur = form[k];
          form[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
        }
        break;
      case "json":
        body = toJson(Object.fromEntries(s.body));
        headers["content-type"] = "application/json";
        break;
      case "json-typed":
        body = toJson(s.typed);
        headers["content-type"] = "application/json";
        break;
      case "bytes":
        body = new Uint8Array(s.bytes);
        headers["content-type"] = s.bytes.length % 2 === 0 ? "application/json" : "application/x-www-form-urlencoded";
        break;
      case "text":
        body = new URLSearchParams(s.body).toString();
        headers["content-type"] = "text/plain";
        break;
    }
  }
  if (s.credentials) Object.assign(headers, auth(url, form));
  const t0 = performance.now();
  const res = await fetch(url, { method: s.method, headers, body, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

function check(what: string, s: Shot, a: Answer, wrote: boolean): void {
  const shown = `${what} ${s.method} ${s.path.slice(0, 120)} (${s.encoding}) → ${a.status} in ${a.ms.toFixed(0)} ms`;
  expect({ shot: shown, serverError: a.status >= 500 }).toEqual({ shot: shown, serverError: false });
  expect({ shot: shown, slow: a.ms > MAX_MS }).toEqual({ shot: shown, slow: false });
  if (a.status >= 400) expect({ shot: shown, wroteOnRefusal: wrote }).toEqual({ shot: shown, wroteOnRefusal: false });
}

describe("bounded fuzz of every route", () => {
  test("the mock cloud", async () => {
    const routes = routesOf(cloud.app.printRoutes({ commonPrefix: false })).filter(([p]) => p !== "/_mock/events");
    expect(routes.length).toBeGreaterThan(40);
    const basic = "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");
    const tables = (cloud.ctx.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'mock_callbacks'").all() as { name: string }[]).map((t) => t.name);
    // counts of every table but the callback log (callbacks of earlier, accepted requests land there meanwhile)
    const snapshot = () => tables.map((t) => (cloud.ctx.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n).join(",");
    await fc.assert(
      fc.asyncProperty(shots(routes), async (s) => {
        const before = snapshot();
        const a = await send(cloud.url, s, () => ({ authorization: basic }));
        await new Promise((r) => setImmediate(r)); // the group commit of this turn
        check("cloud", s, a, snapshot() !== before);
      }),
      { numRuns: RUNS.cloud, seed: SEED, endOnFailure: true },
    );
  }, 60_000);

  test("the bridge", async () => {
    const routes: [string, string[]][] = [
      ...["ip-commands", "sms-commands", "commands", "messages"].map((r) => [`/webhooks/twilio/${r}`, ["POST", "GET"]] as [string, string[]]),
      ["/webhooks/huawei/cmd", ["POST"]], ["/v1.0.0/messageReceiver/cmd", ["POST"]], ["/healthz", ["GET"]], ["/metrics", ["GET"]], ["/webhooks/:x", ["GET"]],
    ];
    const token = cloud.authToken;
    const snapshot = () =>
      JSON.stringify([
        bridgeDb.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name").all(),
        ...["dedupe", "devices", "dead_letters"].map((t) => (bridgeDb.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n),
      ]);
    await fc.assert(
      fc.asyncProperty(shots(routes), async (s) => {
        const before = snapshot();
        const a = await send(bridge.url, s, (url, form) => ({ "x-twilio-signature": twilioSignature(token, url, s.method === "POST" ? form : {}) }));
        check("bridge", s, a, snapshot() !== before);
      }),
      { numRuns: RUNS.bridge, seed: SEED, endOnFailure: true },
    );
  }, 60_000);

  test("the dashboard", async () => {
    const routes: [string, string[]][] = [
      ["/", ["GET"]], ["/app.js", ["GET"]], ["/style.css", ["GET"]], ["/favicon.ico", ["GET"]], ["/healthz", ["GET"]], ["/api/devices", ["GET"]],
      ["/api/devices/:name/down", ["POST"]], ["/api/:x", ["GET", "POST"]],
    ];
    await fc.assert(
      fc.asyncProperty(shots(routes), async (s) => {
        const before = rec.msgs.length;
        const a = await send(dash.url, s, () => ({}));
        await rec.settle();
        check("dashboard", s, a, rec.msgs.length !== before);
      }),
      { numRuns: RUNS.dashboard, seed: SEED, endOnFailure: true },
    );
  }, 60_000);

  test("RSS stayed bounded", () => {
    expect(process.memoryUsage().rss - rss0).toBeLessThan(300 * 1024 * 1024);
  });
});
