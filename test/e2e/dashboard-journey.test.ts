/**
 * The dashboard's journey view, network controls, latency chart and platform view in a real browser (Debian's
 * Chromium, headless, driven by playwright-core, keyboard only) on the whole `simcmd dev` stack: a `ping`'s
 * journey over IP and over SMS, step by step; a detached SIM (failed with 83401, no_communication) and its
 * recovery; 30 % loss with a fixed seed (the mock's loss generator replays) and what the journeys show for
 * it; the chart's points against the final statuses the bridge published; the platform's Commands, paged.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { startDev, type DevHandle } from "../../host-tools/local-stack/index.js";
import { Recorder } from "../bridge/helpers.js";

const CHROMIUM = process.env["SIMCMD_CHROMIUM"] ?? "/usr/bin/chromium";
const WAIT = { timeout: 20_000 };
const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();

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
  rec = await Recorder.open(dev.mqtt, [`${dev.prefix}/devices/+/down/+`]);
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(dev.dashboard);
  await page.locator('#link[data-state="live"]').waitFor(WAIT);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rec?.close();
  await dev?.close();
});

const row = () => page.locator('#devices tr[data-device="device-1"]');
const steps = () => page.locator("#journey-steps > li");

/** Focus + a key: the page is driven without a mouse. */
async function press(l: Locator, key = "Enter"): Promise<void> {
  await l.focus();
  await page.keyboard.press(key);
}

