/**
 * The Moddable modem firmware in the real XS engine: firmware/ports/moddable/modem-main.ts with its
 * hal.ts and uart.ts, bundled with stand-ins for Moddable's modules that the Node host serves
 * (dist/firmware/xs/moddable-modem.js, firmware/ports/xs-host/moddable-apis.ts), talking AT to the
 * virtual modem on a real pty, attached to the mock cloud (driven by the official twilio client).
 * Its settings are manifests/moddable/modem/manifest.json's `config` for `lin`, with the overrides
 * as `mcconfig … key=value` gives them: strings. The Moddable SDK run is by hand (scripts/moddable-lin.js).
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { startModem, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { packageRoot } from "../../host-tools/runtimes/line-process.js";
import { XsRuntime } from "../../host-tools/runtimes/xs.js";
import { activeSim, cloudAndClient, Hooks, type Client, type Hit } from "../cloud/harness.js";

const ROOT = packageRoot();
const BUNDLE = path.join(ROOT, "dist/firmware/xs/moddable-modem.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-moddable-xs-"));

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
const modems: ModemHandle[] = [];
const apps: XsRuntime[] = [];

const params = (h: Hit) => Object.fromEntries(new URLSearchParams(h.body));

/** The manifest's config as mcconfig merges it for a platform (`platforms.<p>.config` over `config`). */
function manifestConfig(platform: string): Record<string, unknown> {
  const m = JSON.parse(fs.readFileSync(path.join(ROOT, "manifests/moddable/modem/manifest.json"), "utf8")) as {
    config: Record<string, unknown>;
    platforms: Record<string, { config?: Record<string, unknown> }>;
  };
  return { ...m.config, ...m.platforms[platform]?.config };
}

/** The firmware in XS on `modem`'s pty; its trace lines go to `logs`; resolves once it traced `state ready`. */
async function boot(modem: ModemHandle, overrides: Record<string, string>, storage: string, logs: string[]): Promise<XsRuntime> {
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  const app = await XsRuntime.start({
    bundle: BUNDLE,
    serial: modem.port,
    storage,
    onEvent: (e) => {
      if (e["event"] !== "log") return;
      logs.push(String(e["message"]));
      if (e["message"] === "simcmd: state ready") ready();
    },
  });
  apps.push(app);
  expect(await app.request({ op: "init", config: { ...manifestConfig("lin"), ...overrides } })).toEqual({ ok: true });
  const timeout = new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`not ready within 20 s: ${logs.join(" | ")}`)), 20000).unref());
  await Promise.race([isReady, timeout]);
  return app;
}

async function rig(family: "bg96" | "sara-r4"): Promise<{ sim: string; modem: ModemHandle }> {
  const sim = `moddable-xs-${family}`;
  await activeSim(client, { ipCommandsUrl: `${hooks.url}/ip/${family}`, smsCommandsUrl: `${hooks.url}/sms/${family}` }, sim);
  const modem = await startModem({ dialect: family, cloud: { url: cloud.url, sim, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  modems.push(modem);
  return { sim, modem };
}

async function ipReply(family: string, sim: string, payload: string): Promise<string> {
  const fromSim = (h: Hit) => h.url === `/ip/${family}` && params(h)["Direction"] === "from_sim";
  const before = hooks.hits.filter(fromSim).length;
  await client.supersim.v1.ipCommands.create({ sim, payload, devicePort: 6969 });
  const hit = (await hooks.waitFor(before + 1, fromSim, 10000))[before] as Hit;
  return Buffer.from(params(hit)["Payload"] ?? "", "base64").toString("utf8");
}

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
}, 30000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(modems.map((m) => m.close()));
  await hooks?.close();
  await cloud?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Moddable modem firmware in XS, BG96", () => {
  let sim: string;
  let modem: ModemHandle;
  const storage = path.join(dir, "bg96-preference.json");
  const logs: string[] = [];

  beforeAll(async () => {
    ({ sim, modem } = await rig("bg96"));
    await boot(modem, { modem: "bg96", uartDevice: modem.port, pollInterval: "200", registrationTimeout: "10000" }, storage, logs);
  }, 40000);

  test("an IP Command ping and an SMS Command ping are answered through the modem", async () => {
    expect(await ipReply("bg96", sim, "x1 ping")).toBe("x1 ok pong");
    const fromSim = (h: Hit) => h.url === "/sms/bg96" && params(h)["Direction"] === "from_sim";
    await client.supersim.v1.smsCommands.create({ sim, payload: "x2 ping" });
    const [sms] = await hooks.waitFor(1, fromSim, 10000);
    expect(params(sms as Hit)["Payload"]).toBe("x2 ok pong");
    expect(logs).toContain("simcmd: bg96 agent on " + modem.port + ", device port 6969");
    expect(logs.filter((l) => l.startsWith("simcmd: handled"))).toEqual(["simcmd: handled ip", "simcmd: handled sms"]);
  });

  test("a repeated id is run once, and answered from the record after a restart (the modem kept its socket: reset first)", async () => {
    expect(await ipReply("bg96", sim, "x3 config set apn first")).toBe("x3 ok first");
    expect(await ipReply("bg96", sim, "x3 config set apn second")).toBe("x3 ok first");
    // The record, as the ESP32's Preference would hold it: domain "simcmd", one key per entry.
    const stored = JSON.parse(fs.readFileSync(storage, "utf8")) as Record<string, string>;
    expect(Object.keys(stored)).toContain("simcmd.idn");
    expect(Object.keys(stored)).toContain("simcmd.c.apn");
    for (const k of Object.keys(stored)) expect(k).toMatch(/^simcmd\.(id\d+|idn|c\.[a-z_]+)$/);
    await (apps.pop() as XsRuntime).close();
    const again: string[] = [];
    await boot(modem, { modem: "bg96", uartDevice: modem.port, pollInterval: "200", registrationTimeout: "10000" }, storage, again);
    expect(again).toContain("simcmd: resetting the modem before bringing it up again");
    expect(await ipReply("bg96", sim, "x3 config set apn third")).toBe("x3 ok first");
    expect(again.filter((l) => l.startsWith("simcmd: handled"))).toEqual(["simcmd: handled ip (repeated id or error: not run)"]);
  }, 30000);
});

