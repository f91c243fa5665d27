/** Huawei-style NB-IoT device commands: OceanConnect-like API, UDP delivery, ordered status notifications. */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { admin, cloudAndClient, Hooks, Udp } from "./harness.js";

const CMDS = "/huawei/iocm/app/cmd/v1.4.0/deviceCommands";
let cloud: CloudHandle;
let hooks: Hooks;
let token: string;

beforeAll(async () => {
  ({ cloud } = await cloudAndClient());
  hooks = await Hooks.open();
  expect((await admin(cloud, "/_mock/huawei/config", { ack_timeout_ms: 300 })).status).toBe(200);
  const login = await fetch(`${cloud.url}/huawei/iocm/app/sec/v1.1.0/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ appId: cloud.accountSid, secret: cloud.authToken }).toString(),
  });
  expect(login.status).toBe(200);
  const j = (await login.json()) as { accessToken: string; tokenType: string; expiresIn: number };
  expect(j).toMatchObject({ tokenType: "bearer", expiresIn: 3600 });
  token = j.accessToken;
});
afterAll(async () => {
  await hooks.close();
  await cloud.close();
});

async function api(method: string, path: string, body?: unknown, auth = `Bearer ${token}`): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(cloud.url + path, {
    method,
    headers: { authorization: auth, app_key: cloud.accountSid, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function device(): Promise<{ deviceId: string; udp: Udp; mo: string }> {
  const d = await admin(cloud, "/_mock/huawei/devices", { name: "meter" });
  expect(d.status).toBe(201);
  const udp = await Udp.open();
  const att = await admin(cloud, `/_mock/sims/${d.json.deviceId as string}/attach`, { ports: { "5683": udp.addr } });
  expect(att.status).toBe(200);
  return { deviceId: d.json.deviceId as string, udp, mo: att.json.mo as string };
}

const codes = (deviceId: string, commandId: string) =>
  hooks.hits
    .filter((h) => h.url === "/cmd")
    .map((h) => JSON.parse(h.body) as { deviceId: string; commandId: string; result: { resultCode: string; resultDetail: unknown } })
    .filter((b) => b.commandId === commandId && b.deviceId === deviceId);

describe("Huawei device commands", () => {
  test("create 201 PENDING → UDP JSON to port 5683 → SENT, DELIVERED, SUCCESS notified in order (the document's spelling); query", async () => {
    const { deviceId, udp, mo } = await device();
    try {
      const r = await api("POST", `${CMDS}?appId=${cloud.accountSid}`, {
        deviceId,
        command: { serviceId: "Switch", method: "SET_LIGHT", paras: { light: "on" } },
        callbackUrl: hooks.url + "/cmd",
        expireTime: 0,
        maxRetransmit: 1,
      });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ deviceId, status: "PENDING", expireTime: 0, maxRetransmit: 1, command: { serviceId: "Switch", method: "SET_LIGHT", paras: { light: "on" } } });
      expect(r.json.creationTime).toMatch(/^\d{8}T\d{6}Z$/);
      const commandId = r.json.commandId as string;
      const dg = JSON.parse((await udp.next()).msg.toString("utf8")) as Record<string, unknown>;
      expect(dg).toMatchObject({ commandId, serviceId: "Switch", method: "SET_LIGHT", paras: { light: "on" } });
      await udp.send(Buffer.from(JSON.stringify({ commandId, ack: true })), mo);
      await udp.send(Buffer.from(JSON.stringify({ commandId, result: "SUCCESS", paras: { light_state: 1 } })), mo);
      await hooks.waitFor(3, (h) => h.url === "/cmd" && h.body.includes(commandId));
      const notes = codes(deviceId, commandId);
      expect(notes.map((b) => b.result.resultCode)).toEqual(["SENT", "DELIVERED", "SUCCESS"]);
      expect(notes[2]?.result.resultDetail).toEqual({ light_state: 1 });
      expect(notes[0]?.result.resultDetail).toBeNull();
      const q = await api("GET", `${CMDS}?deviceId=${deviceId}&pageNo=0&pageSize=10`);
      expect(q.status).toBe(200);
      expect(q.json.pagination).toEqual({ pageNo: 0, pageSize: 10, totalSize: 1 });
      expect((q.json.data as Record<string, unknown>[])[0]).toMatchObject({ commandId, status: "SUCCESSFUL", issuedTimes: 1 });
      expect((await api("GET", `${CMDS}/${commandId}`)).json).toMatchObject({ commandId, status: "SUCCESSFUL" });
    } finally {
      udp.close();
    }
  });

  test("no ack: retransmitted maxRetransmit times, then TIMEOUT; FAIL result notified as FAIL, or FAILED with long_result_codes", async () => {
    const { deviceId, udp, mo } = await device();
    try {
      const r = await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "M", paras: {} }, callbackUrl: hooks.url + "/cmd", maxRetransmit: 2 });
      const id = r.json.commandId as string;
      for (let i = 0; i < 3; i++) expect(JSON.parse((await udp.next()).msg.toString()).commandId).toBe(id);
      await cloud.events.waitFor((e) => e.type === "huawei_command.timeout" && e.command_id === id, 5000, true);
      await hooks.waitFor(2, (h) => h.url === "/cmd" && h.body.includes(id));
      expect(codes(deviceId, id).map((b) => b.result.resultCode)).toEqual(["SENT", "TIMEOUT"]);
      expect((await api("GET", `${CMDS}/${id}`)).json).toMatchObject({ status: "TIMEOUT", issuedTimes: 3 });

      const f = await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "M", paras: {} }, callbackUrl: hooks.url + "/cmd" });
      const fid = f.json.commandId as string;
      await udp.next();
      await udp.send(Buffer.from(JSON.stringify({ commandId: fid, result: "FAIL", paras: { reason: "busy" } })), mo);
      await hooks.waitFor(3, (h) => h.url === "/cmd" && h.body.includes(fid));
      expect(codes(deviceId, fid).map((b) => b.result.resultCode)).toEqual(["SENT", "DELIVERED", "FAIL"]);
      expect((await api("GET", `${CMDS}/${fid}`)).json).toMatchObject({ status: "FAILED" });

      expect((await admin(cloud, "/_mock/huawei/config", { long_result_codes: true })).json).toMatchObject({ long_result_codes: true });
      for (const [result, spelled] of [["FAIL", "FAILED"], ["SUCCESS", "SUCCESSFUL"]] as const) {
        const l = await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "M", paras: {} }, callbackUrl: hooks.url + "/cmd" });
        const lid = l.json.commandId as string;
        await udp.next();
        await udp.send(Buffer.from(JSON.stringify({ commandId: lid, result })), mo);
        await hooks.waitFor(3, (h) => h.url === "/cmd" && h.body.includes(lid));
        expect(codes(deviceId, lid).map((b) => b.result.resultCode)).toEqual(["SENT", "DELIVERED", spelled]);
      }
    } finally {
      await admin(cloud, "/_mock/huawei/config", { long_result_codes: false });
      udp.close();
    }
  });

  test("a detached device: cached command stays PENDING and goes out on attach; expired → EXPIRED", async () => {
    const d = await admin(cloud, "/_mock/huawei/devices", {});
    const deviceId = d.json.deviceId as string;
    const r = await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "later", paras: { n: 1 } }, callbackUrl: hooks.url + "/cmd", expireTime: 60 });
    const id = r.json.commandId as string;
    expect((await api("GET", `${CMDS}/${id}`)).json.status).toBe("PENDING");
    const udp = await Udp.open();
    try {
      await admin(cloud, `/_mock/sims/${deviceId}/attach`, { ports: { "5683": udp.addr } });
      expect(JSON.parse((await udp.next()).msg.toString()).commandId).toBe(id);
    } finally {
      udp.close();
    }
    const e = await api("POST", CMDS, { deviceId: (await admin(cloud, "/_mock/huawei/devices", {})).json.deviceId, command: { serviceId: "S", method: "M", paras: {} }, callbackUrl: hooks.url + "/cmd", expireTime: 1 });
    const eid = e.json.commandId as string;
    await hooks.waitFor(1, (h) => h.url === "/cmd" && h.body.includes(eid) && h.body.includes("EXPIRED"), 4000);
  });

  test("errors are Huawei-shaped 4xx: bad token, bad body, unknown device, unknown command, malformed JSON, oversized", async () => {
    const { deviceId, udp } = await device();
    udp.close();
    expect(await api("POST", CMDS, { deviceId }, "Bearer nope")).toMatchObject({ status: 401, json: { error_code: "100217" } });
    expect(await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "M" } })).toMatchObject({ status: 400, json: { error_code: "100022" } });
    expect(await api("POST", CMDS, { deviceId, command: { serviceId: "S", method: "M", paras: {} }, maxRetransmit: 9 })).toMatchObject({ status: 400, json: { error_code: "100022" } });
    expect(await api("POST", CMDS, { deviceId: "no-such", command: { serviceId: "S", method: "M", paras: {} } })).toMatchObject({ status: 404, json: { error_code: "100418" } });
    expect(await api("GET", `${CMDS}/nope`)).toMatchObject({ status: 404, json: { error_code: "100612" } });
    expect(await api("POST", CMDS, "{not json")).toMatchObject({ status: 400, json: { error_code: "100022" } });
    expect(await api("POST", CMDS, JSON.stringify({ deviceId, pad: "x".repeat(2_000_000) }))).toMatchObject({ status: 413, json: { error_code: "100413" } });
    const list = await api("GET", `${CMDS}?deviceId=${deviceId}`);
    expect(list.json.pagination).toMatchObject({ totalSize: 0 });
    expect(await api("GET", CMDS, undefined, "Basic " + Buffer.from(`${cloud.accountSid}:${cloud.authToken}`).toString("base64"))).toMatchObject({ status: 200 });
  });
});
