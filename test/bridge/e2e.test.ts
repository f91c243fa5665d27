/**
 * End to end: MQTT down → bridge → the mock cloud (official twilio client) → UDP / SMS → the firmware agent in
 * a SimulatedDevice → its reply → Fleet webhook → bridge → `up` and `down/succeeded`. Also Huawei command
 * notifications, signature failures (403 + metric) and duplicate webhooks (published once).
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { connect } from "node:net";
import { startBridge, type BridgeHandle } from "../../host-tools/bridge/index.js";
import { run } from "../../host-tools/cli/main.js";
import { koreSignature, twilioSignature } from "../../host-tools/platform/signature.js";
import { SimulatedDevice } from "../../host-tools/device-host/device.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { activeSim, admin, cloudAndClient, type Client } from "../cloud/harness.js";
import { postForm, Recorder, tempDir, topicIs } from "./helpers.js";

let cloud: CloudHandle;
let client: Client;
let bridge: BridgeHandle;
let rec: Recorder;
let device: SimulatedDevice;
const data = tempDir("e2e");
const name = "bridge-e2e-xs";
const P = "simcmd/v1";

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  bridge = await startBridge({
    port: 0, brokerPort: 0, data: data.dir, instance: "e2e",
    twilio: { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
  });
  rec = await Recorder.open(bridge.mqttUrl, [`${P}/#`]);
  await activeSim(client, { ipCommandsUrl: `${bridge.url}/webhooks/twilio/ip-commands`, smsCommandsUrl: `${bridge.url}/webhooks/twilio/sms-commands` }, name);
  device = await SimulatedDevice.start({ cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim: name, runtime: "xs" });
});

afterAll(async () => {
  await device?.close();
  await rec?.close();
  await bridge?.close();
  await cloud?.close();
  data.remove();
});

const down = (device: string, body: object) => rec.client.publishAsync(`${P}/devices/${device}/down`, JSON.stringify(body), { qos: 1 });

describe("downlink round trips through the agent in XS", () => {
  test("IP Command: down → queued → sent → UDP → agent reply → up + down/succeeded", async () => {
    await down(name, { id: "ip1", command: "ping" });
    const [ok] = await rec.waitFor(topicIs(`${P}/devices/${name}/down/succeeded`));
    expect(ok?.json).toMatchObject({ id: "ip1", status: "succeeded", result: "pong" });
    expect(String(ok?.json.platform_ref)).toMatch(/^HG[0-9a-f]{32}$/);
    const queued = rec.find(topicIs(`${P}/devices/${name}/down/queued`));
    expect(queued.map((m) => m.json.id)).toContain("ip1");
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/sent` && m.json.id === "ip1");
    const up = rec.find((m) => m.topic === `${P}/devices/${name}/up` && (m.json.reply as { id?: string } | undefined)?.id === "ip1");
    expect(up[0]?.json).toMatchObject({ device: name, platform: "twilio-supersim", transport: "ip", payload_type: "binary", payload: Buffer.from("ip1 ok pong").toString("base64") });
    // order on the wire: queued before succeeded
    const idx = (t: string) => rec.msgs.findIndex((m) => m.topic === `${P}/devices/${name}/down/${t}` && m.json.id === "ip1");
    expect(idx("queued")).toBeLessThan(idx("succeeded"));
  });

  test("SMS Command: down (transport sms) → delivered → agent reply over SMS → down/succeeded", async () => {
    await down(name, { id: "sms1", command: "echo hi", transport: "sms" });
    const [ok] = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "sms1");
    expect(ok?.json).toMatchObject({ result: "hi" });
    expect(String(ok?.json.platform_ref)).toMatch(/^HC/);
    const up = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/up` && m.json.transport === "sms");
    expect(up[0]?.json).toMatchObject({ payload_type: "text", payload: "sms1 ok hi" });
  });

  test("CBOR command {i, c} → CBOR reply {i, r} decoded and matched", async () => {
    const { encode } = await import("cbor-x");
    const payload = Buffer.from(encode({ i: "cb1", c: "ping" })).toString("base64");
    await down(name, { id: "cb1", payload, payload_type: "binary" });
    const [ok] = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "cb1");
    expect(ok?.json.result).toBe("pong");
    const up = rec.find((m) => m.topic === `${P}/devices/${name}/up` && (m.json.decoded as { i?: string } | undefined)?.i === "cb1");
    expect(up[0]?.json.decoded).toEqual({ i: "cb1", r: "pong" });
  });

  test("agent err reply → down/failed; device state fault, then normal after a success", async () => {
    await down(name, { id: "bad1", command: "nosuchcommand" });
    const [f] = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/failed` && m.json.id === "bad1");
    expect((f?.json.error as { code: string }).code).toBe("device");
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/state` && m.json.state === "fault");
    await down(name, { id: "ok2", command: "ping" });
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "ok2");
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/state` && m.json.state === "normal" && m.retain === false || (m.topic === `${P}/devices/${name}/state` && m.json.state === "normal"));
  });
});

describe("a request published again", () => {
  test("same id and body: not sent again; the last event is published again with repeat: true; a broker redelivery (DUP) gets nothing", async () => {
    const sent = async (): Promise<number> => (await client.supersim.v1.ipCommands.list({ sim: name })).filter((c) => c.payload === "rep1 ping").length;
    await down(name, { id: "rep1", command: "ping" });
    const [first] = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "rep1");
    expect(await sent()).toBe(1);
    await down(name, { id: "rep1", command: "ping" });
    const [again] = await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "rep1" && m.json.repeat === true);
    expect(again?.json).toEqual({ ...first?.json, repeat: true });
    // a redelivery (DUP set) is only recognised; a marker behind it proves nothing was published. The embedded
    // Aedes hands the publisher's DUP flag on, which stands in here for a broker's own redelivery.
    await rec.client.publishAsync(`${P}/devices/${name}/down`, JSON.stringify({ id: "rep1", command: "ping" }), { qos: 1, dup: true });
    await down(name, { id: "rep-marker", command: "ping" });
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "rep-marker");
    expect(rec.find((m) => m.topic.startsWith(`${P}/devices/${name}/down/`) && m.json.id === "rep1")).toHaveLength(
      rec.find((m) => m.topic.startsWith(`${P}/devices/${name}/down/`) && m.json.id === "rep1" && m.json.repeat !== true).length + 1,
    );
    expect(await sent()).toBe(1);
  });
});

describe("downlinks the bridge refuses", () => {
  test("bad JSON, unknown device, oversized payload, wrong transport → down/rejected with a reason; the good one behind still goes", async () => {
    await rec.client.publishAsync(`${P}/devices/${name}/down`, "{not json", { qos: 1 });
    await down("no-such-device-xyz", { id: "u1", command: "ping" });
    await down(name, { id: "big1", command: "echo " + "x".repeat(1400) });
    await down(name, { id: "wt1", command: "ping", transport: "nbiot" });
    await down(name, { id: "after", command: "ping" });
    const reasons = async (dev: string, id: string | null, code: string) => {
      const [m] = await rec.waitFor((x) => x.topic === `${P}/devices/${dev}/down/rejected` && x.json.id === id && (x.json.error as { code: string }).code === code);
      return m;
    };
    await reasons(name, null, "bad_json");
    await reasons("no-such-device-xyz", "u1", "unknown_device");
    await reasons(name, "big1", "oversized");
    await reasons(name, "wt1", "wrong_transport");
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/succeeded` && m.json.id === "after");
    expect(bridge.metrics.get("simcmd_bridge_rejects_total")).toBeGreaterThanOrEqual(4);
  });

  test("expires_at in the past → down/expired, nothing sent", async () => {
    await down(name, { id: "exp1", command: "ping", expires_at: new Date(Date.now() - 1000).toISOString() });
    await rec.waitFor((m) => m.topic === `${P}/devices/${name}/down/expired` && m.json.id === "exp1");
    expect(rec.find((m) => m.topic === `${P}/devices/${name}/down/queued` && m.json.id === "exp1")).toHaveLength(0);
  });
});

describe("webhook checks", () => {
  const url = () => `${bridge.url}/webhooks/twilio/ip-commands`;
  const mo = (sid: string) => ({
    AccountSid: cloud.accountSid, CommandSid: sid, SimSid: "HS" + "a".repeat(32), SimUniqueName: "sig-dev", PayloadType: "binary",
    Payload: Buffer.from("hello").toString("base64"), Direction: "from_sim", Status: "received",
  });

  test("missing or bad signature → 403, counted, never published", async () => {
    const before = bridge.metrics.get("simcmd_bridge_rejects_total", { reason: "signature", route: "ip-commands" });
    expect(await postForm(url(), mo("HG" + "1".repeat(32)))).toBe(403);
    expect(await postForm(url(), mo("HG" + "2".repeat(32)), { "x-twilio-signature": "AAAA" })).toBe(403);
    expect(await postForm(url(), mo("HG" + "3".repeat(32)), { "kore-signature": "00" })).toBe(403);
    expect(bridge.metrics.get("simcmd_bridge_rejects_total", { reason: "signature", route: "ip-commands" })).toBe(before + 3);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toMatch(/simcmd_bridge_rejects_total\{reason="signature",route="ip-commands"\} \d+/);
    // a good one afterwards is published; the bad ones never were
    const p = mo("HG" + "4".repeat(32));
    expect(await postForm(url(), p, { "x-twilio-signature": twilioSignature(cloud.authToken, url(), p) })).toBe(204);
    await rec.waitFor((m) => m.topic === `${P}/devices/sig-dev/up` && m.json.platform_ref === "HG" + "4".repeat(32));
    expect(rec.find((m) => m.topic === `${P}/devices/sig-dev/up`)).toHaveLength(1);
  });

  test("kore-signature (KORE): a valid one is accepted and published, the same body re-signed with another secret is not", async () => {
    const p = mo("HG" + "9".repeat(32));
    const body = new URLSearchParams(p).toString();
    const good = koreSignature(cloud.authToken, "POST", url(), body); // the secret defaults to the auth token
    expect(await postForm(url(), p, { "kore-signature": good })).toBe(204);
    await rec.waitFor((m) => m.topic === `${P}/devices/sig-dev/up` && m.json.platform_ref === "HG" + "9".repeat(32));
    const q = mo("HG" + "a9".repeat(16));
    expect(await postForm(url(), q, { "kore-signature": koreSignature("another secret", "POST", url(), new URLSearchParams(q).toString()) })).toBe(403);
  });

  test("behind a proxy: signatures are checked against publicUrl + path, not the address the bridge listens on", async () => {
    const data2 = tempDir("e2e-proxy");
    const publicUrl = "https://hooks.example.com/simcmd";
    const behind = await startBridge({
      port: 0, brokerPort: 0, data: data2.dir, instance: "e2e-proxy", publicUrl,
      twilio: { baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken },
    });
    try {
      const local = `${behind.url}/webhooks/twilio/ip-commands?x=1`;
      const seen = `${publicUrl}/webhooks/twilio/ip-commands?x=1`; // what the platform called, through the proxy
      const p = mo("HG" + "b".repeat(32));
      expect(await postForm(local, p, { "x-twilio-signature": twilioSignature(cloud.authToken, seen, p) })).toBe(204);
      expect(await postForm(local, p, { "x-twilio-signature": twilioSignature(cloud.authToken, local, p) })).toBe(403);
      expect(behind.metrics.get("simcmd_bridge_events_in_total", { route: "ip-commands" })).toBe(1);
    } finally {
      await behind.close();
      data2.remove();
    }
  });

  test("a platform retry of the same event (same SID + status) is published once", async () => {
    const p = mo("HG" + "5".repeat(32));
    const h = { "x-twilio-signature": twilioSignature(cloud.authToken, url(), p) };
    const codes = await Promise.all([postForm(url(), p, h), postForm(url(), p, h), postForm(url(), p, h)]);
    expect(codes).toEqual([204, 204, 204]);
    await rec.waitFor((m) => m.topic === `${P}/devices/sig-dev/up` && m.json.platform_ref === "HG" + "5".repeat(32));
    expect(await bridge.drained(5000)).toBe(true);
    // a marker published after proves the broker delivered everything before it
    const q = mo("HG" + "6".repeat(32));
    await postForm(url(), q, { "x-twilio-signature": twilioSignature(cloud.authToken, url(), q) });
    await rec.waitFor((m) => m.json.platform_ref === "HG" + "6".repeat(32));
    expect(rec.find((m) => m.json.platform_ref === "HG" + "5".repeat(32))).toHaveLength(1);
    expect(bridge.metrics.get("simcmd_bridge_duplicates_total")).toBeGreaterThanOrEqual(2);
  });

  test("an inbound Message is an uplink whether or not the webhook also carries MessageStatus=received", async () => {
    const murl = `${bridge.url}/webhooks/twilio/messages`;
    const inbound = (sid: string, extra: Record<string, string>) => ({
      AccountSid: cloud.accountSid, MessageSid: sid, SmsSid: sid, From: "+15550001111", To: "+15557654321", Body: `hi ${sid}`, SmsStatus: "received", ...extra,
    });
    for (const [sid, extra] of [["SM" + "7".repeat(32), {}], ["SM" + "8".repeat(32), { MessageStatus: "received" }]] as const) {
      const p = inbound(sid, extra);
      expect(await postForm(murl, p, { "x-twilio-signature": twilioSignature(cloud.authToken, murl, p) })).toBe(200);
      const [up] = await rec.waitFor((m) => m.topic === `${P}/devices/15550001111/up` && m.json.platform_ref === sid);
      expect(up?.json).toMatchObject({ platform: "twilio-messaging", transport: "sms", payload_type: "text", payload: `hi ${sid}` });
    }
  });

  test("healthz", async () => {
    const res = await fetch(`${bridge.url}/healthz`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as Record<string, unknown>;
    expect(h).toMatchObject({ ok: true, mqtt: "up", outbox: expect.any(Number), instance: expect.any(String) });
    expect(Date.parse(String(h.mqtt_since))).toBeLessThanOrEqual(Date.now());
    expect(h).not.toHaveProperty("mqtt_error");
  });
});

describe("Huawei-style NB-IoT commands", () => {
  test("down → deviceCommands → the device acks and answers → sent, delivered, succeeded", async () => {
    const dev = await admin(cloud, "/_mock/huawei/devices", { device_id: "hw-dev-1" });
    expect(dev.status).toBe(201);
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    try {
      const att = await admin(cloud, "/_mock/sims/hw-dev-1/attach", { ports: { "5683": `127.0.0.1:${sock.address().port}` } });
      const [moHost, moPort] = String(att.json.mo).split(":");
      sock.on("message", (msg) => {
        const c = JSON.parse(msg.toString()) as { commandId: string; paras: { id: string } };
        sock.send(JSON.stringify({ commandId: c.commandId, ack: true }), Number(moPort), moHost);
        sock.send(JSON.stringify({ commandId: c.commandId, result: "SUCCESS", paras: { echo: c.paras.id } }), Number(moPort), moHost);
      });
      await down("hw-dev-1", { id: "hw1", command: "reboot now" });
      const t = (s: string) => (m: { topic: string; json: Record<string, unknown> }) => m.topic === `${P}/devices/hw-dev-1/down/${s}` && m.json.id === "hw1";
      const [ok] = await rec.waitFor(t("succeeded"));
      expect(ok?.json.result).toEqual({ echo: "hw1" });
      expect(rec.find(t("queued"))).toHaveLength(1);
      expect(rec.find(t("sent"))).toHaveLength(1);
      expect(rec.find(t("delivered"))).toHaveLength(1);
    } finally {
      sock.close();
    }
  });

  test("unknown Huawei device → rejected", async () => {
    await down("hw-nobody", { id: "hw2", command: "ping" });
    await rec.waitFor((m) => m.topic === `${P}/devices/hw-nobody/down/rejected` && (m.json.error as { code: string }).code === "unknown_device");
  });

  /** The platform document's request example, verbatim: `Content-Type:application/json` and this body. */
  const DOCUMENT_EXAMPLE = [
    "{",
    '    "deviceId":"*********",',
    '    "commandId":"***********",',
    '    "result":{',
    '        "resultCode":"DELIVERED",',
    '        "resultDetail":null',
    "    }",
    "}",
  ].join("\n");

  /** POSTs `body` to `url` as raw HTTP/1.1, with the document's header line as written (no space after the colon). */
  async function rawPost(url: string, body: string): Promise<number> {
    const u = new URL(url);
    const sock = connect(Number(u.port), u.hostname);
    await once(sock, "connect");
    const bytes = Buffer.from(body, "utf8");
    // written, not ended: a client that half-closes may lose an answer that takes a turn (Connection: close ends it)
    sock.write(`POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type:application/json\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n${body}`);
    let answer = "";
    for await (const chunk of sock) answer += (chunk as Buffer).toString("latin1");
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  }

  test("the document's request example, verbatim, at the callback URL the docs say to register → 200 and down/delivered; without the URL's token → 403", async () => {
    const registered = bridge.huaweiCallbackUrl;
    expect(registered).toMatch(new RegExp(`^${bridge.url}/v1\\.0\\.0/messageReceiver/cmd\\?k=[0-9a-f]{24}$`));
    expect(await rawPost(registered, DOCUMENT_EXAMPLE)).toBe(200);
    const [m] = await rec.waitFor(topicIs(`${P}/devices/*********/down/delivered`));
    expect(m?.json).toMatchObject({ id: null, platform_ref: "***********", status: "delivered", platform_status: "DELIVERED" });
    expect(m?.json.result).toBeUndefined();
    // still authenticated: the same request without the token, or with another one, is refused and not published
    const rejects = bridge.metrics.get("simcmd_bridge_rejects_total", { reason: "signature", route: "huawei" });
    const failedAsIs = DOCUMENT_EXAMPLE.replace('"DELIVERED"', '"FAIL"');
    expect(await rawPost(`${bridge.url}/v1.0.0/messageReceiver/cmd`, failedAsIs)).toBe(403);
    expect(await rawPost(`${bridge.url}/v1.0.0/messageReceiver/cmd?k=${"0".repeat(24)}`, failedAsIs)).toBe(403);
    expect(bridge.metrics.get("simcmd_bridge_rejects_total", { reason: "signature", route: "huawei" })).toBe(rejects + 2);
    await rec.settle();
    expect(rec.find(topicIs(`${P}/devices/*********/down/failed`))).toEqual([]);
  });

  test("simcmd bridge --webhook-urls prints the same Huawei URL for the same configuration, without starting", async () => {
    let out = "";
    const io = { out: (t: string) => void (out += t), err: () => undefined, lines: () => [] as unknown as AsyncIterable<string> };
    const args = ["bridge", "--webhook-urls", "--twilio-account-sid", cloud.accountSid, "--twilio-auth-token", cloud.authToken, "--public-url", bridge.url];
    expect(await run(args, io as never)).toBe(0);
    expect(out).toMatch(new RegExp(`^Huawei command notifications .* ${bridge.huaweiCallbackUrl.replace(/[.?]/g, "\\$&")}$`, "m"));
  });

  test("both spellings at the registered URL: SUCCESS / SUCCESSFUL → succeeded, FAIL / FAILED → failed", async () => {
    const cases = [["SUCCESS", "succeeded"], ["SUCCESSFUL", "succeeded"], ["FAIL", "failed"], ["FAILED", "failed"]] as const;
    for (const [code, status] of cases) {
      const body = JSON.stringify({ deviceId: "hw-spelling", commandId: `cmd-${code}`, result: { resultCode: code, resultDetail: { code } } });
      expect(await rawPost(bridge.huaweiCallbackUrl, body)).toBe(200);
      const [m] = await rec.waitFor((x) => x.topic === `${P}/devices/hw-spelling/down/${status}` && x.json.platform_ref === `cmd-${code}`);
      expect(m?.json).toMatchObject({ platform_status: code, ...(status === "succeeded" ? { result: { code } } : { error: { code } }) });
    }
  });

  test("a command the bridge sent, notified in the document's shape at the registered URL (no dl/id): correlated by its commandId", async () => {
    expect((await admin(cloud, "/_mock/huawei/devices", { device_id: "hw-dev-doc" })).status).toBe(201);
    await down("hw-dev-doc", { id: "hw3", command: "reboot" });
    const [q] = await rec.waitFor((m) => m.topic === `${P}/devices/hw-dev-doc/down/queued` && m.json.id === "hw3");
    const commandId = String(q?.json.platform_ref);
    const body = DOCUMENT_EXAMPLE.replace('"*********"', '"hw-dev-doc"').replace('"***********"', JSON.stringify(commandId));
    expect(await rawPost(bridge.huaweiCallbackUrl, body)).toBe(200);
    const [d] = await rec.waitFor((m) => m.topic === `${P}/devices/hw-dev-doc/down/delivered` && m.json.id === "hw3");
    expect(d?.json).toMatchObject({ platform_ref: commandId, platform_status: "DELIVERED" });
  });
});

