import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";
import { request } from "node:http";
import { activeSim, admin, cloudAndClient, type Client } from "./harness.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { createIpCommand } from "../../host-tools/cloud/products/supersim/store.js";
import type { Clock } from "../../firmware/hal/clock.js";

let cloud: CloudHandle;
let client: Client;
beforeAll(async () => ({ cloud, client } = await cloudAndClient()));
afterAll(() => cloud.close());

/** GET with a chosen Host header (fetch cannot set it). */
function getWithHost(path: string, host: string, authorization: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(cloud.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { host, authorization } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end();
  });
}

const basic = (u: string, p: string): string => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");
const errorShape = (code: number, status: number) => ({ code, status, message: expect.any(String), more_info: `https://www.twilio.com/docs/errors/${code}` });

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(cloud.url + path, {
    method: "POST",
    headers: { authorization: basic(cloud.accountSid, cloud.authToken), "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("errors through the official client", () => {
  test("201 on create, 200 on fetch (status codes)", async () => {
    const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "nap" });
    expect(client.httpClient.lastResponse?.statusCode).toBe(201);
    await client.supersim.v1.fleets(fleet.sid).fetch();
    expect(client.httpClient.lastResponse?.statusCode).toBe(200);
    await client.supersim.v1.fleets.list();
    expect(client.httpClient.lastResponse?.statusCode).toBe(200);
  });

  test("20003 bad token, 20003 another account (wrong account)", async () => {
    const bad = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: "nope" });
    await expect(bad.supersim.v1.sims.list()).rejects.toMatchObject({ status: 401, code: 20003, moreInfo: "https://www.twilio.com/docs/errors/20003" });
    const other = twilioClient({ baseUrl: cloud.url, accountSid: "AC" + "1".repeat(32), authToken: cloud.authToken });
    await expect(other.supersim.v1.fleets.list()).rejects.toMatchObject({ status: 401, code: 20003, message: "Authentication Error - invalid username" });
  });

  test("20404 unknown SID (fetch and as the Sim parameter)", async () => {
    await expect(client.supersim.v1.ipCommands("HG" + "0".repeat(32)).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.supersim.v1.sims("nosuchsim").fetch()).rejects.toMatchObject({ status: 404, code: 20404, message: "The requested resource /Sims/nosuchsim was not found" });
    await expect(client.supersim.v1.ipCommands.create({ sim: "HS" + "0".repeat(32), payload: "x", devicePort: 1 })).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  test("400 for an IP payload over 1300 bytes (text and decoded binary), 1300 accepted", async () => {
    const { sim } = await activeSim(client);
    await expect(client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "a".repeat(1301), devicePort: 1 })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: Buffer.alloc(1301).toString("base64"), payloadType: "binary", devicePort: 1 })).rejects.toMatchObject({ status: 400 });
    await expect(client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: Buffer.alloc(1300).toString("base64"), payloadType: "binary", devicePort: 1 })).resolves.toMatchObject({ status: "queued" });
    await expect(client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "é".repeat(651), devicePort: 1 })).rejects.toMatchObject({ status: 400 });
  });

  test("400 for an SMS over its limit: 161 GSM-7 / 71 UCS2; 160 and 70 accepted", async () => {
    const { sim } = await activeSim(client);
    await expect(client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "a".repeat(161) })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "a".repeat(160) })).resolves.toMatchObject({ status: "queued" });
    await expect(client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "ж".repeat(71) })).rejects.toMatchObject({ status: 400 });
    await expect(client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "ж".repeat(70) })).resolves.toMatchObject({ status: "queued" });
  });
});

describe("bad input over raw HTTP is a Twilio-shaped 4xx, never a 500, never a half-written record", () => {
  test("malformed form body, unknown parameter, wrong type, repeated scalar, unsupported type, oversized body", async () => {
    const before = (await client.supersim.v1.fleets.list()).length;
    expect(await post("/supersim/v1/Fleets", "NetworkAccessProfile=%zz")).toEqual({ status: 400, json: errorShape(20001, 400) });
    expect((await post("/supersim/v1/Fleets", "NetworkAccessProfile=a&Bogus=1")).json).toMatchObject({ code: 20001, message: "Unknown parameters: Bogus" });
    expect((await post("/supersim/v1/Fleets", "NetworkAccessProfile=a&DataLimit=lots")).status).toBe(400);
    expect((await post("/supersim/v1/Fleets", "NetworkAccessProfile=a&DataEnabled=maybe")).status).toBe(400);
    expect((await post("/supersim/v1/Fleets", "NetworkAccessProfile=a&NetworkAccessProfile=b")).status).toBe(400);
    expect((await post("/supersim/v1/Fleets", "UniqueName=x")).json).toMatchObject({ code: 20001, message: "Missing required parameter NetworkAccessProfile in the post body" });
    expect((await post("/supersim/v1/Fleets", "x", { "content-type": "text/plain" })).json).toMatchObject({ status: 400, code: 20001 });
    expect((await post("/supersim/v1/Fleets", "x", { "content-type": "application/xml" })).json).toMatchObject({ status: 415 });
    expect((await post("/supersim/v1/Fleets", "NetworkAccessProfile=" + "a".repeat(1_100_000))).json).toMatchObject({ status: 413, code: 20413 });
    expect((await post("/supersim/v1/IpCommands", "Sim=x&Payload=y&DevicePort=99999")).status).toBe(400);
    expect((await post("/supersim/v1/IpCommands", "Sim=x&Payload=@@@&DevicePort=1&PayloadType=binary")).status).toBe(400);
    expect((await client.supersim.v1.fleets.list()).length).toBe(before);
  });

  test("unknown path → 404/20404; no auth → 401/20003 with detail", async () => {
    const res = await fetch(cloud.url + "/supersim/v1/Nope", { headers: { authorization: basic(cloud.accountSid, cloud.authToken) } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(errorShape(20404, 404));
    const noAuth = await fetch(cloud.url + "/supersim/v1/Sims");
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ ...errorShape(20003, 401), detail: expect.any(String) });
    expect((await admin(cloud, "/_mock/sims/unknown/attach", {})).status).toBe(404);
    expect((await admin(cloud, "/_mock/network", { loss: 7 })).json).toMatchObject({ status: 400, code: 20001 });
  });
});

