/**
 * The bridge on a broker that wants TLS and a password: a private Mosquitto with a TLS listener (a CA and a
 * server certificate for 127.0.0.1 made with openssl for this test) and a mosquitto_passwd file. With the CA
 * and the right password the bridge connects and publishes; a wrong password and an untrusted certificate
 * make `startBridge` fail at once with an error that says why (not a 15 s CONNACK timeout).
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { startBridge } from "../../host-tools/bridge/index.js";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { postForm, Recorder, tempDir } from "./helpers.js";
import { MosquittoProcess } from "./mosquitto-process.js";

const TOKEN = "e".repeat(32);
const ACCOUNT = "AC" + "e".repeat(32);
const dir = tempDir("tls");
const pki = (f: string) => join(dir.dir, f);
let broker: MosquittoProcess;

beforeAll(async () => {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pki("ca.key"), "-out", pki("ca.pem"), "-days", "2", "-subj", "/CN=simcmd test CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", pki("server.key"), "-out", pki("server.csr"), "-subj", "/CN=127.0.0.1");
  fs.writeFileSync(pki("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  ssl("x509", "-req", "-in", pki("server.csr"), "-CA", pki("ca.pem"), "-CAkey", pki("ca.key"), "-CAcreateserial", "-out", pki("server.pem"), "-days", "2", "-extfile", pki("san.ext"));
  execFileSync("mosquitto_passwd", ["-c", "-b", pki("passwd"), "bridge", "s3cret pass"], { stdio: "pipe" });
  execFileSync("mosquitto_passwd", ["-b", pki("passwd"), "backend", "other"], { stdio: "pipe" });
  const brokerDir = join(dir.dir, "broker");
  fs.mkdirSync(brokerDir);
  broker = await MosquittoProcess.start(brokerDir, { tls: { ca: pki("ca.pem"), cert: pki("server.pem"), key: pki("server.key") }, passwordFile: pki("passwd") });
}, 30_000);

afterAll(async () => {
  await broker?.stop();
  dir.remove();
});

const common = (data: string) => ({ port: 0, data, instance: "tls", prefix: "tls", twilio: { accountSid: ACCOUNT, authToken: TOKEN } });

test("mqtts with the broker's CA and a user name and password: connected, uplinks published", async () => {
  expect(broker.url).toMatch(/^mqtts:/);
  const data = tempDir("tls-data");
  const bridge = await startBridge({ ...common(data.dir), mqtt: broker.url, mqttCa: pki("ca.pem"), mqttUsername: "bridge", mqttPassword: "s3cret pass" });
  const rec = await Recorder.open(broker.url, ["tls/devices/+/up", "tls/bridge/+/state"], { ca: fs.readFileSync(pki("ca.pem")), username: "backend", password: "other" });
  try {
    await rec.waitFor((m) => m.topic === "tls/bridge/tls/state" && m.text === "online");
    const url = `${bridge.url}/webhooks/twilio/ip-commands`;
    const p = {
      AccountSid: ACCOUNT, CommandSid: "HG" + "e".repeat(32), SimSid: "HS" + "e".repeat(32), SimUniqueName: "tls-dev", PayloadType: "binary",
      Payload: Buffer.from("over tls").toString("base64"), Direction: "from_sim", Status: "received",
    };
    expect(await postForm(url, p, { "x-twilio-signature": twilioSignature(TOKEN, url, p) })).toBe(204);
    const [up] = await rec.waitFor((m) => m.topic === "tls/devices/tls-dev/up");
    expect(up?.json).toMatchObject({ platform_ref: "HG" + "e".repeat(32), payload: Buffer.from("over tls").toString("base64") });
  } finally {
    await rec.close();
    await bridge.close();
    data.remove();
  }
});

test("a wrong password: startBridge rejects with the broker's refusal, at once", async () => {
  const data = tempDir("tls-bad-pass");
  const t0 = Date.now();
  try {
    await expect(startBridge({ ...common(data.dir), mqtt: broker.url, mqttCa: pki("ca.pem"), mqttUsername: "bridge", mqttPassword: "wrong" })).rejects.toThrow(
      /not authori[sz]ed|bad user name or password/i,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  } finally {
    data.remove();
  }
});

test("a certificate the bridge cannot verify (no mqttCa): startBridge rejects naming TLS and mqttCa, at once", async () => {
  const data = tempDir("tls-no-ca");
  const t0 = Date.now();
  try {
    await expect(startBridge({ ...common(data.dir), mqtt: broker.url, mqttUsername: "bridge", mqttPassword: "s3cret pass" })).rejects.toThrow(/TLS to mqtts:.*mqttCa/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  } finally {
    data.remove();
  }
});
