/**
 * Point 3: with only a KORE secret, an X-Twilio-Signature made with an empty key (anyone can) was accepted,
 * and Huawei notifications needed no token. Point 9: a kore-signature does not cover the query, so the
 * correlation parameters `dl`/`id` are bound by the bridge's own token `t`.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createHmac } from "node:crypto";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { boundQuery, callbackQuery } from "../../host-tools/bridge/callback-token.js";
import { koreSignature, twilioSignature, validateKoreSignature, validateSignature } from "../../host-tools/platform/signature.js";
import { postForm, Recorder, tempDir } from "../bridge/helpers.js";
import { ipUplink } from "./helpers.js";

const KORE = "kore-secret-" + "9".repeat(20);
const ACCOUNT = "AC" + "9".repeat(32);
const data = tempDir("sec-sig");
let bridge: BridgeHandle;
let rec: Recorder;

beforeAll(async () => {
  bridge = await startBridge({ port: 0, brokerPort: 0, data: data.dir, instance: "sec-sig", prefix: "sig", twilio: { accountSid: ACCOUNT, koreSecret: KORE } });
  rec = await Recorder.open(bridge.mqttUrl, ["sig/#"]);
});
afterAll(async () => {
  await rec?.close();
  await bridge?.close();
  data.remove();
});

const korePost = (url: string, params: Record<string, string>) => {
  const body = new URLSearchParams(params).toString();
  return postForm(url, params, { "kore-signature": koreSignature(KORE, "POST", url, body) });
};

describe("no scheme is ever checked against an empty key", () => {
  test("validateSignature / validateKoreSignature refuse an empty secret, whatever the signature", () => {
    const url = "https://x.example/hook";
    expect(validateSignature("", twilioSignature("", url, { a: "1" }), url, { a: "1" })).toBe(false);
    expect(validateKoreSignature("", "", "POST", url, "a=1")).toBe(false);
    expect(validateKoreSignature("", koreSignature("", "POST", url, "a=1"), "POST", url, "a=1")).toBe(false);
  });

  test("KORE secret only: an X-Twilio-Signature made with the empty key → 403; a KORE-signed uplink → published", async () => {
    const url = `${bridge.url}/webhooks/twilio/ip-commands`;
    const forged = ipUplink(ACCOUNT, "victim", 1);
    expect(await postForm(url, forged, { "x-twilio-signature": twilioSignature("", url, forged) })).toBe(403);
    expect(await postForm(url, forged, { "kore-signature": "" })).toBe(403);
    const good = ipUplink(ACCOUNT, "victim", 2);
    expect(await korePost(url, good)).toBe(204);
    await rec.waitFor((m) => m.topic === "sig/devices/victim/up" && m.json.platform_ref === good.CommandSid);
    expect(rec.find((m) => m.json.platform_ref === forged.CommandSid)).toEqual([]);
  });

  test("Huawei notifications: no token, an empty one, or the token of an empty secret → 403", async () => {
    const body = JSON.stringify({ deviceId: "hw", commandId: "c1", result: { resultCode: "SUCCESS" } });
    const emptyKeyToken = createHmac("sha256", "").update("simcmd-bridge huawei callback").digest("hex").slice(0, 24);
    for (const q of ["", "?k=", `?k=${emptyKeyToken}`]) {
      const res = await fetch(`${bridge.url}/webhooks/huawei/cmd${q}`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(403);
    }
  });

  test("a bridge with no secret at all does not start unless signature: off", async () => {
    await expect(startBridge({ port: 0, brokerPort: 0, data: ":memory:", twilio: { accountSid: ACCOUNT } })).rejects.toThrow(/required to check webhook signatures/);
    await expect(startBridge({ port: 0, brokerPort: 0, data: ":memory:", signature: "twilio", twilio: { accountSid: ACCOUNT, koreSecret: KORE } })).rejects.toThrow(/signature twilio needs twilio.authToken/);
  });
});

describe("correlation parameters under KORE", () => {
  test("boundQuery keeps dl/id only with the token the bridge made", () => {
    const q = Object.fromEntries(new URLSearchParams(callbackQuery("key", 7, "req-1"))) as Record<string, string>;
    expect(boundQuery("key", q)).toMatchObject({ dl: "7", id: "req-1" });
    expect(boundQuery("key", { ...q, dl: "8" })).not.toHaveProperty("dl");
    expect(boundQuery("key", { ...q, id: "other" })).not.toHaveProperty("id");
    expect(boundQuery("other key", q)).not.toHaveProperty("dl");
    expect(boundQuery("key", { dl: "7", id: "req-1" })).toEqual({});
  });

  test("a KORE-signed status callback whose query was changed: its id is not taken", async () => {
    const params = { AccountSid: ACCOUNT, CommandSid: "HG" + "7".repeat(32), SimSid: "HS" + "7".repeat(32), SimUniqueName: "corr", Status: "failed", Direction: "to_sim" };
    // replayed with a query of the attacker's choosing: the signature (no query) still verifies
    const forged = `${bridge.url}/webhooks/twilio/ip-commands?dl=1&id=forged`;
    expect(await korePost(forged, params)).toBe(204);
    const [ev] = await rec.waitFor((m) => m.topic === "sig/devices/corr/down/failed" && m.json.platform_ref === params.CommandSid);
    expect(ev?.json.id).toBeNull();
  });
});
