import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { expectValid, responseValidator, schemaValidator } from "../helpers/openapi.js";
import { activeSim, cloudAndClient, iccid, type Client } from "./harness.js";

const SPEC = "twilio_supersim_v1.json";
const simSchema = schemaValidator(SPEC, "supersim.v1.sim");
const fleetSchema = schemaValidator(SPEC, "supersim.v1.fleet");
const ipSchema = schemaValidator(SPEC, "supersim.v1.ip_command");
const smsSchema = schemaValidator(SPEC, "supersim.v1.sms_command");

let cloud: CloudHandle;
let client: Client;
beforeAll(async () => ({ cloud, client } = await cloudAndClient()));
afterAll(() => cloud.close());

describe("Fleets", () => {
  test("create (201), fetch, update, list — shapes match the spec", async () => {
    const f = await client.supersim.v1.fleets.create({ networkAccessProfile: "HA00000000000000000000000000000000", uniqueName: "fleet-a", ipCommandsUrl: "http://example.com/ip", dataLimit: 500 });
    expect(f.sid).toMatch(/^HF[0-9a-f]{32}$/);
    expect(f.dataEnabled).toBe(true);
    expect(f.ipCommandsMethod).toBe("POST");
    expect(f.smsCommandsEnabled).toBe(true);
    expect(f.dataLimit).toBe(500);
    expectValid(fleetSchema, await rawGet(`/supersim/v1/Fleets/${f.sid}`));
    const byName = await client.supersim.v1.fleets("fleet-a").fetch();
    expect(byName.sid).toBe(f.sid);
    const u = await client.supersim.v1.fleets(f.sid).update({ ipCommandsMethod: "GET", smsCommandsUrl: "http://example.com/sms" });
    expect(u.ipCommandsMethod).toBe("GET");
    expect(u.smsCommandsUrl).toBe("http://example.com/sms");
    const list = await client.supersim.v1.fleets.list();
    expect(list.map((x) => x.sid)).toContain(f.sid);
    expectValid(responseValidator(SPEC, "/v1/Fleets", "get"), await rawGet("/supersim/v1/Fleets"));
  });
});

describe("Sims", () => {
  test("register (201, status new), fetch by sid and unique name, update fleet/status/name, list filters", async () => {
    const id = iccid();
    const s = await client.supersim.v1.sims.create({ iccid: id, registrationCode: "AB12CD" });
    expect(s.status).toBe("new");
    expect(s.fleetSid).toBeNull();
    expectValid(simSchema, await rawGet(`/supersim/v1/Sims/${s.sid}`));
    const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "nap" });
    await expect(client.supersim.v1.sims(s.sid).update({ status: "active" })).rejects.toMatchObject({ status: 400 });
    const u = await client.supersim.v1.sims(s.sid).update({ fleet: fleet.sid, status: "ready", uniqueName: "tracker-1" });
    expect(u.status).toBe("ready");
    expect(u.fleetSid).toBe(fleet.sid);
    expect((await client.supersim.v1.sims("tracker-1").fetch()).sid).toBe(s.sid);
    await expect(client.supersim.v1.sims(s.sid).update({ status: "ready" })).resolves.toMatchObject({ status: "ready" });
    const inactive = await client.supersim.v1.sims(s.sid).update({ status: "inactive" });
    expect(inactive.status).toBe("inactive");
    await expect(client.supersim.v1.sims(s.sid).update({ status: "ready" })).rejects.toMatchObject({ status: 400, code: 20001 });
    const listed = await client.supersim.v1.sims.list({ iccid: id });
    expect(listed.map((x) => x.sid)).toEqual([s.sid]);
    expect((await client.supersim.v1.sims.list({ status: "inactive", fleet: fleet.sid })).map((x) => x.sid)).toEqual([s.sid]);
    expectValid(responseValidator(SPEC, "/v1/Sims", "get"), await rawGet("/supersim/v1/Sims"));
  });

  test("registration errors: duplicate ICCID 83003, bad ICCID 83002, missing code 83001", async () => {
    const id = iccid();
    await client.supersim.v1.sims.create({ iccid: id, registrationCode: "x" });
    await expect(client.supersim.v1.sims.create({ iccid: id, registrationCode: "x" })).rejects.toMatchObject({ code: 83003, status: 409 });
    await expect(client.supersim.v1.sims.create({ iccid: "12ab", registrationCode: "x" })).rejects.toMatchObject({ code: 83002, status: 400 });
    await expect(client.supersim.v1.sims.create({ iccid: id, registrationCode: "" })).rejects.toMatchObject({ code: 83001, status: 400 });
  });

  test("ready → active after the 5th Command", async () => {
    const { sim } = await activeSim(client);
    const ready = await client.supersim.v1.sims(sim.sid).update({});
    expect(ready.status).toBe("active");
    const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "nap" });
    const s = await client.supersim.v1.sims.create({ iccid: iccid(), registrationCode: "1" });
    await client.supersim.v1.sims(s.sid).update({ fleet: fleet.sid, status: "ready" });
    for (let i = 0; i < 4; i++) await client.supersim.v1.ipCommands.create({ sim: s.sid, payload: "x", devicePort: 1 });
    expect((await client.supersim.v1.sims(s.sid).fetch()).status).toBe("ready");
    await client.supersim.v1.ipCommands.create({ sim: s.sid, payload: "x", devicePort: 1 });
    expect((await client.supersim.v1.sims(s.sid).fetch()).status).toBe("active");
  });
});

