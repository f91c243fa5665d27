/**
 * Point 1: form bodies are parsed in one linear pass with a cap on parameters and repeated values, and the
 * cloud authenticates before it reads a body where the protocol allows it. Before, `a=&a=&…` grew the list of
 * a repeated key by copying it (quadratic): 90 KB held the bridge's event loop for seconds, before any
 * signature check.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { FORM_MAX_PARAMS, FORM_MAX_VALUES, FormError, parseUrlEncoded } from "../../host-tools/http/form-body.js";
import { tempDir } from "../bridge/helpers.js";

const TOKEN = "f".repeat(32);
const ACCOUNT = "AC" + "f".repeat(32);
const repeated = (n: number) => "a=&".repeat(n);
const distinct = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=`).join("&");

describe("parseUrlEncoded", () => {
  test.each([
    ["a=1&b=2&a=3", [["a", ["1", "3"]], ["b", "2"]]],
    ["a+b=c%20d&&e", [["a b", "c d"], ["e", ""]]],
    ["", []],
    ["__proto__=x&constructor=y", [["__proto__", "x"], ["constructor", "y"]]],
  ])("%j", (text, want) => {
    const got = parseUrlEncoded(text);
    expect(Object.getPrototypeOf(got)).toBeNull();
    expect(Object.entries(got)).toEqual(want);
  });

  test.each([
    ["a bad escape", "a=%zz", /percent-encoding in parameter a/],
    ["bytes that are not UTF-8", "%FF=1", /percent-encoding in a parameter name/],
    ["a pair without a name", "=1", /without a name/],
    ["one parameter too many", distinct(FORM_MAX_PARAMS + 1), new RegExp(`more than ${FORM_MAX_PARAMS} parameters`)],
    ["one value too many", "k=1&".repeat(FORM_MAX_VALUES + 1), new RegExp(`parameter k is given more than ${FORM_MAX_VALUES} times`)],
  ])("%s → FormError", (_what, text, message) => {
    expect(() => parseUrlEncoded(text)).toThrow(FormError);
    expect(() => parseUrlEncoded(text)).toThrow(message);
  });

  test("the caps can be set per call", () => {
    expect(() => parseUrlEncoded("a=1&b=2&c=3", { maxParams: 2 })).toThrow(/more than 2 parameters/);
    expect(() => parseUrlEncoded("a=1&a=2", { maxValues: 1 })).toThrow(/more than 1 times/);
  });
});

describe("the bridge", () => {
  const data = tempDir("sec-form");
  let bridge: BridgeHandle;
  beforeAll(async () => {
    bridge = await startBridge({ port: 0, brokerPort: 0, data: data.dir, instance: "sec-form", twilio: { accountSid: ACCOUNT, authToken: TOKEN } });
  });
  afterAll(async () => {
    await bridge?.close();
    data.remove();
  });

  test("90 KB of a repeated key: 413 (webhook body limit); 45 KB: 400 (value cap); many names: 400 (parameter cap); counted, nothing stored", async () => {
    const url = `${bridge.url}/webhooks/twilio/ip-commands`;
    const post = (body: string) => fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect((await post(repeated(30_000))).status).toBe(413);
    const res = await post(repeated(15_000));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/parameter a is given more than 100 times/);
    const res2 = await post(distinct(5000));
    expect(res2.status).toBe(400);
    expect(await res2.text()).toMatch(/more than 1000 parameters/);
    expect(bridge.metrics.get("simcmd_bridge_rejects_total", { reason: "bad_webhook", route: "ip-commands" })).toBe(2);
    expect(bridge.outboxDepth()).toBe(0);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  });
});

describe("the mock cloud", () => {
  let cloud: CloudHandle;
  beforeAll(async () => {
    cloud = await startCloud({});
  });
  afterAll(async () => {
    await cloud?.close();
  });

  test.each(["/oauth/token", "/api-services/v1/auth/token", "/huawei/iocm/app/sec/v1.1.0/login"])(
    "%s: 120 KB of a repeated key, or 150 KB of names → 400 (caps), in the route's error shape",
    async (path) => {
      for (const [body, message] of [[repeated(40_000), /parameter a is given more than 100 times/], [distinct(15_000), /more than 1000 parameters/]] as const) {
        const res = await fetch(cloud.url + path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
        expect(res.status).toBe(400);
        const j = (await res.json()) as Record<string, unknown>;
        expect(JSON.stringify(j)).toMatch(message);
        expect(j.code ?? j.error_code).toBeDefined();
      }
    },
  );

  test("Huawei deviceCommands: no token → 401 before the body is read (a body that would not even parse)", async () => {
    const res = await fetch(`${cloud.url}/huawei/iocm/app/cmd/v1.4.0/deviceCommands`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: repeated(300_000),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_code: "100217" });
  });
});
