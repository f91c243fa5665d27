/**
 * The dashboard's HTTP API against a real broker (the embedded Aedes), without a browser: command requests
 * (validation, what reaches MQTT), the device list, the event stream (history, live, Last-Event-ID, bounds)
 * and the answer when the broker is down. A recorder subscribed to the down topics sees what is published.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createServer } from "node:net";
import { startBroker, type EmbeddedBroker } from "../../host-tools/bridge/broker.js";
import { startDashboard, type DashboardHandle } from "../../host-tools/dashboard/index.js";
import { Recorder } from "../bridge/helpers.js";
import { SseClient } from "../helpers/sse.js";

const P = "simcmdtest/dash";
const SID = "HS" + "a".repeat(32);
let broker: EmbeddedBroker;
let dash: DashboardHandle;
let rec: Recorder;

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  dash = await startDashboard({ port: 0, mqtt: broker.url, prefix: P, devices: [{ name: "dev-a", sim_sid: SID, transport: "ip+sms" }], history: 5 });
  rec = await Recorder.open(broker.url, [`${P}/devices/+/down`]);
});
afterAll(async () => {
  await rec?.close();
  await dash?.close();
  await broker?.close();
});

async function post(name: string, body: string, contentType = "application/json"): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${dash.url}/api/devices/${encodeURIComponent(name)}/down`, { method: "POST", headers: { "content-type": contentType }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const errorCode = (r: { json: Record<string, unknown> }) => (r.json["error"] as { code?: string } | undefined)?.code;
const downTopic = (name: string) => `${P}/devices/${name}/down`;

describe("POST /api/devices/:name/down", () => {
  test("a bad request is answered 400 (404 for a name that is not one topic level, 415 for non-JSON) and publishes nothing", async () => {
    const from = rec.msgs.length;
    const cases: [string, string, number, string, RegExp?][] = [
      ["dev-a", "{", 400, "bad_json"],
      ["dev-a", "", 400, "bad_json"],
      ["dev-a", '{"command":"ping","colour":"red"}', 400, "bad_request", /colour/],
      ["dev-a", '{"command":5}', 400, "bad_request"],
      ["dev-a", '{"command":"ping","payload":"x"}', 400, "bad_request", /exactly one/],
      ["dev-a", '{"command":"ping","id":"has space"}', 400, "bad_request", /id/],
      ["dev-a", '{"command":"ping","expires_at":"soon"}', 400, "bad_request", /expires_at/],
      ["dev-a", '["ping"]', 400, "bad_request"],
      ["dev-a", '{"command":"ping","transport":"lora"}', 400, "wrong_transport"],
      ["dev-a", JSON.stringify({ command: "echo " + "x".repeat(4090) }), 400, "oversized"],
      ["a/b", '{"command":"ping"}', 404, "not_found", /topic level/],
      ["a+", '{"command":"ping"}', 404, "not_found"],
      ["#", '{"command":"ping"}', 404, "not_found"],
    ];
    for (const [name, body, status, code, message] of cases) {
      const r = await post(name, body);
      expect({ name, body: body.slice(0, 40), status: r.status, code: errorCode(r) }).toEqual({ name, body: body.slice(0, 40), status, code });
      expect(typeof (r.json["error"] as { message?: unknown }).message).toBe("string");
      if (message) expect((r.json["error"] as { message: string }).message).toMatch(message);
    }
    const plain = await post("dev-a", '{"command":"ping"}', "text/plain");
    expect([plain.status, errorCode(plain)]).toEqual([415, "unsupported_media_type"]);
    // The marker goes out on the dashboard's own connection after every request above, so the broker has
    // anything they might have published before it, and forwards it to the recorder first.
    expect((await post("dev-a", '{"id":"marker","command":"ping"}')).status).toBe(202);
    await rec.waitFor((m) => m.json["id"] === "marker");
    expect(rec.msgs.slice(from).map((m) => `${m.topic} ${m.text}`)).toEqual([`${downTopic("dev-a")} {"id":"marker","command":"ping"}`]);
  });

  test("a valid request is published at QoS 1 to {prefix}/devices/{name}/down with its id and answered 202", async () => {
    const r = await post("dev-a", JSON.stringify({ id: "c1", command: "ping", transport: "sms" }));
    expect(r).toEqual({ status: 202, json: { id: "c1", topic: downTopic("dev-a") } });
    const [m] = await rec.waitFor((x) => x.json["id"] === "c1");
    expect(m?.topic).toBe(downTopic("dev-a"));
    expect(m?.json).toEqual({ id: "c1", command: "ping", transport: "sms" });

    // Without an id, the dashboard gives one: dash-<n>, a new one each time.
    const a = await post("dev-a", '{"command":"info"}');
    const b = await post("dev-a", '{"command":"info"}');
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json["id"]).toMatch(/^dash-\d+$/);
    expect(b.json["id"]).not.toBe(a.json["id"]);
    const [ma] = await rec.waitFor((x) => x.json["id"] === a.json["id"]);
    expect(ma?.json).toEqual({ command: "info", id: a.json["id"] });

    // A device the dashboard has never heard of is fine (names are not checked against a list), and the limit
    // is 4096 bytes inclusive. A numeric id is sent as the string the bridge would make of it.
    const body = JSON.stringify({ id: 7, command: "echo " });
    const atLimit = body.replace('"echo "', `"echo ${"y".repeat(4096 - body.length)}"`);
    expect(Buffer.byteLength(atLimit)).toBe(4096);
    expect(await post("not-listed", atLimit)).toEqual({ status: 202, json: { id: "7", topic: downTopic("not-listed") } });
    const [big] = await rec.waitFor((x) => x.topic === downTopic("not-listed"));
    expect(big?.json["id"]).toBe("7");
  });
});

describe("GET /api/events and /api/devices", () => {
  test("a new stream gets the recent history (bounded), then live events; Last-Event-ID replays only what was missed", async () => {
    const first = await SseClient.open(`${dash.url}/api/events`);
    const up = (n: number) => rec.client.publishAsync(`${P}/devices/dev-b/up`, JSON.stringify({ n, sim_sid: "HS" + "b".repeat(32) }), { qos: 1 });
    for (let n = 0; n < 7; n++) await up(n);
    await first.waitFor((e) => e.data.includes('"n":6'));
    first.close();

    const second = await SseClient.open(`${dash.url}/api/events`);
    expect(second.status).toBe(200);
    await second.waitFor(() => true, 5);
    // history: 5 → the last five of the seven
    expect(second.json().map((e) => (e["payload"] as { n: number }).n)).toEqual([2, 3, 4, 5, 6]);
    expect(second.json()[0]).toEqual({
      topic: `${P}/devices/dev-b/up`,
      device: "dev-b",
      kind: "up",
      payload: { n: 2, sim_sid: "HS" + "b".repeat(32) },
      retained: false,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    await up(7);
    const [live] = await second.waitFor((e) => e.data.includes('"n":7'));
    expect(second.events.indexOf(live!)).toBe(5);

    const fourth = second.events[2]!; // n = 4
    second.close();
    const resumed = await SseClient.open(`${dash.url}/api/events`, { "last-event-id": fourth.id! });
    await resumed.waitFor(() => true, 3);
    expect(resumed.json().map((e) => (e["payload"] as { n: number }).n)).toEqual([5, 6, 7]);
    resumed.close();
  });

  test("kinds and payloads: down/<status>, retained state, bridge presence as text", async () => {
    const sse = await SseClient.open(`${dash.url}/api/events`);
    await rec.client.publishAsync(`${P}/devices/dev-a/down/succeeded`, JSON.stringify({ id: "k1", status: "succeeded", result: "pong" }), { qos: 1 });
    await rec.client.publishAsync(`${P}/bridge/b1/state`, "online", { qos: 1, retain: true });
    await rec.client.publishAsync(`${P}/devices/dev-a/state`, JSON.stringify({ device: "dev-a", state: "fault", condition: "fault", reason: "r1" }), { qos: 1, retain: true });
    await sse.waitFor((e) => e.data.includes('"kind":"state"'));
    const got = sse.json().filter((e) => !String(e["topic"]).endsWith("/up"));
    expect(got.map((e) => [e["kind"], e["device"], e["payload"]])).toEqual([
      ["down/succeeded", "dev-a", { id: "k1", status: "succeeded", result: "pong" }],
      ["bridge", "b1", "online"],
      ["state", "dev-a", { device: "dev-a", state: "fault", condition: "fault", reason: "r1" }],
    ]);
    sse.close();

    const res = await fetch(`${dash.url}/api/devices`);
    const { devices } = (await res.json()) as { devices: Record<string, unknown>[] };
    // Configured first, then the ones heard on MQTT; the SIM SID of dev-b comes from its uplinks.
    expect(devices.map((d) => d["name"])).toEqual(["dev-a", "not-listed", "dev-b"]);
    expect(devices[0]).toEqual({ name: "dev-a", sim_sid: SID, transport: "ip+sms", state: { device: "dev-a", state: "fault", condition: "fault", reason: "r1" } });
    expect(devices[2]).toEqual({ name: "dev-b", sim_sid: "HS" + "b".repeat(32), transport: null, state: null });
  });

  test("a closed stream is forgotten by the server", async () => {
    const health = async () => (await (await fetch(`${dash.url}/healthz`)).json()) as { ok: boolean; mqtt: boolean; sse_clients: number };
    const before = (await health()).sse_clients;
    const sse = await SseClient.open(`${dash.url}/api/events`);
    expect((await health()).sse_clients).toBe(before + 1);
    sse.close();
    // The server learns of the close from its socket: poll /healthz (bounded) rather than sleep.
    const deadline = Date.now() + 5000;
    while ((await health()).sse_clients !== before && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(await health()).toEqual({ ok: true, mqtt: true, sse_clients: before });
  });

  test("the page, its script and stylesheet are served with a strict Content-Security-Policy", async () => {
    const page = await fetch(`${dash.url}/`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(await page.text()).toMatch(/<script type="module" src="\/app.js">/);
    const js = await fetch(`${dash.url}/app.js`);
    expect([js.status, js.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect((await fetch(`${dash.url}/style.css`)).headers.get("content-type")).toMatch(/^text\/css/);
  });
});

test("DNS rebinding: a request naming another host (a page elsewhere resolving to 127.0.0.1) is refused 403, nothing published", async () => {
  const { request } = await import("node:http");
  const port = Number(new URL(dash.url).port);
  const send = (host: string, method: string, path: string, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method, path, headers: { host, "content-type": "application/json" } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const evil = await send("rebind.example:80", "POST", "/api/devices/dev-a/down", JSON.stringify({ id: "rebound", command: "ping" }));
  expect(evil.status).toBe(403);
  expect(JSON.parse(evil.text)).toMatchObject({ error: { code: "forbidden_host" } });
  expect((await send("rebind.example", "GET", "/api/devices")).status).toBe(403);
  expect((await send(`localhost:${port}`, "GET", "/api/devices")).status).toBe(200);
  expect((await send(`[::1]:${port}`, "GET", "/healthz")).status).toBe(200);
  // nothing went out for the refused command: a marker published after it is the first thing seen
  await rec.client.publishAsync(downTopic("dev-a"), JSON.stringify({ id: "after-rebind" }), { qos: 1 });
  const [first] = await rec.waitFor((m) => m.topic === downTopic("dev-a") && (m.json.id === "after-rebind" || m.json.id === "rebound"));
  expect(first?.json.id).toBe("after-rebind");
});

test("with the broker unreachable, a command is answered 503 and /healthz says so", async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
  const down = await startDashboard({ port: 0, mqtt: `mqtt://127.0.0.1:${port}`, prefix: P });
  try {
    const res = await fetch(`${down.url}/api/devices/dev-a/down`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"command":"ping"}' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("broker_unavailable");
    expect(await (await fetch(`${down.url}/healthz`)).json()).toEqual({ ok: true, mqtt: false, sse_clients: 0 });
  } finally {
    await down.close();
  }
});

test("bad options are refused by name before anything starts", async () => {
  await expect(startDashboard({ port: 0, mqtt: broker.url, prefix: "simcmd/#" })).rejects.toThrow(/"prefix"/);
  await expect(startDashboard({ port: 0, mqtt: broker.url, prefix: P, history: 0 })).rejects.toThrow(/"history" must be a positive integer/);
});
