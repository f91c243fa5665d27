/**
 * The dashboard's routes over the mock cloud, without a browser: a real mock cloud (one Super SIM attached to a
 * test UDP socket) and the embedded Aedes broker. Network state and every network action forwarded to the
 * cloud's /_mock routes (and pushed to the page as `network` events), what is refused and how, the platform
 * tables with paging, the journey route, the cloud's credentials never reaching the page, and the answers
 * without a cloud or with the cloud unreachable.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createServer } from "node:net";
import { startBroker, type EmbeddedBroker } from "../../host-tools/bridge/broker.js";
import { startDashboard, type DashboardHandle } from "../../host-tools/dashboard/index.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { activeSim, cloudAndClient, Udp, type Client } from "../cloud/harness.js";
import { SseClient } from "../helpers/sse.js";

const P = "simcmdtest/dashcloud";
let broker: EmbeddedBroker;
let cloud: CloudHandle;
let client: Client;
let dash: DashboardHandle;
let sim: string;
let udp: Udp;
/** Every body the page could read, to check that the cloud's token is in none. */
const seen: string[] = [];

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  ({ cloud, client } = await cloudAndClient());
  sim = (await activeSim(client, {}, "dev-a")).sim.sid;
  udp = await Udp.open();
  const att = await fetch(`${cloud.url}/_mock/sims/${sim}/attach`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64") },
    body: JSON.stringify({ ports: { "6969": udp.addr } }),
  });
  expect(att.status).toBe(200);
  dash = await startDashboard({
    port: 0, mqtt: broker.url, prefix: P, devices: [{ name: "dev-a", sim_sid: sim, transport: "ip+sms" }], cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
  });
});
afterAll(async () => {
  await dash?.close();
  udp?.close();
  await cloud?.close();
  await broker?.close();
});

async function call(method: string, path: string, body?: string, contentType = "application/json"): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(dash.url + path, { method, headers: body === undefined ? {} : { "content-type": contentType }, body });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
}
const act = (action: string, body: unknown = {}) => call("POST", `/api/devices/dev-a/network/${action}`, JSON.stringify(body));
const code = (r: { json: Record<string, unknown> }) => (r.json.error as { code?: string } | undefined)?.code;

describe("network state and controls", () => {
  test("GET /api/network has the configured device's SIM; each action changes the cloud's state, answers it and pushes it", async () => {
    const first = await call("GET", "/api/network");
    expect(first.json).toMatchObject({ available: true, network: { loss: 0, latency_ms: 0 } });
    expect((first.json.sims as Record<string, unknown>[]).map((s) => [s.sim_sid, s.attached])).toEqual([[sim, true]]);

    const sse = await SseClient.open(`${dash.url}/api/events`);
    const pushed = (pred: (s: Record<string, unknown>) => boolean) => sse.waitForNamed("network", (d) => pred((JSON.parse(d) as { state?: Record<string, unknown> }).state ?? {}));

    const off = await act("detach");
    expect([off.status, off.json.attached, off.json.reattachable]).toEqual([200, false, true]);
    await pushed((s) => s.attached === false);

    const on = await act("attach");
    expect([on.status, on.json.attached, on.json.sim_sid]).toEqual([200, true, sim]);
    await pushed((s) => s.attached === true);

    expect((await act("power-off")).json).toMatchObject({ attached: false, powered: false });
    expect(code(await act("attach"))).toBe("conflict"); // a powered-off device does not attach
    expect((await act("power-on")).json).toMatchObject({ attached: true, powered: true });

    expect((await act("power", { mode: "edrx", hlcom: true })).json).toMatchObject({ power: { mode: "edrx", hlcom: true } });
    expect((await act("power", { mode: "connected", hlcom: false })).json).toMatchObject({ power: { mode: "connected" } });
    expect((await act("conditions", { loss: 0.3, latency_ms: 20, seed: 7 })).json).toMatchObject({ conditions: { loss: 0.3, latency_ms: 20, seed: 7 } });
    await pushed((s) => (s.conditions as { seed?: unknown } | undefined)?.seed === 7);
    expect((await act("conditions", { loss: null, latency_ms: null, seed: null })).json).toMatchObject({ conditions: { loss: null, latency_ms: null, seed: null } });

    // A change made elsewhere (straight at the cloud) reaches the page too.
    const auth = "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");
    await fetch(`${cloud.url}/_mock/sims/${sim}/power`, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: '{"mode":"idle"}' });
    await pushed((s) => (s.power as { mode?: unknown } | undefined)?.mode === "idle");
    await act("power", { mode: "connected" });
    for (const e of sse.named) seen.push(e.data);
    sse.close();
  });

  test("what is refused: unknown actions and fields, wrong types, non-JSON; the cloud's own refusals come back as 400 with its reason", async () => {
    const cases: [string, string, number, string, RegExp?][] = [
      ["explode", "{}", 404, "not_found"],
      ["detach", '{"now":true}', 400, "bad_request", /takes no field 'now'/],
      ["power", '{"mode":"sleep"}', 400, "bad_request", /mode must be/],
      ["power", '{"hlcom":"yes"}', 400, "bad_request"],
      ["conditions", '{"loss":"0.3"}', 400, "bad_request"],
      ["conditions", '{"loss":2}', 400, "bad_request", /loss must be a number from 0 to 1/],
      ["conditions", '{"seed":1.5}', 400, "bad_request", /seed/],
      ["conditions", "[1]", 400, "bad_request"],
      ["conditions", "{", 400, "bad_json"],
    ];
    for (const [action, body, status, c, message] of cases) {
      const r = await call("POST", `/api/devices/dev-a/network/${action}`, body);
      expect({ action, body, status: r.status, code: code(r) }).toEqual({ action, body, status, code: c });
      if (message) expect((r.json.error as { message: string }).message).toMatch(message);
    }
    expect(code(await call("POST", "/api/devices/dev-a/network/detach", "{}", "text/plain"))).toBe("unsupported_media_type");
    expect((await fetch(`${dash.url}/api/devices/dev-a/network/detach`, { method: "POST" })).status).toBe(415);
    expect(code(await call("POST", "/api/devices/no-such-sim/network/detach", "{}"))).toBe("not_found");
    expect(code(await call("GET", "/api/devices/no-such-sim/network"))).toBe("not_found");
    expect((await call("GET", `/api/network`)).json.sims).toEqual([expect.objectContaining({ sim_sid: sim, attached: true })]);
  });
});

