/**
 * The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core) on top of the
 * whole `simcmd dev` stack: the device row, a command typed and sent from the keyboard coming back as
 * down/succeeded, and untrusted MQTT strings shown as text, never as markup.
 * Chromium: /usr/bin/chromium (scripts/setup.sh installs it), or the path in SIMCMD_CHROMIUM.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { startDev, type DevHandle } from "../../host-tools/local-stack/index.js";
import { Recorder } from "../bridge/helpers.js";

const CHROMIUM = process.env["SIMCMD_CHROMIUM"] ?? "/usr/bin/chromium";
const WAIT = { timeout: 20_000 };

let dev: DevHandle;
let browser: Browser;
let page: Page;
let rec: Recorder;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) or set SIMCMD_CHROMIUM`);
  [dev, browser] = await Promise.all([
    startDev({ devices: 1, cloudPort: 0, bridgePort: 0, brokerPort: 0, dashboardPort: 0 }),
    chromium.launch({ executablePath: CHROMIUM, headless: true }),
  ]);
  rec = await Recorder.open(dev.mqtt, [`${dev.prefix}/devices/+/down`]);
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(dev.dashboard);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rec?.close();
  await dev?.close();
});

const row = (p: Page, name: string) => p.locator("#devices tbody tr").filter({ has: p.locator("th", { hasText: name }) });
const eventFor = (p: Page, kind: string, id: string) => p.locator(`#events li[data-kind="${kind}"][data-id="${id}"]`);

/** Types `command` into device-1's form, picks the transport, presses Enter; returns the 202 answer's id. */
async function send(p: Page, command: string, transport: "ip" | "sms" = "ip"): Promise<string> {
  await p.getByLabel("Command for device-1").fill(command);
  await p.getByLabel("Transport for device-1").selectOption(transport);
  await p.getByLabel("Command for device-1").focus();
  const [res] = await Promise.all([p.waitForResponse((r) => r.url().endsWith("/api/devices/device-1/down")), p.keyboard.press("Enter")]);
  expect(res.status()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

test("the device table lists device-1 with its SIM SID, and the event stream is live", async () => {
  const sim = dev.devices[0]!.sim_sid;
  await row(page, "device-1").waitFor(WAIT);
  expect(await row(page, "device-1").locator("td.sid").textContent()).toBe(sim);
  await page.locator('#link[data-state="live"]').waitFor(WAIT);
});

test("ping typed and sent from the keyboard comes back as down/succeeded with result pong; the state appears", async () => {
  // Tab from the top of the page reaches device-1's command field first.
  await page.keyboard.press("Tab");
  expect(await page.getByLabel("Command for device-1").evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.type("ping");
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/api/devices/device-1/down")), page.keyboard.press("Enter")]);
  expect(res.status()).toBe(202);
  const { id } = (await res.json()) as { id: string };
  expect(id).toMatch(/^dash-\d+$/);
  await row(page, "device-1").locator("output", { hasText: `sent as ${id}` }).waitFor(WAIT);

  const done = eventFor(page, "down/succeeded", id);
  await done.waitFor(WAIT);
  expect(await done.locator(".status").textContent()).toBe("succeeded");
  expect(await done.locator(".detail").textContent()).toBe("pong");
  // The request went out as ip (the default), and the bridge's events for it are listed too.
  const [m] = await rec.waitFor((x) => x.json["id"] === id);
  expect(m?.json).toEqual({ command: "ping", transport: "ip", id });
  expect(await eventFor(page, "down/queued", id).count()).toBe(1);
  // The bridge publishes device-1's state once it has sent to it.
  await row(page, "device-1").locator("td.state .badge", { hasText: "normal" }).waitFor(WAIT);
});

test("the transport select sends over SMS when asked", async () => {
  const id = await send(page, "ping", "sms");
  const [m] = await rec.waitFor((x) => x.json["id"] === id);
  expect(m?.json).toEqual({ command: "ping", transport: "sms", id });
  const done = eventFor(page, "down/succeeded", id);
  await done.waitFor(WAIT);
  expect(await done.locator(".detail").textContent()).toBe("pong");
});

test("a page opened later shows the recent events at once (replayed history)", async () => {
  const later = await browser.newPage();
  try {
    await later.goto(dev.dashboard);
    await later.locator('#events li[data-kind="down/succeeded"]').first().waitFor(WAIT);
    expect(await later.locator('#events li[data-kind="down/succeeded"] .detail').allTextContents()).toContain("pong");
    expect(await row(later, "device-1").locator("td.state .badge").textContent()).toBe("normal");
  } finally {
    await later.close();
  }
});

test("markup in MQTT payloads, device names and command results is shown as text, never run", async () => {
  const evil = (n: number) => `<img src=x onerror="window.__xss=${n}">`;
  const p = dev.prefix;
  // A retained state for a device whose very name is markup, and an uplink whose payload and reply are.
  await rec.client.publishAsync(`${p}/devices/${evil(1)}/state`, JSON.stringify({ device: evil(1), state: evil(2), condition: "fault", reason: evil(3) }), { qos: 1, retain: true });
  await rec.client.publishAsync(`${p}/devices/device-1/up`, JSON.stringify({ device: "device-1", payload: evil(4), reply: { id: "x1", ok: true, result: evil(5) } }), { qos: 1 });
  // And a command whose text comes back as the result (echo) through the bridge and the agent.
  const id = await send(page, `echo ${evil(6)}`);

  const evilRow = row(page, evil(1));
  await evilRow.waitFor(WAIT);
  expect(await evilRow.locator("th").textContent()).toBe(evil(1));
  expect(await evilRow.locator("td.state .badge").textContent()).toBe(evil(2));
  expect(await evilRow.locator("td.state .reason").textContent()).toBe(evil(3));
  expect(await eventFor(page, "up", "x1").locator(".detail").textContent()).toBe(evil(5));
  const echoed = eventFor(page, "down/succeeded", id);
  await echoed.waitFor(WAIT);
  expect(await echoed.locator(".detail").textContent()).toBe(evil(6));

  expect(await page.locator("img").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(pageErrors).toEqual([]);
}, 40_000);