describe("IpCommands and SmsCommands resources", () => {
  test("IpCommand create 201 queued, fetch, list filters; schema-valid", async () => {
    const { sim } = await activeSim(client, {}, "ipres");
    const c = await client.supersim.v1.ipCommands.create({ sim: "ipres", payload: "hello", devicePort: 6969 });
    expect(c.sid).toMatch(/^HG[0-9a-f]{32}$/);
    expect(c.status).toBe("queued");
    expect(c.direction).toBe("to_sim");
    expect(c.simSid).toBe(sim.sid);
    expect(c.devicePort).toBe(6969);
    expect(c.payloadType).toBe("text");
    expectValid(ipSchema, await rawGet(`/supersim/v1/IpCommands/${c.sid}`));
    const fetched = await client.supersim.v1.ipCommands(c.sid).fetch();
    expect(fetched.sid).toBe(c.sid);
    const bySim = await client.supersim.v1.ipCommands.list({ sim: sim.sid, direction: "to_sim" });
    expect(bySim.map((x) => x.sid)).toEqual([c.sid]);
    expect((await client.supersim.v1.ipCommands.list({ simIccid: sim.iccid })).length).toBe(1);
    expectValid(responseValidator(SPEC, "/v1/IpCommands", "get"), await rawGet(`/supersim/v1/IpCommands?Sim=${sim.sid}`));
  });

  test("SmsCommand create 201 queued, fetch, list; schema-valid", async () => {
    const { sim } = await activeSim(client);
    const c = await client.supersim.v1.smsCommands.create({ sim: sim.sid, payload: "ping" });
    expect(c.sid).toMatch(/^HC[0-9a-f]{32}$/);
    expect(c.status).toBe("queued");
    expectValid(smsSchema, await rawGet(`/supersim/v1/SmsCommands/${c.sid}`));
    expect((await client.supersim.v1.smsCommands(c.sid).fetch()).payload).toBe("ping");
    expect((await client.supersim.v1.smsCommands.list({ sim: sim.sid })).map((x) => x.sid)).toEqual([c.sid]);
    expectValid(responseValidator(SPEC, "/v1/SmsCommands", "get"), await rawGet(`/supersim/v1/SmsCommands?Sim=${sim.sid}`));
  });

  test("paging: .list({limit}) follows next_page_url across pages; links point at the mock", async () => {
    const { sim } = await activeSim(client);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await client.supersim.v1.ipCommands.create({ sim: sim.sid, payload: `n${i}`, devicePort: 5 })).sid);
    const all = await client.supersim.v1.ipCommands.list({ sim: sim.sid, pageSize: 3 });
    expect(all.map((x) => x.sid)).toEqual([...made].reverse());
    const limited = await client.supersim.v1.ipCommands.list({ sim: sim.sid, pageSize: 2, limit: 5 });
    expect(limited.length).toBe(5);
    const page = await client.supersim.v1.ipCommands.page({ sim: sim.sid, pageSize: 3 });
    const meta = (await rawGet(`/supersim/v1/IpCommands?Sim=${sim.sid}&PageSize=3`)) as { meta: Record<string, string> };
    expect(meta.meta.next_page_url?.startsWith(cloud.url + "/supersim/v1/IpCommands?")).toBe(true);
    const second = await page.nextPage();
    expect(second?.instances.map((x) => x.sid)).toEqual(made.slice(1, 4).reverse());
    const back = await second?.previousPage();
    expect(back?.instances.map((x) => x.sid)).toEqual(made.slice(4).reverse());
  });
});

