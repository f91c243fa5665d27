/**
 * `simcmd dev`: the whole stack on embedded defaults. A backend that only speaks MQTT sends a
 * command to a simulated device (agent in XS) and sees it succeed; the CLI prints its ready line
 * and stops cleanly on SIGINT.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { startDev, type DevHandle } from "../../host-tools/local-stack/index.js";

let dev: DevHandle;

beforeAll(async () => {
  dev = await startDev({ cloudPort: 0, bridgePort: 0, brokerPort: 0, devices: 2, runtime: "xs" });
});
afterAll(async () => {
  await dev?.close();
});

test("an MQTT downlink reaches device-2's agent in XS and comes back as down/succeeded and up", async () => {
  const client = await mqtt.connectAsync(dev.mqtt, { clientId: "dev-test" });
  try {
    const got: { topic: string; json: Record<string, unknown> }[] = [];
    const waitFor = (pred: (m: { topic: string; json: Record<string, unknown> }) => boolean) =>
      new Promise<{ topic: string; json: Record<string, unknown> }>((resolve, reject) => {
        const found = got.find(pred);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`no matching message; got ${got.map((m) => m.topic).join(", ")}`)), 15000);
        client.on("message", (topic, payload) => {
          const m = { topic, json: JSON.parse(payload.toString()) as Record<string, unknown> };
          if (pred(m)) {
            clearTimeout(timer);
            resolve(m);
          }
        });
      });
    client.on("message", (topic, payload) => got.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await client.subscribeAsync(`${dev.prefix}/devices/+/#`, { qos: 1 });
    const succeeded = waitFor((m) => m.topic === `${dev.prefix}/devices/device-2/down/succeeded` && m.json["id"] === "d1");
    await client.publishAsync(`${dev.prefix}/devices/device-2/down`, JSON.stringify({ id: "d1", command: "info" }), { qos: 1 });
    const ok = await succeeded;
    expect(String(ok.json["result"])).toMatch(/^simcmd \S+ runtime=xs uptime=\d+s modem=none$/);
    expect(got.some((m) => m.topic === `${dev.prefix}/devices/device-2/down/queued` && m.json["id"] === "d1")).toBe(true);
  } finally {
    await client.endAsync();
  }
});

test("the handle describes the stack as `simcmd dev --json`'s line does", () => {
  expect(Object.keys(dev).sort()).toEqual(["account_sid", "auth_token", "bridge", "close", "cloud", "dashboard", "devices", "mqtt", "prefix"]);
  expect(dev.devices.map((d) => d.name)).toEqual(["device-1", "device-2"]);
  for (const d of dev.devices) expect(d.sim_sid).toMatch(/^HS[0-9a-f]{32}$/);
});

test("simcmd dev --json prints the ready line and stops on SIGINT", async () => {
  const bin = fileURLToPath(new URL("../../bin/simcmd.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "dev", "--json", "--cloud-port", "0", "--bridge-port", "0", "--broker-port", "0", "--dashboard-port", "0", "--devices", "1", "--runtime", "node"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no ready line within 20 s")), 20000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      }
    });
  });
  const line = await ready;
  expect(line).toMatchObject({ prefix: "simcmd/v1", devices: [{ name: "device-1", transport: "ip+sms" }] });
  expect(String(line["mqtt"])).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
  // The dashboard the ready line names is up (dist/ serves the page copied there by scripts/build.js).
  expect(String(line["dashboard"])).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const page = await fetch(String(line["dashboard"]));
  expect([page.status, (await page.text()).includes("<title>simcmd dashboard</title>")]).toEqual([200, true]);
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  expect(code).toBe(0);
});
