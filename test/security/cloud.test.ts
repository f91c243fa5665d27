/**
 * The mock cloud under hostile input. Point 5: a callback URL that answers without end is read to a bound.
 * Point 6: malformed requests that were 500s are 4xx in the route's shape. Point 7: a record cap (oldest
 * first), a refusal cap for resources, and bounded event streams. Point 9: X-Forwarded-* only through a
 * trusted proxy; fastify's own errors and wrong methods in the Twilio shape; loose values refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { admin, cloudAndClient, type Client } from "../cloud/harness.js";
import { httpRequest, rawRequest } from "./helpers.js";

let cloud: CloudHandle;
let client: Client;
let basic: string;

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  basic = "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");
});
afterAll(async () => {
  await cloud?.close();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body).toString(),
});

describe("point 5: a callback's response is read to 64 KiB, then dropped", () => {
  let server: Server;
  let written = 0;
  let closed: Promise<void>;
  beforeAll(async () => {
    let onClose: () => void = () => undefined;
    closed = new Promise((r) => (onClose = r));
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      // an endless answer: write whenever the socket drains, until the client goes away
      const more = (): void => {
        while (!res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return;
        }
      };
      res.on("drain", more);
      res.on("close", onClose);
      more();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test("the outcome is the status (ok), the server sees the connection closed after a few MB at most", async () => {
    const addr = server.address() as { port: number };
    const r = await cloud.ctx.callbacks.deliver({ url: `http://127.0.0.1:${addr.port}/endless`, method: "POST", params: { A: "1" }, kind: "test.endless" });
    expect(r).toMatchObject({ ok: true, statusCode: 200, attempts: 1 });
    await closed;
    // what the socket buffers took, not what the cloud kept: far below the 400 MB that used to be read whole
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });
});

describe("point 6: bad input is a 4xx in the route's shape, never a 500", () => {
  test.each(["/oauth/token", "/api-services/v1/auth/token"])("%s with numeric client_id / client_secret (JSON) → 400 invalid_request", async (path) => {
    const res = await fetch(cloud.url + path, json({ grant_type: "client_credentials", client_id: 1, client_secret: 2 }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  test("OAuth: a parameter given twice → 400 invalid_request", async () => {
    const res = await fetch(`${cloud.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&client_id=a&client_id=b&client_secret=c" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  test("Huawei login with numeric appId / secret → 400 100022", async () => {
    const res = await fetch(`${cloud.url}/huawei/iocm/app/sec/v1.1.0/login`, json({ appId: 1, secret: 2 }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: "100022" });
  });

  test("Huawei deviceCommands with paras nested 10,000 deep → 400 100022; a /_mock/ route the same in the Twilio shape", async () => {
    expect((await admin(cloud, "/_mock/huawei/devices", { device_id: "deep-dev" })).status).toBe(201);
    let paras = "{}";
    for (let i = 0; i < 10_000; i++) paras = `{"a":${paras}}`;
    const res = await fetch(`${cloud.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands`, {
      method: "POST", headers: { "content-type": "application/json", authorization: basic },
      body: `{"deviceId":"deep-dev","command":{"serviceId":"s","method":"m","paras":${paras}}}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: "100022", error_desc: expect.stringMatching(/nested deeper than 64/) });
    const m = await fetch(`${cloud.url}/_mock/network`, { method: "POST", headers: { "content-type": "application/json", authorization: basic }, body: "[".repeat(5000) + "]".repeat(5000) });
    expect(m.status).toBe(400);
    expect(await m.json()).toMatchObject({ code: 20001 });
  });
});

describe("point 7: memory is bounded", () => {
  test("maxRecords: records keep the newest N (oldest first); a resource past N is refused 403/20403", async () => {
    const small = await startCloud({ maxRecords: 3 });
    const auth = "Basic " + Buffer.from(`${small.accountSid}:${small.authToken}`).toString("base64");
    try {
      const created: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${small.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands`, json({ deviceId: "nobody", command: { serviceId: "s", method: "m", paras: {} } }, { authorization: auth }));
        expect(res.status).toBe(404); // no device yet: nothing stored
      }
      for (const id of ["d1", "d2", "d3"]) expect((await admin(small, "/_mock/huawei/devices", { device_id: id })).status).toBe(201);
      const refused = await admin(small, "/_mock/huawei/devices", { device_id: "d4" });
      expect(refused.status).toBe(403);
      expect(refused.json).toMatchObject({ code: 20403, message: expect.stringMatching(/at most 3 rows in huawei_devices/) });
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${small.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands`, json({ deviceId: "d1", command: { serviceId: "s", method: `m${i}`, paras: {} } }, { authorization: auth }));
        expect(res.status).toBe(201);
        created.push(((await res.json()) as { commandId: string }).commandId);
      }
      const list = await fetch(`${small.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands?pageSize=10`, { headers: { authorization: auth } });
      const body = (await list.json()) as { pagination: { totalSize: number }; data: { commandId: string }[] };
      expect(body.pagination.totalSize).toBe(3);
      expect(body.data.map((c) => c.commandId)).toEqual(created.slice(2).reverse());
    } finally {
      await small.close();
    }
  });

  test("/_mock/events: streams past maxEventStreams → 503; a reader that does not read is dropped once 1 MiB behind", async () => {
    const c = await startCloud({ maxEventStreams: 2 });
    const auth = "Basic " + Buffer.from(`${c.accountSid}:${c.authToken}`).toString("base64");
    const port = Number(new URL(c.url).port);
    try {
      // a reader that does not read (yet): its socket is paused, so what the cloud writes piles up on the cloud's side
      const stalled = connect(port, "127.0.0.1");
      let received = 0;
      const opened = new Promise<void>((r) => stalled.once("data", () => r()));
      stalled.on("data", (d: Buffer) => (received += d.length));
      const gone = new Promise<void>((r) => stalled.on("close", () => r()));
      stalled.write(`GET /_mock/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
      await opened; // the stream is open (its head came); from now on it reads nothing
      stalled.pause();
      const other = await fetch(`${c.url}/_mock/events`, { headers: { authorization: auth } });
      expect(other.status).toBe(200);
      const third = await fetch(`${c.url}/_mock/events`, { headers: { authorization: auth } });
      expect(third.status).toBe(503);
      expect(await third.json()).toMatchObject({ code: 20503 });
      await other.body?.cancel();
      // 40 MB of events: the stalled stream passes 1 MiB buffered and is closed; when it reads at last it gets
      // what the socket buffers held, then the end — not the 40 MB
      const big = "x".repeat(64 * 1024);
      for (let i = 0; i < 640; i++) c.events.emit("test.big", { big });
      stalled.resume();
      await gone;
      expect(received).toBeLessThan(16 * 1024 * 1024);
      // the slot is free again
      const again = await fetch(`${c.url}/_mock/events`, { headers: { authorization: auth } });
      expect(again.status).toBe(200);
      await again.body?.cancel();
    } finally {
      await c.close();
    }
  });
});

describe("point 9: links, errors and values", () => {
  test("X-Forwarded-Host / -Proto are ignored by default; honoured with trustProxy", async () => {
    const headers = { authorization: basic, "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" };
    const r = await httpRequest(`${cloud.url}/supersim/v1/IpCommands?PageSize=1`, { headers });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain("evil.example");
    expect((JSON.parse(r.text) as { meta: { url: string } }).meta.url.startsWith(`${cloud.url}/supersim/v1/IpCommands`)).toBe(true);
    const proxied = await startCloud({ trustProxy: "127.0.0.1" });
    try {
      const auth = "Basic " + Buffer.from(`${proxied.accountSid}:${proxied.authToken}`).toString("base64");
      const p = await httpRequest(`${proxied.url}/supersim/v1/IpCommands?PageSize=1`, { headers: { ...headers, authorization: auth, "x-forwarded-host": "api.example.net" } });
      expect((JSON.parse(p.text) as { meta: { url: string } }).meta.url.startsWith("https://api.example.net/supersim/v1/IpCommands")).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  test("a bad % in the path → 400/20001, headers over 16 KiB → 431/20431, both in the Twilio shape", async () => {
    const port = Number(new URL(cloud.url).port);
    const bad = await rawRequest(port, `GET /supersim/v1/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nConnection: close\r\n\r\n`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 20001, status: 400 });
    const big = await rawRequest(port, `GET /supersim/v1/Sims HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(JSON.parse(big.body)).toMatchObject({ code: 20431, status: 431 });
  });

  test("a wrong method → 405/20405 with Allow", async () => {
    const r = await httpRequest(`${cloud.url}/supersim/v1/IpCommands`, { method: "DELETE", headers: { authorization: basic } });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("GET, HEAD, POST");
    expect(JSON.parse(r.text)).toMatchObject({ code: 20405, status: 405 });
  });

  test("DevicePort=-0 (and 007) → 400/20001", async () => {
    for (const port of ["-0", "007"]) {
      const res = await fetch(`${cloud.url}/supersim/v1/IpCommands`, form({ Sim: "HS" + "0".repeat(32), Payload: "x", DevicePort: port }, { authorization: basic }));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 20001, message: expect.stringMatching(/DevicePort/) });
    }
  });

  test("sms_max_resends: 1.5 → 400; latency_ms 2.5 → 400; loss 0.5 is fine", async () => {
    expect((await admin(cloud, "/_mock/network", { sms_max_resends: 1.5 })).status).toBe(400);
    expect((await admin(cloud, "/_mock/network", { latency_ms: 2.5 })).status).toBe(400);
    expect((await admin(cloud, "/_mock/network", { loss: 0.5 })).status).toBe(200);
    expect((await admin(cloud, "/_mock/network", { loss: 0 })).status).toBe(200);
  });

  test("Huawei list: startTime 20261399T999999Z → 400; deviceId given twice → 400, never an unfiltered list", async () => {
    const base = `${cloud.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands`;
    const h = { authorization: basic };
    const t = await fetch(`${base}?startTime=20261399T999999Z`, { headers: h });
    expect(t.status).toBe(400);
    expect(await t.json()).toMatchObject({ error_code: "100022", error_desc: expect.stringMatching(/not a real time/) });
    expect((await fetch(`${base}?startTime=20240229T235959Z`, { headers: h })).status).toBe(200);
    const d = await fetch(`${base}?deviceId=a&deviceId=b`, { headers: h });
    expect(d.status).toBe(400);
    expect(await d.json()).toMatchObject({ error_code: "100022" });
  });

  test("a Host that names Object.prototype's members is no product", async () => {
    const r = await httpRequest(`${cloud.url}/v1/Sims`, { headers: { authorization: basic, host: "constructor" } });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toMatchObject({ code: 20404 });
  });

  test("the official client still pages through with the links it is given", async () => {
    const page = await client.supersim.v1.ipCommands.page({ pageSize: 1 });
    expect(page.instances.length).toBeLessThanOrEqual(1);
  });
});