describe("synchronous 4xx: nothing is written", () => {
  /** A registered SIM moved to `status` (with a Fleet made from `fleetOpts` unless it stays `new`). */
  async function simIn(status: "new" | "ready" | "active" | "inactive", fleetOpts: Record<string, unknown> = {}) {
    const s = await client.supersim.v1.sims.create({ iccid: iccid(), registrationCode: "1" });
    if (status === "new") return s;
    const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "nap", ...fleetOpts });
    return client.supersim.v1.sims(s.sid).update({ fleet: fleet.sid, status });
  }
  const nothingFor = async (sim: string) => {
    expect(await client.supersim.v1.ipCommands.list({ sim })).toHaveLength(0);
    expect(await client.supersim.v1.smsCommands.list({ sim })).toHaveLength(0);
  };

  test("IP and SMS Commands to a SIM that is neither active nor ready: 400, no record, no callback", async () => {
    const cb = "http://127.0.0.1:9/never";
    for (const status of ["new", "inactive"] as const) {
      const s = await simIn(status);
      await expect(client.supersim.v1.ipCommands.create({ sim: s.sid, payload: "x", devicePort: 1, callbackUrl: cb }))
        .rejects.toMatchObject({ status: 400, code: 83400, message: expect.stringContaining("neither active nor ready") });
      await expect(client.supersim.v1.smsCommands.create({ sim: s.sid, payload: "x", callbackUrl: cb }))
        .rejects.toMatchObject({ status: 400, code: 20001, message: expect.stringContaining("neither active nor ready") });
      await nothingFor(s.sid);
    }
    const callbacks = await fetch(cloud.url + "/_mock/callbacks", { headers: { authorization: basic() } });
    expect(JSON.stringify(await callbacks.json())).not.toContain("/never");
  });

  test("a Fleet with data disabled refuses IP Commands, one with SMS Commands disabled refuses SMS Commands; the count toward active does not move", async () => {
    const noData = await simIn("ready", { dataEnabled: false });
    for (let i = 0; i < 5; i++)
      await expect(client.supersim.v1.ipCommands.create({ sim: noData.sid, payload: "x", devicePort: 1 }))
        .rejects.toMatchObject({ status: 400, code: 83400, message: expect.stringContaining("data is disabled") });
    expect((await client.supersim.v1.sims(noData.sid).fetch()).status).toBe("ready");
    await expect(client.supersim.v1.smsCommands.create({ sim: noData.sid, payload: "x" })).resolves.toMatchObject({ status: "queued" });
    const noSms = await simIn("active", { smsCommandsEnabled: false });
    await expect(client.supersim.v1.smsCommands.create({ sim: noSms.sid, payload: "x" }))
      .rejects.toMatchObject({ status: 400, code: 20001, message: expect.stringContaining("SMS Commands are disabled") });
    await expect(client.supersim.v1.ipCommands.create({ sim: noSms.sid, payload: "x", devicePort: 1 })).resolves.toMatchObject({ status: "queued" });
    expect(await client.supersim.v1.smsCommands.list({ sim: noSms.sid })).toHaveLength(0);
    expect(await client.supersim.v1.ipCommands.list({ sim: noData.sid })).toHaveLength(0);
  });
});

const basic = (): string => "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64");

async function rawGet(path: string): Promise<unknown> {
  const res = await fetch(cloud.url + path, { headers: { authorization: "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64") } });
  expect(res.status).toBe(200);
  return res.json();
}