/** Types `command` in device-1's form, picks the transport, presses Enter; returns the id of the 202. */
async function send(command: string, transport: "ip" | "sms"): Promise<string> {
  const input = page.getByLabel("Command for device-1");
  await input.focus();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(command);
  await page.getByLabel("Transport for device-1").selectOption(transport);
  await input.focus();
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/api/devices/device-1/down")), page.keyboard.press("Enter")]);
  expect(res.status()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Opens the journey of `id` from the command form's link, with the keyboard; focus lands on its heading. */
async function openJourney(id: string): Promise<void> {
  await press(row().locator(`output button[data-journey="${id}"]`));
  await page.locator("#journey-title", { hasText: `Journey of ${id}` }).waitFor(WAIT);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("journey-title");
}

interface Shown {
  kinds: string[];
  titles: string[];
  offsets: number[];
  deltas: number[];
}

async function shown(): Promise<Shown> {
  return steps().evaluateAll((lis) => ({
    kinds: lis.map((li) => li.getAttribute("data-kind") ?? ""),
    titles: lis.map((li) => li.querySelector(".title")?.textContent ?? ""),
    offsets: lis.map((li) => Number(li.getAttribute("data-offset"))),
    deltas: lis.map((li) => Number(li.getAttribute("data-delta"))),
  }));
}

/** Until the open journey shows a step of each kind (the page fetches it again on every change). */
async function waitKinds(kinds: string[]): Promise<void> {
  await page.waitForFunction(
    (ks) => ks.every((k) => document.querySelector(`#journey-steps > li[data-kind="${k}"]`) !== null),
    kinds,
    WAIT,
  );
}

/** `chain` appears in `kinds` in this order (other steps may come between). */
function inOrder(kinds: string[], chain: string[]): void {
  let at = -1;
  for (const k of chain) {
    const i = kinds.indexOf(k, at + 1);
    expect({ step: k, after: chain[chain.indexOf(k) - 1] ?? null, found: i > at }).toEqual({ step: k, after: chain[chain.indexOf(k) - 1] ?? null, found: true });
    at = i;
  }
}

function durationsOk(s: Shown): void {
  expect(s.deltas.every((d) => Number.isFinite(d) && d >= 0)).toBe(true);
  for (let i = 1; i < s.offsets.length; i++) expect(s.offsets[i]).toBe((s.offsets[i - 1] as number) + (s.deltas[i] as number));
  expect(s.offsets[0]).toBe(0);
}

test("ping over IP: its journey has every step, in order, with non-negative durations; the raw datagram on demand", async () => {
  const id = await send("ping", "ip");
  await openJourney(id);
  const chain = ["published", "ip_command.queued", "ip.sent", "ip_command.sent", "ip.received", "ip_command.received", "up", "down/succeeded"];
  await waitKinds([...chain, "down/queued", "down/sent"]);
  const s = await shown();
  inOrder(s.kinds, chain);
  inOrder(s.kinds, ["published", "down/queued", "down/sent"]);
  durationsOk(s);
  // The summary: the platform resource, its status, the end-to-end time.
  const summary = page.locator("#journey-summary");
  expect(await summary.locator("dd.status").textContent()).toBe("succeeded");
  expect(await summary.locator("dd.resource").textContent()).toMatch(/^Super SIM IpCommand HG[0-9a-f]{32}$/);
  expect(await summary.locator("dd.latency").textContent()).toMatch(/^\d+ ms$|^\d+\.\d+ s$/);
  // The datagram to the device, decoded, and its bytes once asked for (keyboard).
  const sent = page.locator('#journey-steps > li[data-kind="ip.sent"]');
  expect(await sent.locator("code.decoded").textContent()).toBe(`text "${id} ping"`);
  expect(await sent.locator("code.hex").isVisible()).toBe(false);
  await press(sent.locator("details.raw summary"));
  expect(await sent.locator("code.hex").isVisible()).toBe(true);
  expect(await sent.locator("code.hex").textContent()).toBe(hex(`${id} ping`));
  const back = page.locator('#journey-steps > li[data-kind="ip.received"]');
  expect(await back.locator(".reply").textContent()).toBe(`reply ${id} ok pong`);
  // Escape closes the journey and gives the focus back to the link that opened it.
  await page.keyboard.press("Escape");
  expect(await page.locator("#journey").isHidden()).toBe(true);
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-journey"))).toBe(id);
}, 40_000);

test("ping over SMS: the SMS-DELIVER (decoded TPDU), the modem's DELIVER-REPORT, the SMS-SUBMIT reply", async () => {
  const id = await send("ping", "sms");
  await openJourney(id);
  await waitKinds(["published", "sms_command.queued", "sms.deliver.sent", "sms.delivered", "sms_command.delivered", "sms.submit.received", "sms_command.received", "up", "down/succeeded"]);
  const s = await shown();
  inOrder(s.kinds, ["published", "sms_command.queued", "sms.deliver.sent", "sms.delivered", "sms_command.delivered"]);
  inOrder(s.kinds, ["published", "sms.deliver.sent", "sms.submit.received", "sms_command.received", "up", "down/succeeded"]);
  durationsOk(s);
  const deliver = page.locator('#journey-steps > li[data-kind="sms.deliver.sent"]');
  expect(await deliver.locator("code.decoded").textContent()).toMatch(new RegExp(`^type: deliver · originator: 000 · .* · text: ${id} ping$`));
  expect(await page.locator("#journey-summary dd.resource").textContent()).toMatch(/^Super SIM SmsCommand HC[0-9a-f]{32}$/);
  await press(page.locator("#journey-close"));
}, 40_000);

test("detached: the SIM shows detached, a ping fails with 83401 in its journey, the device goes no_communication; attached again it recovers", async () => {
  await press(row().locator("details.netctl summary"));
  await press(row().locator('button[data-action="detach"]'));
  await row().locator('.badge[data-net="detached"]').waitFor(WAIT);
  // The focus stays in the group (Detach is now disabled): Attach is where the keyboard is.
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("attach");

  const id = await send("ping", "ip");
  await openJourney(id);
  await waitKinds(["published", "ip_command.queued", "ip.failed", "ip_command.failed", "down/failed"]);
  const s = await shown();
  inOrder(s.kinds, ["published", "ip_command.queued", "ip.failed", "ip_command.failed", "down/failed"]);
  durationsOk(s);
  expect(await page.locator("#journey-summary dd.status").textContent()).toBe("failed");
  expect(await page.locator("#journey-summary dd.platform-error").textContent()).toBe("83401: The device was not attached to a cellular network");
  expect(await page.locator('#journey-steps > li[data-kind="down/failed"] .error').textContent()).toMatch(/^83401: /);
  await row().locator('td.state .badge[data-state="no_communication"]').waitFor(WAIT);

  await press(row().locator('button[data-action="attach"]'));
  await row().locator('.badge[data-net="attached"]').waitFor(WAIT);
  const ok = await send("ping", "ip");
  await openJourney(ok);
  await page.locator('#journey-steps > li[data-kind="down/succeeded"]').waitFor(WAIT);
  await row().locator('td.state .badge[data-state="normal"]').waitFor(WAIT);
}, 60_000);

test("30 % loss with a seed: each journey shows what happened to its datagrams — answered, lost on the way, or its reply lost", async () => {
  await page.getByLabel("Loss % for device-1").fill("30");
  await page.getByLabel("Seed for device-1").fill("42");
  await press(row().getByRole("button", { name: "Set loss and latency" }));
  await row().locator(".loss", { hasText: "loss 30 %" }).waitFor(WAIT);
  await row().locator(".seed", { hasText: "seed 42" }).waitFor(WAIT);

  const outcomes: string[] = [];
  for (let i = 0; i < 6; i++) {
    const id = await send("ping", "ip");
    await openJourney(id);
    await page.locator('#journey-steps > li[data-kind="down/succeeded"], #journey-steps > li[data-kind="ip.lost"]').first().waitFor(WAIT);
    if ((await page.locator('#journey-steps > li[data-kind="down/succeeded"]').count()) > 0) await waitKinds(["ip.sent", "ip.received", "up", "down/succeeded"]);
    // A lost reply is matched to the command by its text, the datagram sent by the command's SID, which the page
    // learns from the bridge's down/sent, possibly later: the journey shows the loss first, then the send.
    else if ((await page.locator('#journey-steps > li[data-kind="ip.lost"] .title', { hasText: "Datagram from the device lost" }).count()) > 0) await waitKinds(["ip.sent", "ip.lost"]);
    const s = await shown();
    durationsOk(s);
    if (s.kinds.includes("down/succeeded")) {
      expect(s.kinds).not.toContain("ip.lost");
      inOrder(s.kinds, ["ip.sent", "ip.received", "up", "down/succeeded"]);
      outcomes.push("answered");
    } else if (s.titles.includes("Datagram to the device lost")) {
      expect(s.kinds).not.toContain("ip.sent");
      expect(s.kinds).not.toContain("ip.received");
      expect(await page.locator('#journey-steps > li[data-kind="ip.lost"] .facts').textContent()).toMatch(/reason: loss/);
      outcomes.push("lost");
    } else {
      expect(s.titles).toContain("Datagram from the device lost");
      inOrder(s.kinds, ["ip.sent", "ip.lost"]);
      expect(s.kinds).not.toContain("up");
      expect(await page.locator('#journey-steps > li[data-kind="ip.lost"] .reply').textContent()).toBe(`reply ${id} ok pong`);
      outcomes.push("reply lost");
    }
  }
  // Seed 42 replays the same draws every run: some answered, some not.
  expect(outcomes).toContain("answered");
  expect(outcomes.filter((o) => o !== "answered").length).toBeGreaterThan(0);

  // Over SMS the SMSC sends again when a DELIVER or its report is lost (after 1 s here, 5 s by default).
  const auth = "Basic " + Buffer.from(`${dev.account_sid}:${dev.auth_token}`).toString("base64");
  const net = await fetch(`${dev.cloud}/_mock/network`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: '{"sms_retry_ms":1000}' });
  expect(net.status).toBe(200);
  let resent = false;
  for (let i = 0; i < 4 && !resent; i++) {
    const id = await send("ping", "sms");
    await openJourney(id);
    await page.locator('#journey-steps > li[data-kind="sms_command.delivered"], #journey-steps > li[data-kind="sms_command.failed"]').first().waitFor(WAIT);
    const s = await shown();
    durationsOk(s);
    resent = s.titles.some((t) => /attempt [2-9]: resent/.test(t));
    if (resent) expect(s.titles.some((t) => /lost/.test(t))).toBe(true);
  }
  expect(resent).toBe(true);

  await page.getByLabel("Loss % for device-1").fill("");
  await page.getByLabel("Seed for device-1").fill("");
  await press(row().getByRole("button", { name: "Set loss and latency" }));
  await row().locator(".loss", { hasText: "(network)" }).waitFor(WAIT);
}, 120_000);

test("the latency chart has one point per finished command and the counts by final status", async () => {
  await press(page.locator("#journey-close"));
  const finals = new Map<string, string>();
  for (const m of rec.find((x) => /\/devices\/device-1\/down\/(succeeded|failed|expired|rejected)$/.test(x.topic))) {
    if (!finals.has(String(m.json.id))) finals.set(String(m.json.id), String(m.json.status));
  }
  const n = Math.min(20, finals.size);
  expect(n).toBeGreaterThan(5);
  const chart = row().locator("td.stats svg.latency");
  await row().locator(`td.stats svg.latency[data-points="${n}"]`).waitFor(WAIT);
  expect(await chart.locator("rect.bar").count()).toBe(n);
  const failed = [...finals.values()].filter((s) => s === "failed").length;
  const succeeded = [...finals.values()].filter((s) => s === "succeeded").length;
  expect(await chart.locator('rect.bar[data-status="failed"]').count()).toBe(failed);
  expect(await row().locator("td.stats .counts").textContent()).toMatch(new RegExp(`^${succeeded} succeeded · ${failed} failed`));
});

test("the platform view: the SIM, the Fleet, the IP Commands a page at a time with links to their journeys", async () => {
  const platform = page.locator("#platform");
  await platform.locator("#platform-table tbody tr").first().waitFor(WAIT);
  expect(await platform.locator("#platform-table tbody tr td").first().textContent()).toBe(dev.devices[0]!.sim_sid);
  await press(platform.getByRole("button", { name: "Fleets" }));
  await platform.locator("#platform-table tbody tr td", { hasText: "dev-fleet" }).waitFor(WAIT);
  await press(platform.getByRole("button", { name: "IP Commands" }));
  await platform.locator("#platform-status", { hasText: "page 1: 10 ip commands" }).waitFor(WAIT);
  const first = await platform.locator("#platform-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-sid")));
  expect(await platform.locator("#platform-table tbody button.link").count()).toBeGreaterThan(0);
  await press(platform.getByRole("button", { name: "Next page" }));
  await platform.locator("#platform-status", { hasText: "page 2" }).waitFor(WAIT);
  const second = await platform.locator("#platform-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-sid")));
  expect(second.length).toBeGreaterThan(0);
  expect(second.filter((s) => first.includes(s))).toEqual([]);
  // A Command's journey opens from its row.
  await press(platform.locator("#platform-table tbody button.link").first());
  await page.locator("#journey-title").waitFor(WAIT);
  expect(pageErrors).toEqual([]);
}, 40_000);
