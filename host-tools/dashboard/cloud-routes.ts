/**
 * The dashboard's routes over the mock cloud (docs/dashboard.md): journeys and per-device latency from the
 * JourneyStore, each SIM's network state and the network controls (forwarded to the cloud's `/_mock/` admin
 * routes, server-side: the page never sees the cloud's URL or credentials), and the platform's resources
 * (read-only pages of SIMs, Fleets and Commands). Without a cloud, the network and platform routes answer
 * 503 `no_cloud`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CloudLink } from "./cloud-link.js";
import { checkDeviceName, HttpError } from "./down.js";
import type { DeviceTable } from "./feed.js";
import type { JourneyStore } from "./journey.js";
import type { NetState, SimNetwork } from "./sim-network.js";

export interface CloudDeps {
  journeys: JourneyStore;
  devices: DeviceTable;
  /** Null: the dashboard runs without a mock cloud. */
  cloud: { link: CloudLink; sims: SimNetwork } | null;
}

/** Network actions: the page's name → the cloud's admin route, and the body fields each takes. */
const ACTIONS: Record<string, { route: string; fields: Record<string, "number" | "number|null" | "boolean" | "mode"> }> = {
  attach: { route: "attach", fields: {} },
  detach: { route: "detach", fields: {} },
  "power-off": { route: "power-off", fields: {} },
  "power-on": { route: "power-on", fields: {} },
  power: {
    route: "power",
    fields: { mode: "mode", hlcom: "boolean", paging_delay_ms: "number", edrx_cycle_ms: "number", psm_tau_ms: "number", psm_active_ms: "number" },
  },
  conditions: { route: "conditions", fields: { loss: "number|null", latency_ms: "number|null", seed: "number|null" } },
};
const MODES = ["connected", "idle", "edrx", "psm"];

/** Read-only tables of the platform: the cloud's list route, the list's key, the fields shown. */
const TABLES: Record<string, { path: string; key: string; fields: string[] }> = {
  sims: { path: "/supersim/v1/Sims", key: "sims", fields: ["sid", "unique_name", "status", "fleet_sid", "iccid", "date_updated"] },
  fleets: { path: "/supersim/v1/Fleets", key: "fleets", fields: ["sid", "unique_name", "data_enabled", "sms_commands_enabled", "ip_commands_url", "sms_commands_url", "date_updated"] },
  "ip-commands": { path: "/supersim/v1/IpCommands", key: "ip_commands", fields: ["sid", "sim_sid", "direction", "status", "device_port", "payload_type", "payload", "date_created"] },
  "sms-commands": { path: "/supersim/v1/SmsCommands", key: "sms_commands", fields: ["sid", "sim_sid", "direction", "status", "payload", "date_created"] },
  "wireless-commands": { path: "/wireless/v1/Commands", key: "commands", fields: ["sid", "sim_sid", "direction", "status", "command_mode", "command", "date_created"] },
};
const PAGE_SIZE_MAX = 50;

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  if (!Buffer.isBuffer(req.body)) throw new HttpError(415, "unsupported_media_type", "send the request as content-type application/json");
  let b: unknown;
  try {
    b = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw new HttpError(400, "bad_json", "the body is not JSON");
  }
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw new HttpError(400, "bad_request", "the body must be a JSON object");
  return b as Record<string, unknown>;
}

/** Checks the body against an action's fields (types only; the cloud checks the ranges). */
function actionBody(action: string, b: Record<string, unknown>): Record<string, unknown> {
  const a = ACTIONS[action] as (typeof ACTIONS)[string];
  for (const [k, v] of Object.entries(b)) {
    const type = a.fields[k];
    const ok =
      type === "number" ? typeof v === "number" && Number.isFinite(v)
      : type === "number|null" ? v === null || (typeof v === "number" && Number.isFinite(v))
      : type === "boolean" ? typeof v === "boolean"
      : type === "mode" ? typeof v === "string" && MODES.includes(v)
      : false;
    if (!ok) throw new HttpError(400, "bad_request", type === undefined ? `'${action}' takes no field '${k}'` : `${k} must be ${type === "mode" ? MODES.join(", ") : type}`);
  }
  return action === "attach" ? { restore: true } : b;
}

/** The cloud's 4xx as ours (its message says what was wrong); anything else is the cloud failing. */
function relay(status: number, json: Record<string, unknown>): HttpError {
  const message = typeof json.message === "string" ? json.message : `the mock cloud answered ${status}`;
  if (status === 404) return new HttpError(404, "not_found", message);
  if (status === 409) return new HttpError(409, "conflict", message);
  if (status >= 400 && status < 500) return new HttpError(400, "bad_request", message);
  return new HttpError(502, "cloud_unavailable", message);
}

