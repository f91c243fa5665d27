/**
 * `simcmd hil --junit FILE` and `--repeat N` through the CLI against virtual modems (real ptys, a real mock
 * cloud). The XML is validated with libxml2 (xmllint-wasm) against the JUnit schema Jenkins' xUnit plugin
 * uses (test/fixtures/junit-10.xsd: the common testsuites / testsuite / testcase form), then read back: one
 * testcase per step, skipped steps with their reason, failures with the typed error and that step's AT
 * transcript.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateXML } from "xmllint-wasm";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { NEEDS_NETWORK, scenario, type HilReport } from "../../host-tools/hil/index.js";
import { junitXml } from "../../host-tools/hil/junit.js";
import { percentile, type RepeatSummary } from "../../host-tools/hil/repeat.js";
import { startModem, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { activeSim, cloudAndClient, type Client } from "../cloud/harness.js";
import { cli } from "../helpers/cli.js";

const XSD = fs.readFileSync(fileURLToPath(new URL("../fixtures/junit-10.xsd", import.meta.url)), "utf8");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-hil-junit-"));
let cloud: CloudHandle;
let client: Client;
const modems: ModemHandle[] = [];

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
});

afterAll(async () => {
  for (const m of modems) await m.close();
  await cloud?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function bg96(): Promise<ModemHandle> {
  const { sim } = await activeSim(client);
  const m = await startModem({ dialect: "bg96", cloud: { url: cloud.url, sim: sim.sid, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  modems.push(m);
  return m;
}

/** libxml2's verdict on `xml` against the JUnit schema: [] when valid, else its errors. */
async function schemaErrors(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: "report.xml", contents: xml }], schema: [{ fileName: "junit-10.xsd", contents: XSD }] });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

interface Case {
  name: string;
  classname: string;
  time: string;
  skipped?: string;
  failure?: { type: string; message: string; text: string };
  out?: string;
}

const unescape = (s: string): string => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1] as string) : undefined;
};