describe("the Moddable modem firmware in XS, SARA-R4", () => {
  test("an IP Command ping is answered (hex-mode sockets)", async () => {
    const { sim, modem } = await rig("sara-r4");
    await boot(modem, { modem: "sara-r4", uartDevice: modem.port, pollInterval: "200", registrationTimeout: "10000" }, path.join(dir, "sara.json"), []);
    expect(await ipReply("sara-r4", sim, "y1 info")).toMatch(/^y1 ok simcmd 0\.1\.0 runtime=moddable uptime=\d+s modem=sara-r4$/);
  }, 40000);
});

describe("bad settings", () => {
  test("a bad config value stops the start-up with a clear trace line, nothing opened", async () => {
    const logs: string[] = [];
    const app = await XsRuntime.start({ bundle: BUNDLE, onEvent: (e) => logs.push(String(e["message"])) });
    apps.push(app);
    expect(await app.request({ op: "init", config: { ...manifestConfig("lin"), modem: "sim800" } })).toEqual({ ok: true });
    expect(await app.request({ op: "init", config: {} })).toMatchObject({ error: { code: "already-initialised" } });
    expect(logs).toEqual(['simcmd: not started: modem must be bg96, sim7080 or sara-r4, got "sim800"']);
    const app2 = await XsRuntime.start({ bundle: BUNDLE, onEvent: (e) => logs.push(String(e["message"])) });
    apps.push(app2);
    await app2.request({ op: "init", config: { ...manifestConfig("esp32"), devicePort: "69a" } });
    expect(logs[1]).toBe('simcmd: not started: devicePort must be a whole number from 1 to 65535, got "69a"');
    const app3 = await XsRuntime.start({ bundle: BUNDLE, onEvent: (e) => logs.push(String(e["message"])) });
    apps.push(app3);
    await app3.request({ op: "init", config: { ...manifestConfig("lin"), uartDevice: "/nonexistent/tty" } });
    expect(logs[2]).toMatch(/^simcmd: not started: cannot open \/nonexistent\/tty at 115200 baud: Error: /);
  });
});

describe("the board bundle (dist/firmware/moddable/modem/main.js)", () => {
  test("imports only Moddable modules its manifest provides, and touches none of them when loaded (the esp32 manifest preloads it)", async () => {
    const code = fs.readFileSync(path.join(ROOT, "dist/firmware/moddable/modem/main.js"), "utf8");
    const imports = [...code.matchAll(/^import \S+ from '([^']+)';$/gm)].map((m) => m[1]).sort();
    // embedded:io/serial (modules/io), modules (modules/base/modules), mc/config, timer (manifest_base), preference.
    expect(imports).toEqual(["embedded:io/serial", "mc/config", "modules", "preference", "timer"]);
    // Link it against stand-ins that record every use, and evaluate it as a module.
    const touched: string[] = [];
    const context = vm.createContext({});
    const stub = (name: string) =>
      new Proxy(function () {}, {
        get: (_t, p) => (touched.push(`${name}.${String(p)}`), undefined),
        apply: () => (touched.push(`${name}()`), undefined),
        construct: () => (touched.push(`new ${name}`), {}),
      });
    const mod = new vm.SourceTextModule(code, { context });
    await mod.link(async (specifier) => {
      const m = new vm.SyntheticModule(["default"], function () {
        this.setExport("default", stub(specifier));
      }, { context });
      return m;
    });
    await mod.evaluate();
    expect(touched).toEqual([]);
    expect(typeof (mod.namespace as { default: unknown }).default).toBe("function");
  });
});
