/**
 * Point 8: a body sent slowly kept a connection open for as long as the client liked (request timeout 0).
 * Each server now gives a request a bounded time to arrive, then answers 408 in its own shape and closes.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { startBroker, type EmbeddedBroker } from "../../host-tools/bridge/broker.js";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { startDashboard, type DashboardHandle } from "../../host-tools/dashboard/index.js";
import { tempDir } from "../bridge/helpers.js";
import { rawRequest } from "./helpers.js";

const data = tempDir("sec-timeouts");
let bridge: BridgeHandle;
let cloud: CloudHandle;
let broker: EmbeddedBroker;
let dash: DashboardHandle;

beforeAll(async () => {
  bridge = await startBridge({ port: 0, brokerPort: 0, data: data.dir, instance: "sec-timeouts", requestTimeout: 400, twilio: { accountSid: "AC" + "1".repeat(32), authToken: "t" } });
  cloud = await startCloud({ requestTimeoutMs: 400 });
  broker = await startBroker({ port: 0 });
  dash = await startDashboard({ port: 0, mqtt: broker.url, prefix: "sec/to", requestTimeoutMs: 400 });
});
afterAll(async () => {
  await dash?.close();
  await broker?.close();
  await cloud?.close();
  await bridge?.close();
  data.remove();
});

const portOf = (url: string) => Number(new URL(url).port);
/** Headers promising 1000 bytes of body, then one byte every 100 ms: a slow client that never finishes. */
const slowBody = (path: string, type: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: 1000\r\n` +
  // the cloud authenticates before it reads a body: with credentials, the body is what it waits for
  `Authorization: Basic ${Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64")}\r\n\r\n`;
const slowHeaders = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;

describe.each([
  ["bridge", () => bridge.url, "/webhooks/twilio/ip-commands", "application/x-www-form-urlencoded", (body: string) => expect(body).toMatch(/did not arrive within 400 ms/)],
  ["cloud", () => cloud.url, "/supersim/v1/IpCommands", "application/x-www-form-urlencoded", (body: string) => expect(JSON.parse(body)).toMatchObject({ code: 20408, status: 408 })],
  ["dashboard", () => dash.url, "/api/devices/d/down", "application/json", (body: string) => expect(JSON.parse(body)).toMatchObject({ error: { code: "timeout" } })],
])("%s", (_name, url, path, type, shape) => {
  test("a body that trickles in → 408 in the server's shape, connection closed (not held open)", async () => {
    const r = await rawRequest(portOf(url()), slowBody(path, type), { drip: "a", everyMs: 100, maxMs: 5000 });
    expect(r.status).toBe(408);
    shape(r.body);
    expect(r.closedAfterMs).toBeLessThan(4000);
  });

  test("headers that trickle in → 408, closed", async () => {
    const r = await rawRequest(portOf(url()), slowHeaders(path), { drip: "X-A: b\r\n", everyMs: 100, maxMs: 5000 });
    expect(r.status).toBe(408);
    expect(r.closedAfterMs).toBeLessThan(4000);
  });
});
