/**
 * Point 4: the dashboard's DNS-rebinding guard took any Host starting with "127." (127.evil.example read the
 * devices and sent commands). Now: IP literals (loopback ones on a loopback listener), localhost, and the
 * names configured in allowedHosts. Point 9: a command body that is not UTF-8 is refused, never sent with
 * U+FFFD in it; a wrong method is 405.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startBroker, type EmbeddedBroker } from "../../host-tools/bridge/broker.js";
import { startDashboard, type DashboardHandle } from "../../host-tools/dashboard/index.js";
import { hostAllowed } from "../../host-tools/dashboard/http.js";
import { Recorder } from "../bridge/helpers.js";
import { httpRequest, rawRequest } from "./helpers.js";

const P = "simcmdtest/sec-dash";
let broker: EmbeddedBroker;
let dash: DashboardHandle;
let rec: Recorder;

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  dash = await startDashboard({ port: 0, mqtt: broker.url, prefix: P, allowedHosts: ["dash.example.org"] });
  rec = await Recorder.open(broker.url, [`${P}/devices/+/down`]);
});
afterAll(async () => {
  await rec?.close();
  await dash?.close();
  await broker?.close();
});

const port = () => new URL(dash.url).port;

describe("Host guard", () => {
  test.each(["127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "evil.example", "[::1].evil", "0x7f.0.0.1"])(
    "Host %j → 403 on reads and commands, nothing published",
    async (host) => {
      const from = rec.msgs.length;
      const read = await httpRequest(`${dash.url}/api/devices`, { headers: { host } });
      expect(read.status).toBe(403);
      expect(JSON.parse(read.text)).toMatchObject({ error: { code: "forbidden_host" } });
      const cmd = await httpRequest(`${dash.url}/api/devices/dev/down`, { method: "POST", headers: { host, "content-type": "application/json" }, body: '{"command":"ping"}' });
      expect(cmd.status).toBe(403);
      await rec.settle();
      expect(rec.msgs.length).toBe(from);
    },
  );

  test.each(["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]", "dash.example.org"])("Host %s:port → 200", async (h) => {
    const r = await httpRequest(`${dash.url}/api/devices`, { headers: { host: `${h}:${port()}` } });
    expect(r.status).toBe(200);
  });

  test("on a non-loopback listener any IP literal is fine, names still are not", () => {
    expect(hostAllowed("192.168.1.5:4012", "0.0.0.0", [])).toBe(true);
    expect(hostAllowed("[fe80::1]:4012", "0.0.0.0", [])).toBe(true);
    expect(hostAllowed("192.168.1.5", "127.0.0.1", [])).toBe(false);
    expect(hostAllowed("box.lan", "0.0.0.0", [])).toBe(false);
    expect(hostAllowed("box.lan", "0.0.0.0", ["box.lan"])).toBe(true);
  });

  test("no Host at all (HTTP/1.0) → 403", async () => {
    const r = await rawRequest(Number(port()), "GET /api/devices HTTP/1.0\r\n\r\n");
    expect(r.status).toBe(403);
  });

  test("allowedHosts must be host names", async () => {
    await expect(startDashboard({ port: 0, mqtt: broker.url, prefix: P, allowedHosts: ["x.org:80"] })).rejects.toThrow(/allowedHosts/);
  });
});

describe("commands", () => {
  test("a body that is not UTF-8 → 400 bad_json, nothing published", async () => {
    const from = rec.msgs.length;
    const body = Buffer.concat([Buffer.from('{"command":"echo '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const r = await httpRequest(`${dash.url}/api/devices/dev/down`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: "bad_json" } });
    await rec.settle();
    expect(rec.msgs.length).toBe(from);
  });

  test("a wrong method → 405 with Allow, in the dashboard's shape", async () => {
    const r = await httpRequest(`${dash.url}/api/devices/dev/down`, { method: "GET" });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("POST");
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: "method_not_allowed" } });
  });
});