/** The testcases of each testsuite (the XML is valid by then; this reads only what simcmd writes). */
function suites(xml: string): { attrs: string; cases: Case[] }[] {
  return [...xml.matchAll(/<testsuite (.*?)>([\s\S]*?)<\/testsuite>/g)].map(([, attrs, body]) => ({
    attrs: attrs as string,
    cases: [...(body as string).matchAll(/<testcase ([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map(([, tag, , inner = ""]) => {
      const c: Case = { name: attr(` ${tag}`, "name") as string, classname: attr(` ${tag}`, "classname") as string, time: attr(` ${tag}`, "time") as string };
      const sk = /<skipped ([^>]*)\/>/.exec(inner);
      if (sk) c.skipped = attr(` ${sk[1]}`, "message");
      const f = /<failure ([^>]*)>([\s\S]*?)<\/failure>/.exec(inner);
      if (f) c.failure = { type: attr(` ${f[1]}`, "type") as string, message: attr(` ${f[1]}`, "message") as string, text: unescape(f[2] as string) };
      const o = /<system-out>([\s\S]*?)<\/system-out>/.exec(inner);
      if (o) c.out = unescape(o[1] as string);
      return c;
    }),
  }));
}

describe("--junit", () => {
  test("a failing device: valid JUnit; passes, skips with their reason, the failure with its ModemError and AT transcript", async () => {
    const m = await bg96();
    const file = path.join(dir, "sara-on-bg96.xml");
    const r = await cli(["hil", "--modem", "sara-r4", "--port", m.port, "--junit", file, "--json"]);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out) as HilReport;
    const xml = fs.readFileSync(file, "utf8");
    expect(await schemaErrors(xml)).toEqual([]);
    const [suite, ...more] = suites(xml);
    expect(more).toEqual([]);
    expect(suite?.attrs).toMatch(new RegExp(`name="simcmd hil sara-r4 on ${m.port}" tests="16" failures="1" errors="0" skipped="${rep.skipped}"`));
    const cases = suite?.cases ?? [];
    expect(cases.map((c) => c.name)).toEqual(scenario("sara-r4").map((s, i) => `${String(i + 1).padStart(2, "0")} ${s.id}: ${s.name}`));
    expect(new Set(cases.map((c) => c.classname))).toEqual(new Set(["simcmd.hil.sara-r4"]));
    rep.steps.forEach((s, i) => {
      const c = cases[i] as Case;
      expect(c.time).toBe((s.ms / 1000).toFixed(3));
      if (s.status === "pass") expect([c.skipped, c.failure]).toEqual([undefined, undefined]);
      if (s.status === "skip") expect(c.skipped).toBe(s.reason);
    });
    expect(cases[4]?.skipped).toBe(NEEDS_NETWORK);
    const failed = cases[3] as Case; // udp-listen: AT+UDCONF is not BG96's
    expect(failed.failure?.type).toBe("driver:at");
    expect(failed.failure?.message).toBe("at AT+UDCONF=1,1: ERROR (code -1)");
    expect(failed.failure?.text).toContain('ModemError {"kind":"at","command":"AT+UDCONF=1,1"');
    expect(failed.out?.split("\n")).toEqual(expect.arrayContaining(["> AT+UDCONF=1,1", "< ERROR"]));
    // the same transcript is in the JSON report
    const listen = rep.steps[3];
    expect(listen?.status === "fail" ? listen.error.transcript : null).toBe(failed.out);
  });

  test("--virtual: every step passes; no failure or skip elements; the file is what the JSON says", async () => {
    const file = path.join(dir, "virtual.xml");
    const r = await cli(["hil", "--modem", "bg96", "--virtual", "--junit", file]);
    expect(r.code).toBe(0);
    const xml = fs.readFileSync(file, "utf8");
    expect(await schemaErrors(xml)).toEqual([]);
    const [suite] = suites(xml);
    expect(suite?.attrs).toMatch(/name="simcmd hil bg96 on virtual" tests="16" failures="0" errors="0" skipped="0"/);
    expect(suite?.cases.filter((c) => c.skipped !== undefined || c.failure !== undefined)).toEqual([]);
    expect(xml).toMatch(/<property name="family" value="bg96"\/>/);
  });

  test("text XML cannot hold (control characters, markup) is escaped and the file stays valid", async () => {
    const report: HilReport = {
      family: "bg96", startedAt: "2026-01-02T03:04:05.678Z", ms: 1234, target: "/dev/tty<&>", passed: 0, failed: 1, skipped: 1,
      steps: [
        { id: "init", name: 'init "quoted" <b>', status: "fail", ms: 5, error: { kind: "assertion", message: "bad\u0000byte \u001a & <x>\nsecond line", transcript: "> AT\\x1a\n< ]]>" } },
        { id: "register", name: "register", status: "skip", ms: 0, reason: "after a failed step: init <b>" },
      ],
    };
    const xml = junitXml([report], "rig-1");
    expect(await schemaErrors(xml)).toEqual([]);
    const [c1, c2] = suites(xml)[0]?.cases ?? [];
    expect(c1?.failure).toMatchObject({ type: "assertion", message: "bad\\x00byte \\x1a & <x>" });
    expect(c1?.out).toBe("> AT\\x1a\n< ]]>");
    expect(c2?.skipped).toBe("after a failed step: init <b>");
  });

  test("the schema check can fail: a testsuite without its required attributes is refused", async () => {
    expect(await schemaErrors('<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>')).not.toEqual([]);
  });

  test("a FILE that cannot be written: exit 1 naming it", async () => {
    const r = await cli(["hil", "--modem", "bg96", "--virtual", "--junit", path.join(dir, "no/such/dir/x.xml")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^simcmd hil: cannot write --junit .*no\/such\/dir\/x\.xml: /m);
  });
});

describe("--repeat", () => {
  test("--repeat 3 --virtual --json: pass rate, per-step counts and p50/p99 from the three reports; JUnit has three suites", async () => {
    const file = path.join(dir, "repeat.xml");
    const r = await cli(["hil", "--modem", "sim7080", "--virtual", "--repeat", "3", "--json", "--junit", file]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as RepeatSummary & { reports: HilReport[] };
    expect(s).toMatchObject({ runs: 3, passed: 3, failed: 0, passRate: 1 });
    expect(s.reports).toHaveLength(3);
    expect(s.steps.map((x) => x.id)).toEqual(scenario("sim7080").map((x) => x.id));
    s.steps.forEach((x, i) => {
      const ms = s.reports.map((rep) => rep.steps[i]?.ms as number);
      expect([x.pass, x.fail, x.skip]).toEqual([3, 0, 0]);
      expect(x.p50Ms).toBe([...ms].sort((a, b) => a - b)[1]);
      expect(x.p99Ms).toBe(Math.max(...ms));
    });
    const xml = fs.readFileSync(file, "utf8");
    expect(await schemaErrors(xml)).toEqual([]);
    const all = suites(xml);
    expect(all.map((x) => /name="([^"]*)"/.exec(x.attrs)?.[1])).toEqual([1, 2, 3].map((n) => `simcmd hil sim7080 on virtual run ${n}/3`));
    expect(all.map((x) => x.cases[0]?.classname)).toEqual(["simcmd.hil.sim7080.run1", "simcmd.hil.sim7080.run2", "simcmd.hil.sim7080.run3"]);
  }, 60_000);

  test("--repeat 2 on a failing device, human output: a line per run with the failed step, then the table; exit 1", async () => {
    const m = await bg96();
    const r = await cli(["hil", "--modem", "sara-r4", "--port", m.port, "--repeat", "2"]);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toMatch(/; 16 steps, 2 runs$/);
    expect(lines.filter((l) => l.startsWith("not ok 4 opens a UDP listener"))).toHaveLength(2);
    expect(lines.filter((l) => /^run [12]\/2: \d+ passed, 1 failed, \d+ skipped \(\d+ ms\)$/.test(l))).toHaveLength(2);
    expect(lines).toContain("# 2 runs: 0 passed (0.0 %), 2 failed");
    const row = lines.find((l) => l.startsWith("4 opens a UDP listener"));
    expect(row).toMatch(/\s+0\s+2\s+0\s+-\s+-$/);
    expect(lines.find((l) => l.startsWith("1 init:"))).toMatch(/\s+2\s+0\s+0\s+\d+\s+\d+$/);
  }, 60_000);

  test("percentiles by nearest rank", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile(Array.from({ length: 200 }, (_, i) => i + 1), 99)).toBe(198);
  });

  test("usage: --repeat must be a positive integer, --junit needs a name", async () => {
    for (const argv of [["--repeat", "0"], ["--repeat", "x"], ["--junit", ""]]) {
      const r = await cli(["hil", "--modem", "bg96", "--virtual", ...argv]);
      expect(r.code).toBe(2);
    }
  });
});