describe("platform view", () => {
  test("SIMs, Fleets and Commands a page at a time, newest first, with the fields shown", async () => {
    const sims = await call("GET", "/api/platform/sims");
    expect(sims.json).toMatchObject({ table: "sims", page: 0, size: 10, has_next: false });
    expect(sims.json.items).toEqual([expect.objectContaining({ sid: sim, unique_name: "dev-a", status: "active", journey: null })]);
    const fleets = await call("GET", "/api/platform/fleets");
    expect((fleets.json.items as unknown[]).length).toBe(1);

    for (let i = 0; i < 5; i++) await client.supersim.v1.ipCommands.create({ sim, payload: `n${i}`, devicePort: 6969 });
    const p0 = await call("GET", "/api/platform/ip-commands?page=0&size=2");
    const p1 = await call("GET", "/api/platform/ip-commands?page=1&size=2");
    const p2 = await call("GET", "/api/platform/ip-commands?page=2&size=2");
    const payloads = (r: typeof p0) => (r.json.items as { payload: string }[]).map((x) => x.payload);
    expect([payloads(p0), payloads(p1), payloads(p2)]).toEqual([["n4", "n3"], ["n2", "n1"], ["n0"]]);
    expect([p0.json.has_next, p1.json.has_next, p2.json.has_next]).toEqual([true, true, false]);
    expect(p0.json.fields).toEqual(["sid", "sim_sid", "direction", "status", "device_port", "payload_type", "payload", "date_created"]);
  });

  test("bad tables and paging are refused", async () => {
    expect(code(await call("GET", "/api/platform/accounts"))).toBe("not_found");
    expect(code(await call("GET", "/api/platform/constructor"))).toBe("not_found");
    for (const q of ["page=-1", "page=x", "size=0", "size=51", "size=1e1"]) expect({ q, c: code(await call("GET", `/api/platform/sims?${q}`)) }).toEqual({ q, c: "bad_request" });
  });
});

test("a journey is 404 until the dashboard has seen the command; then it is there", async () => {
  expect(code(await call("GET", "/api/journeys/j-unknown"))).toBe("not_found");
  expect((await call("POST", "/api/devices/dev-a/down", JSON.stringify({ id: "j-1", command: "ping" }))).status).toBe(202);
  const j = await call("GET", "/api/journeys/j-1");
  expect(j.json).toMatchObject({ id: "j-1", device: "dev-a", request: { id: "j-1", command: "ping" }, status: null, final: false });
  expect((j.json.steps as { kind: string }[]).map((s) => s.kind)).toEqual(["published"]);
  expect((await call("GET", "/api/devices/dev-a/stats")).json).toMatchObject({ device: "dev-a", points: [], counts: { pending: 1 } });
});

test("the cloud's auth token is in no answer the page can read", () => {
  expect(seen.length).toBeGreaterThan(20);
  for (const body of seen) expect(body).not.toContain(cloud.authToken);
});

test("the new routes are behind the same Host check", async () => {
  const { request } = await import("node:http");
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: Number(new URL(dash.url).port), path: "/api/network", headers: { host: "rebind.example" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
  expect(status).toBe(403);
});

test("without a cloud, the network and platform routes say so (503 no_cloud); with the cloud unreachable, 502", async () => {
  const bare = await startDashboard({ port: 0, mqtt: broker.url, prefix: P, devices: [{ name: "dev-a", sim_sid: sim, transport: "ip+sms" }] });
  try {
    expect(await (await fetch(`${bare.url}/api/network`)).json()).toEqual({ available: false, connected: false, network: null, sims: [] });
    for (const [m, path] of [["GET", "/api/devices/dev-a/network"], ["POST", "/api/devices/dev-a/network/detach"], ["GET", "/api/platform/sims"]] as const) {
      const res = await fetch(bare.url + path, { method: m, headers: { "content-type": "application/json" }, body: m === "POST" ? "{}" : undefined });
      expect({ path, status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ path, status: 503, code: "no_cloud" });
    }
  } finally {
    await bare.close();
  }
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
  const lost = await startDashboard({ port: 0, mqtt: broker.url, prefix: P, cloud: { url: `http://127.0.0.1:${port}`, accountSid: cloud.accountSid, authToken: "t" } });
  try {
    const res = await fetch(`${lost.url}/api/platform/sims`);
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([502, "cloud_unavailable"]);
    expect(await (await fetch(`${lost.url}/api/network`)).json()).toMatchObject({ available: true, connected: false, network: null });
  } finally {
    await lost.close();
  }
  await expect(startDashboard({ port: 0, mqtt: broker.url, prefix: P, cloud: { url: "ftp://x", accountSid: "a", authToken: "b" } })).rejects.toThrow(/"cloud"/);
});