describe("device state from the platform", () => {
  test("IP Command to a detached SIM → down/failed 83401 → state no_communication (SIM detached); attached again, a success → normal", async () => {
    const dev = "bridge-e2e-detach";
    await activeSim(client, { ipCommandsUrl: `${bridge.url}/webhooks/twilio/ip-commands` }, dev);
    const opts = { cloud: { url: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }, sim: dev, runtime: "xs" as const };
    const first = await SimulatedDevice.start(opts);
    await first.close(); // the SIM detaches
    await down(dev, { id: "det1", command: "ping" });
    const [f] = await rec.waitFor((m) => m.topic === `${P}/devices/${dev}/down/failed` && m.json.id === "det1");
    expect(f?.json.error).toMatchObject({ code: 83401 });
    const [st] = await rec.waitFor((m) => m.topic === `${P}/devices/${dev}/state` && m.json.state === "no_communication");
    expect(st?.json).toMatchObject({ condition: "no_communication", reason: "SIM detached" });
    const again = await SimulatedDevice.start(opts);
    try {
      await down(dev, { id: "det2", command: "ping" });
      await rec.waitFor((m) => m.topic === `${P}/devices/${dev}/down/succeeded` && m.json.id === "det2");
      await rec.waitFor((m) => m.topic === `${P}/devices/${dev}/state` && m.json.state === "normal" && m.json.reason === null);
    } finally {
      await again.close();
    }
  });
});
