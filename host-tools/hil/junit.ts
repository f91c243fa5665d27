/**
 * JUnit XML for CI servers (Jenkins, GitLab) from `simcmd hil` reports: the common `testsuites` / `testsuite` /
 * `testcase` form. One testsuite per run, one testcase per step (in the scenario's order); a skipped step has
 * `<skipped message="reason"/>`, a failed one `<failure type message>` with the typed error as its text and
 * the step's AT transcript as its `<system-out>`. Times are seconds. XML by xmlbuilder2 (escaping, and
 * characters XML 1.0 cannot hold written as \xNN).
 */
import { hostname } from "node:os";
import { create } from "xmlbuilder2";
import type { HilReport, StepFailure } from "./runner.js";

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** The failure's `type`: `driver:<ModemError kind>` for a driver error, else its kind. */
function failureType(f: StepFailure): string {
  return f.modem === undefined ? f.kind : `driver:${f.modem.kind}`;
}

function failureText(f: StepFailure): string {
  return f.modem === undefined ? f.message : `${f.message}\nModemError ${JSON.stringify(f.modem)}`;
}

/** The JUnit XML of one or more runs (a `--repeat` run gives one testsuite each). */
export function junitXml(reports: HilReport[], host = hostname()): string {
  const total = (k: "passed" | "failed" | "skipped"): number => reports.reduce((a, r) => a + r[k], 0);
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` });
  const suites = doc.ele("testsuites", {
    name: "simcmd hil",
    tests: String(reports.reduce((a, r) => a + r.steps.length, 0)),
    failures: String(total("failed")),
    errors: "0",
    time: seconds(reports.reduce((a, r) => a + r.ms, 0)),
  });
  reports.forEach((r, i) => {
    const run = reports.length > 1 ? ` run ${i + 1}/${reports.length}` : "";
    const suite = suites.ele("testsuite", {
      name: `simcmd hil ${r.family} on ${r.target}${run}`,
      tests: String(r.steps.length),
      failures: String(r.failed),
      errors: "0",
      skipped: String(r.skipped),
      time: seconds(r.ms),
      timestamp: r.startedAt.replace(/\.\d+Z$/, ""),
      hostname: host,
    });
    const props = suite.ele("properties");
    props.ele("property", { name: "family", value: r.family });
    props.ele("property", { name: "target", value: r.target });
    if (reports.length > 1) props.ele("property", { name: "run", value: String(i + 1) });
    const classname = `simcmd.hil.${r.family}${reports.length > 1 ? `.run${i + 1}` : ""}`;
    r.steps.forEach((s, n) => {
      const tc = suite.ele("testcase", { classname, name: `${String(n + 1).padStart(2, "0")} ${s.id}: ${s.name}`, time: seconds(s.ms) });
      if (s.status === "skip") tc.ele("skipped", { message: s.reason });
      else if (s.status === "fail") {
        tc.ele("failure", { type: failureType(s.error), message: s.error.message.split("\n")[0] as string }).txt(failureText(s.error));
        if (s.error.transcript !== undefined && s.error.transcript !== "") tc.ele("system-out").txt(s.error.transcript);
      }
    });
  });
  return doc.end({ prettyPrint: true }) + "\n";
}