const bare = (v: unknown): unknown => (typeof v === "string" && /^https?:\/\//.test(v) ? v.split(/[?#]/)[0] : v);

export function registerCloudRoutes(app: FastifyInstance, d: CloudDeps): void {
  const cloud = (): NonNullable<CloudDeps["cloud"]> => {
    if (d.cloud === null) throw new HttpError(503, "no_cloud", "the dashboard was started without a mock cloud (startDashboard's `cloud` option)");
    return d.cloud;
  };
  /** The SIM a device is: its SIM SID when known, else its name (the cloud takes SIM unique names too). */
  const simOf = (name: string): string => {
    checkDeviceName(name);
    return d.devices.list().find((x) => x.name === name)?.sim_sid ?? name;
  };

  app.get<{ Params: { id: string } }>("/api/journeys/:id", async (req) => {
    const j = d.journeys.get(req.params.id);
    if (j === null) throw new HttpError(404, "not_found", `no journey for id '${req.params.id}' (the dashboard keeps the last 500 commands it saw)`);
    return j;
  });

  app.get<{ Params: { name: string } }>("/api/devices/:name/stats", async (req) => {
    checkDeviceName(req.params.name);
    return d.journeys.stats(req.params.name);
  });

  app.get("/api/network", async () => {
    if (d.cloud === null) return { available: false, connected: false, network: null, sims: [] };
    const c = d.cloud;
    const network = c.sims.network ?? (await c.sims.fetchNetwork().catch(() => null));
    return { available: true, connected: c.link.connected, network, sims: c.sims.all() };
  });

  app.get<{ Params: { name: string } }>("/api/devices/:name/network", async (req) => {
    const sim = simOf(req.params.name);
    return cloud().sims.fetch(sim);
  });

  app.post<{ Params: { name: string; action: string } }>("/api/devices/:name/network/:action", async (req) => {
    const c = cloud();
    const sim = simOf(req.params.name);
    const action = req.params.action;
    if (!Object.hasOwn(ACTIONS, action)) throw new HttpError(404, "not_found", `no network action '${action}': ${Object.keys(ACTIONS).join(", ")}`);
    const body = actionBody(action, jsonBody(req));
    const r = await c.link.call("POST", `/_mock/sims/${encodeURIComponent(sim)}/${(ACTIONS[action] as (typeof ACTIONS)[string]).route}`, body);
    if (r.status !== 200) throw relay(r.status, r.json);
    // attach and power answer part of the state: fetch all of it (and the page gets it pushed).
    const state: NetState = typeof r.json.attached === "boolean" ? r.json : await c.sims.fetch(sim);
    if (state === r.json) c.sims.take(state);
    return state;
  });

  app.get<{ Params: { table: string }; Querystring: Record<string, unknown> }>("/api/platform/:table", async (req) => {
    const t = TABLES[req.params.table];
    if (t === undefined || !Object.hasOwn(TABLES, req.params.table)) throw new HttpError(404, "not_found", `no platform table '${req.params.table}': ${Object.keys(TABLES).join(", ")}`);
    const q = req.query;
    const page = q.page === undefined ? 0 : Number(q.page);
    const size = q.size === undefined ? 10 : Number(q.size);
    if (!/^\d{1,5}$/.test(String(q.page ?? "0"))) throw new HttpError(400, "bad_request", "page must be a whole number 0 – 99999");
    if (!/^\d{1,2}$/.test(String(q.size ?? "10")) || size < 1 || size > PAGE_SIZE_MAX) throw new HttpError(400, "bad_request", `size must be 1 – ${PAGE_SIZE_MAX}`);
    const r = await cloud().link.call("GET", `${t.path}?PageSize=${size}&Page=${page}`);
    if (r.status !== 200) throw relay(r.status, r.json);
    const list = Array.isArray(r.json[t.key]) ? (r.json[t.key] as unknown[]) : [];
    const meta = typeof r.json.meta === "object" && r.json.meta !== null ? (r.json.meta as Record<string, unknown>) : {};
    const items = list.slice(0, size).map((x) => {
      const o = typeof x === "object" && x !== null ? (x as Record<string, unknown>) : {};
      const row: Record<string, unknown> = {};
      for (const f of t.fields) row[f] = bare(o[f] ?? null);
      if (typeof o.sid === "string") row.journey = d.journeys.idOf(o.sid);
      return row;
    });
    return { table: req.params.table, page, size, has_next: typeof meta.next_page_url === "string", fields: t.fields, items };
  });
}