describe("KORE OAuth and host routing", () => {
  test("client-credentials token → Bearer accepted; bad secret → invalid_client", async () => {
    const tok = await fetch(cloud.url + "/api-services/v1/auth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: cloud.accountSid, client_secret: cloud.authToken }).toString(),
    });
    expect(tok.status).toBe(200);
    const t = (await tok.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(t).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const res = await getWithHost("/v1/Sims", "supersim.api.korewireless.com", `Bearer ${t.access_token}`);
    expect(res.status).toBe(200);
    const body = res.json as { meta: { url: string } };
    expect(body.meta.url).toBe("http://supersim.api.korewireless.com/v1/Sims?PageSize=50&Page=0");
    expect((await fetch(cloud.url + "/supersim/v1/Sims", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const bad = await fetch(cloud.url + "/oauth/token", { method: "POST", headers: { authorization: basic(cloud.accountSid, "x"), "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: "invalid_client" });
  });

  test("Host header supersim.twilio.com routes without the prefix; links follow the host", async () => {
    const res = await getWithHost("/v1/Fleets?PageSize=1", "supersim.twilio.com", basic(cloud.accountSid, cloud.authToken));
    expect(res.status).toBe(200);
    const body = res.json as { meta: { first_page_url: string; key: string } };
    expect(body.meta.key).toBe("fleets");
    expect(body.meta.first_page_url).toBe("http://supersim.twilio.com/v1/Fleets?PageSize=1&Page=0");
  });
});

describe("retention and events", () => {
  test("records older than 30 days disappear (injected clock)", async () => {
    let now = Date.parse("2025-01-01T00:00:00Z");
    const c = await startCloud({ clock: () => new Date(now) });
    try {
      const cl = twilioClient({ baseUrl: c.url, accountSid: c.accountSid, authToken: c.authToken });
      const { sim } = await activeSim(cl);
      const cmd = await cl.supersim.v1.ipCommands.create({ sim: sim.sid, payload: "old", devicePort: 1 });
      expect(cmd.dateCreated.toISOString()).toBe("2025-01-01T00:00:00.000Z");
      now += 29 * 86_400_000;
      expect((await cl.supersim.v1.ipCommands(cmd.sid).fetch()).sid).toBe(cmd.sid);
      now += 2 * 86_400_000;
      await expect(cl.supersim.v1.ipCommands(cmd.sid).fetch()).rejects.toMatchObject({ status: 404 });
      expect((await cl.supersim.v1.sims(sim.sid).fetch()).sid).toBe(sim.sid);
    } finally {
      await c.close();
    }
  });

  test("a backlog of expired records is purged in short steps, requests answered in between", async () => {
    const fake = new FakeClock(Date.parse("2025-03-01T00:00:00Z"));
    // Every reading of this clock moves it 1 ms, as if each purge batch took that long.
    let ticks = 0;
    const clock: Clock = { now: () => fake.now() + ticks++, setTimeout: (cb, ms) => fake.setTimeout(cb, ms), clearTimeout: (id) => fake.clearTimeout(id) };
    const c = await startCloud({ timers: clock });
    try {
      const old = fake.now() - 31 * 86_400_000;
      c.ctx.db.transaction(() => {
        for (let i = 0; i < 300; i++) {
          createIpCommand(c.ctx, {
            seq: 0, sid: c.ctx.sid("HG"), sim_sid: "HS" + "0".repeat(32), sim_iccid: null, status: "sent", direction: "to_sim", device_ip: null,
            device_port: 1, payload_type: "text", payload: "old", callback_url: null, callback_method: "POST", created_ms: old, updated_ms: old,
          }, { sid: "HS" + "0".repeat(32), status: "active" });
        }
      })();
      const expired = (): number => (c.ctx.db.prepare("SELECT COUNT(*) AS n FROM ss_ip_commands WHERE created_ms < ?").get(fake.now() - c.ctx.retentionMs) as { n: number }).n;
      const res = await fetch(`${c.url}/supersim/v1/Fleets`, { headers: { authorization: basic(c.accountSid, c.authToken) } });
      expect(res.status).toBe(200); // answered after one step, not after the whole backlog
      const afterFirst = expired();
      expect(afterFirst).toBeGreaterThan(0);
      expect(afterFirst).toBeLessThan(300);
      let steps = 0;
      while (expired() > 0 && steps < 500) {
        fake.advance(20);
        steps++;
      }
      expect(expired()).toBe(0);
      expect(steps).toBeGreaterThan(1);
    } finally {
      await c.close();
    }
  });

  test("GET /_mock/events streams state changes", async () => {
    const ac = new AbortController();
    const res = await fetch(cloud.url + "/_mock/events?types=fleet.created", { headers: { authorization: basic(cloud.accountSid, cloud.authToken) }, signal: ac.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    await reader.read(); // the comment line: subscribed
    const f = await client.supersim.v1.fleets.create({ networkAccessProfile: "nap" });
    let text = "";
    for (let i = 0; i < 10 && !text.includes(f.sid); i++) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`"fleet_sid":"${f.sid}"`);
    ac.abort();
  });
});
