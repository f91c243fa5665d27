/**
 * `simcmd hil` end to end, with real parts: virtual modems on real ptys, opened through the
 * `serialport` package, attached to a real mock cloud. The CLI runs in-process with captured io
 * (test/helpers/cli.ts); one test runs bin/simcmd.js as a child process (built dist/, as
 * test/e2e/dev.test.ts) to show a failing run ends on its own.
 *
 *   --virtual            the CLI starts its own mock cloud and virtual modem: every step passes
 *   --port (a "device")  a virtual BG96 this file starts stands in for hardware: no mock network
 *   a failing device     the SARA-R4 driver against a BG96 (wrong dialect), and injected faults
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { NEEDS_NETWORK, NodeSerial, scenario, type HilReport, type StepResult } from "../../host-tools/hil/index.js";
import { startModem, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { activeSim, cloudAndClient, type Client } from "../cloud/harness.js";
import { cli } from "../helpers/cli.js";

let cloud: CloudHandle;
let client: Client;
const modems: ModemHandle[] = [];

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
});

afterAll(async () => {
  for (const m of modems) await m.close();
  await cloud?.close();
});

/** A fresh virtual BG96 on a new pty, holding its own active SIM in this file's cloud. */
async function bg96(): Promise<ModemHandle> {
  const { sim } = await activeSim(client);
  const m = await startModem({ dialect: "bg96", cloud: { url: cloud.url, sim: sim.sid, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  modems.push(m);
  return m;
}

function report(out: string): HilReport {
  return JSON.parse(out) as HilReport;
}

const byId = (r: HilReport, id: string): StepResult => {
  const s = r.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id} in the report`);
  return s;
};

/** The port was closed by the run: serialport locks a tty it holds (flock), so a second open would fail. */
async function expectClosed(port: string): Promise<void> {
  const again = await NodeSerial.open(port);
  await again.close();
}

test("--virtual --json: every step of the sim7080 scenario passes, in the scenario's order", async () => {
  const r = await cli(["hil", "--modem", "sim7080", "--virtual", "--json"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  const rep = report(r.out);
  expect(rep).toMatchObject({ family: "sim7080", target: "virtual", failed: 0, skipped: 0 });
  expect(rep.steps.map((s) => s.name)).toEqual(scenario("sim7080").map((s) => s.name));
  expect(rep.steps.map((s) => s.status)).toEqual(rep.steps.map(() => "pass"));
  expect(rep.passed).toBe(rep.steps.length);
  for (const s of rep.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
});

test("--port on a modem without the mock network: network steps are skipped with the reason, the others pass", async () => {
  const m = await bg96();
  const r = await cli(["hil", "--modem", "bg96", "--port", m.port, "--json"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  const rep = report(r.out);
  expect(rep.target).toBe(m.port);
  const steps = scenario("bg96");
  expect(rep.steps.map((s) => [s.name, s.status, s.status === "skip" ? s.reason : null])).toEqual(
    steps.map((s) => [s.name, s.needsNetwork ? "skip" : "pass", s.needsNetwork ? NEEDS_NETWORK : null]),
  );
  expect(rep.skipped).toBe(steps.filter((s) => s.needsNetwork).length);
  expect(rep.skipped).toBeGreaterThan(0);
  expect([rep.passed, rep.failed]).toEqual([steps.length - rep.skipped, 0]);
  await expectClosed(m.port);
});

test("human output: one ok / skip line per step and a summary", async () => {
  const m = await bg96();
  const r = await cli(["hil", "--modem", "bg96", "--port", m.port]);
  expect(r.code).toBe(0);
  const lines = r.out.trim().split("\n");
  expect(lines[0]).toMatch(new RegExp(`^# simcmd hil: bg96 on ${m.port} \\(no mock network`));
  expect(lines[1]).toMatch(/^ok 1 init: AT, ATE0, AT\+CMEE=2, SIM ready \(\d+ ms\)$/);
  expect(lines[5]).toBe(`skip 5 receives an IP Command the mock cloud sends to port 6969 (binary, with CR LF) — ${NEEDS_NETWORK}`);
  const steps = scenario("bg96");
  const offline = steps.filter((s) => s.needsNetwork).length;
  expect(lines).toHaveLength(steps.length + 2);
  expect(lines.at(-1)).toBe(`# bg96 on ${m.port}: ${steps.length - offline} passed, 0 failed, ${offline} skipped`);
});

test("a failing device (SARA-R4 driver on a BG96): the step fails with the driver's error, its dependants are skipped, the port is closed", async () => {
  const m = await bg96();
  const r = await cli(["hil", "--modem", "sara-r4", "--port", m.port, "--json"]);
  expect(r.code).toBe(1);
  const rep = report(r.out);
  expect(rep.failed).toBe(1);
  const listen = byId(rep, "udp-listen");
  expect(listen).toMatchObject({ status: "fail", error: { modem: { kind: "at", command: "AT+UDCONF=1,1" } } });
  if (listen.status === "fail") expect(listen.error.message).toContain("AT+UDCONF=1,1");
  const after = `after a failed step: ${listen.name}`;
  expect(byId(rep, "udp-send")).toMatchObject({ status: "skip", reason: after });
  expect(byId(rep, "reset")).toMatchObject({ status: "skip", reason: after });
  // Steps that do not need the socket still ran.
  for (const id of ["init", "register", "attach", "sms-start", "no-async-errors"]) expect(byId(rep, id).status).toBe("pass");
  await expectClosed(m.port);
});

test("init fails (the modem answers ERROR): every later step is skipped after it", async () => {
  const m = await bg96();
  m.modem.faults.errorNext(1);
  const r = await cli(["hil", "--modem", "bg96", "--port", m.port, "--json"]);
  expect(r.code).toBe(1);
  const rep = report(r.out);
  const init = byId(rep, "init");
  expect(init).toMatchObject({ status: "fail", error: { modem: { kind: "at", command: "AT" } } });
  // The last step needs nothing and still runs; the rest need init (directly or through another step).
  const reason = (id: string, needsNetwork: boolean): string | null => (id === "no-async-errors" ? null : needsNetwork ? NEEDS_NETWORK : `after a failed step: ${init.name}`);
  expect(rep.steps.slice(1).map((s) => [s.id, s.status, s.status === "skip" ? s.reason : null])).toEqual(
    scenario("bg96")
      .slice(1)
      .map((s) => [s.id, s.id === "no-async-errors" ? "pass" : "skip", reason(s.id, s.needsNetwork)]),
  );
  expect(byId(rep, "register")).toMatchObject({ status: "skip", reason: `after a failed step: ${init.name}` });
  await expectClosed(m.port);
});

test("--step-timeout: a step slower than the limit fails with a timeout", async () => {
  const m = await bg96();
  m.modem.faults.delayMs = 400;
  const r = await cli(["hil", "--modem", "bg96", "--port", m.port, "--step-timeout", "150", "--json"]);
  expect(r.code).toBe(1);
  expect(byId(report(r.out), "init")).toMatchObject({ status: "fail", error: { message: "step timed out after 150 ms" } });
  await expectClosed(m.port);
});

test("bin/simcmd.js hil on a failing device exits 1 by itself (nothing left open)", async () => {
  const m = await bg96();
  const bin = fileURLToPath(new URL("../../bin/simcmd.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "hil", "--modem", "sara-r4", "--port", m.port], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  expect(out).toMatch(/^not ok 4 opens a UDP listener on device port 6969 \(buffer mode\) — at AT\+UDCONF=1,1: ERROR/m);
  expect(code).toBe(1);
}, 20000);

test("a port that cannot be opened: exit 1 with a message naming the port", async () => {
  const r = await cli(["hil", "--modem", "bg96", "--port", "/dev/pts/999999"]);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^simcmd hil: cannot open serial port \/dev\/pts\/999999: /);
});

test.each([
  [["hil", "--port", "/dev/ttyUSB0"], /--modem must be one of bg96, sim7080, sara-r4/],
  [["hil", "--modem", "sim900", "--virtual"], /--modem must be one of .*got 'sim900'/],
  [["hil", "--modem", "bg96"], /--port PATH or --virtual is required/],
  [["hil", "--modem", "bg96", "--virtual", "--port", "/dev/ttyUSB0"], /not both/],
  [["hil", "--modem", "bg96", "--port", "/dev/ttyUSB0", "--baud", "fast"], /--baud must be an integer/],
  [["hil", "--modem", "bg96", "--virtual", "--step-timeout", "0"], /--step-timeout must be an integer from 1/],
  [["hil", "--modem", "bg96", "--virtual", "--step-timeout", "1.5"], /--step-timeout must be an integer/],
  [["hil", "--modem", "bg96", "--virtual", "--colour"], /Unknown option '--colour'/],
])("usage error %j → exit 2", async (argv, message) => {
  const r = await cli(argv);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err).toContain("Run 'simcmd hil --help' for usage.");
  expect(r.out).toBe("");
});

test("--help documents every option; simcmd --help lists hil", async () => {
  const h = await cli(["hil", "--help"]);
  expect(h.code).toBe(0);
  for (const o of ["--modem", "--port", "--baud", "--virtual", "--step-timeout", "--json"]) expect(h.out).toContain(o);
  const top = await cli(["--help"]);
  expect(top.out).toMatch(/^ {2}hil {2,}\S/m);
  expect(top.out).not.toMatch(/hil.*not yet available/);
});
