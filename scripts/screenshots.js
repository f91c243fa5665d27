#!/usr/bin/env node
/**
 * `npm run screenshots`: the pictures in docs/dashboard.md, made from a real run — `simcmd dev` (from dist/,
 * so `npm run build` first) with two devices, driven in headless Chromium (playwright-core; /usr/bin/chromium
 * or SIMCMD_CHROMIUM) the way a user would: a `ping` over IP and one over SMS with their journeys, a command
 * to a detached SIM (failed, 83401), and the device list with the network controls open and 30 % loss.
 * Writes docs/img/journey-ip.png, journey-sms.png, journey-detached.png and network.png, each made about three
 * times smaller by pngquant (Debian package `pngquant`) when it is installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}docs/img`;
const CHROMIUM = process.env.SIMCMD_CHROMIUM ?? "/usr/bin/chromium";
const WAIT = { timeout: 20_000 };

/** Shrinks a screenshot with pngquant (a 256-colour palette: text stays sharp), when it is there. */
function shrink(file) {
  const r = spawnSync("pngquant", ["--quality", "60-85", "--speed", "1", "--force", "--ext", ".png", file], { stdio: "ignore" });
  return r.status === 0;
}

async function shoot(locator, file) {
  await locator.page().evaluate("document.activeElement?.blur()");
  await locator.screenshot({ path: `${out}/${file}` });
  return shrink(`${out}/${file}`) ? " (pngquant)" : "";
}

if (!existsSync(`${root}dist/host-tools/local-stack/index.js`)) throw new Error("run `npm run build` first: the screenshots use dist/");
const { startDev } = await import(`${root}dist/host-tools/local-stack/index.js`);
mkdirSync(out, { recursive: true });

const dev = await startDev({ devices: 2, cloudPort: 0, bridgePort: 0, brokerPort: 0, dashboardPort: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: "light" });
  await page.goto(dev.dashboard);
  await page.locator('#link[data-state="live"]').waitFor(WAIT);

  /** Sends `command` to device-1 from its form and waits until the journey shows `last`. */
  const journey = async (command, transport, last, file) => {
    await page.getByLabel("Command for device-1").fill(command);
    await page.getByLabel("Transport for device-1").selectOption(transport);
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/api/devices/device-1/down")), page.getByLabel("Command for device-1").press("Enter")]);
    const { id } = await res.json();
    await page.locator(`#devices output button[data-journey="${id}"]`).click();
    await page.locator(`#journey-steps li[data-kind="${last}"]`).waitFor(WAIT);
    // Show the raw hex of the first step that has bytes on the wire (from the keyboard, as a user would).
    const raw = page.locator("#journey-steps details.raw summary");
    if ((await raw.count()) > 0) await raw.first().press("Enter");
    console.log(`${file}: journey of ${id}${await shoot(page.locator("#journey"), file)}`);
  };

  await journey("ping", "ip", "down/succeeded", "journey-ip.png");
  await journey("ping", "sms", "down/succeeded", "journey-sms.png");

  const row = page.locator('#devices tr[data-device="device-1"]');
  await row.locator("summary", { hasText: "Network controls" }).click();
  await row.locator('button[data-action="detach"]').click();
  await row.locator('.badge[data-net="detached"]').waitFor(WAIT);
  await journey("ping", "ip", "down/failed", "journey-detached.png");
  await row.locator('button[data-action="attach"]').click();
  await row.locator('.badge[data-net="attached"]').waitFor(WAIT);
  await page.getByLabel("Loss % for device-1").fill("30");
  await page.getByLabel("Seed for device-1").fill("7");
  await row.getByRole("button", { name: "Set loss and latency" }).click();
  await row.locator(".loss", { hasText: "loss 30 %" }).waitFor(WAIT);
  await page.locator("#journey-close").click();
  await page.locator('#devices tr[data-device="device-1"] td.stats svg.latency[data-points="3"]').waitFor(WAIT);
  console.log(`network.png: the device list with device-1's network controls${await shoot(page.locator("#devices"), "network.png")}`);
} finally {
  await browser.close();
  await dev.close();
}
