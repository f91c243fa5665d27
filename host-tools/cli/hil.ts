/** `simcmd hil`: the modem-driver scenario against a serial port or a virtual modem (docs/hil.md). */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { MODEM_FAMILIES, type ModemFamily } from "../../firmware/core/limits.js";
import { DEFAULT_BAUD_RATE, DEFAULT_STEP_TIMEOUT_MS, PortOpenError, runScenario, scenario, serialTarget, startVirtualTarget, type HilReport, type HilTarget, type StepResult } from "../hil/index.js";
import { junitXml } from "../hil/junit.js";
import { summarize, summaryTable } from "../hil/repeat.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";

const HELP = `Usage: simcmd hil --modem bg96|sim7080|sara-r4 (--port PATH [--baud N] | --virtual) [options]

Runs the modem-driver scenario (the one test/contract runs) through the firmware driver of that family:
init, registration, PDP context, UDP sockets, SMS in PDU mode, reset. With --port it talks to a modem or
device on that serial port, where the steps that need the mock network (IP Commands to the device, SMS
through the cloud, from_sim checks) are reported as skipped; with --virtual it starts a mock cloud and
the virtual modem of that family on a new pseudo-terminal and runs every step. docs/hil.md lists the steps.

Options:
  --modem M              bg96 (Quectel BG96/BG95) | sim7080 (SIMCom SIM7080G) | sara-r4 (u-blox SARA-R410M/R5); required
  --port PATH            serial port of the modem, e.g. /dev/ttyUSB0 (give --port or --virtual, not both)
  --baud N               bits per second on --port (default ${DEFAULT_BAUD_RATE})
  --virtual              a virtual modem on a new pty, attached to a mock cloud started for the run
  --step-timeout MS      longest a step may take, in milliseconds (default ${DEFAULT_STEP_TIMEOUT_MS})
  --json                 print one JSON report {family, target, startedAt, ms, steps, passed, failed, skipped}
                         at the end (default: one line per step as it ends); with --repeat, one summary
                         {runs, passed, failed, passRate, steps: [{id, name, pass, fail, skip, p50Ms, p99Ms}], reports}
  --junit FILE           also write JUnit XML to FILE (Jenkins, GitLab): one testcase per step, skipped
                         steps with their reason, failures with the typed error and the step's AT transcript
  --repeat N             run the scenario N times (soak; default 1): a line per run, then the pass rate
                         and p50/p99 time per step; a fresh virtual modem per run with --virtual
  -h, --help             this help

Exit status: 0 when no step failed (in any run), 1 when a step failed, the port cannot be opened or FILE
cannot be written, 2 for usage errors.
`;


/** One human line per step: `ok 1 …`, `not ok 5 … — reason`, `skip 7 … — reason`. */
export function stepLine(r: StepResult, index: number): string {
  switch (r.status) {
    case "pass":
      return `ok ${index} ${r.name} (${r.ms} ms)\n`;
    case "fail": {
      const [first, ...more] = r.error.message.split("\n");
      return `not ok ${index} ${r.name} — ${first}${more.map((l) => `\n    ${l}`).join("")}\n`;
    }
    case "skip":
      return `skip ${index} ${r.name} — ${r.reason}\n`;
    default: {
      const never: never = r;
      throw new Error(`unknown step status ${JSON.stringify(never)}`);
    }
  }
}

function summary(r: HilReport): string {
  return `# ${r.family} on ${r.target}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`;
}

/** Runs the command; resolves to the exit code. */
export async function runHil(argv: string[], io: CliIo): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      modem: { type: "string" },
      port: { type: "string" },
      baud: { type: "string" },
      virtual: { type: "boolean", default: false },
      "step-timeout": { type: "string" },
      json: { type: "boolean", default: false },
      junit: { type: "string" },
      repeat: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const family = v.modem as ModemFamily | undefined;
  if (family === undefined || !MODEM_FAMILIES.includes(family)) throw new UsageError(`--modem must be one of ${MODEM_FAMILIES.join(", ")}${v.modem === undefined ? "" : `, got '${v.modem}'`}`);
  if (v.port !== undefined && v.virtual) throw new UsageError("give --port PATH or --virtual, not both");
  if (v.port === undefined && !v.virtual) throw new UsageError("--port PATH or --virtual is required");
  if (v.port === "") throw new UsageError("--port needs a path, e.g. /dev/ttyUSB0");
  if (v.virtual && v.baud !== undefined) throw new UsageError("--baud goes with --port");
  const baud = intFlag("baud", v.baud, 50, 4000000) ?? DEFAULT_BAUD_RATE;
  const stepTimeoutMs = intFlag("step-timeout", v["step-timeout"], 1, 3600000) ?? DEFAULT_STEP_TIMEOUT_MS;
  const repeat = intFlag("repeat", v.repeat, 1, 100000) ?? 1;
  if (v.junit === "") throw new UsageError("--junit needs a file name, e.g. hil.xml");

  const newTarget = async (): Promise<HilTarget | null> => {
    if (v.port !== undefined) return serialTarget(v.port, baud);
    try {
      return await startVirtualTarget(family);
    } catch (e) {
      io.err(`simcmd hil: cannot start the virtual ${family}: ${(e as Error).message}\n`);
      return null;
    }
  };
  const reports: HilReport[] = [];
  for (let run = 1; run <= repeat; run++) {
    const target = await newTarget();
    if (target === null) return 1;
    if (!v.json && run === 1) {
      const where = target.network === null ? `${target.port} (no mock network: steps that need it are skipped)` : `a virtual modem on ${target.port} with a mock cloud`;
      io.out(`# simcmd hil: ${family} on ${where}; ${scenario(family).length} steps${repeat > 1 ? `, ${repeat} runs` : ""}\n`);
    }
    // One run: a line per step. Several: a line per run (the progress), with the lines of failed steps.
    const onStep = v.json ? undefined : repeat === 1 ? (r: StepResult, i: number) => io.out(stepLine(r, i)) : (r: StepResult, i: number) => (r.status === "fail" ? io.out(stepLine(r, i)) : undefined);
    let report: HilReport;
    try {
      report = await runScenario(family, target, { stepTimeoutMs, onStep });
    } catch (e) {
      if (e instanceof PortOpenError) {
        io.err(`simcmd hil: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    reports.push(report);
    if (!v.json && repeat > 1) io.out(`run ${run}/${repeat}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${report.ms} ms)\n`);
  }
  if (v.junit !== undefined) {
    try {
      fs.writeFileSync(v.junit, junitXml(reports));
    } catch (e) {
      io.err(`simcmd hil: cannot write --junit ${v.junit}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const last = reports[reports.length - 1] as HilReport;
  if (repeat === 1) io.out(v.json ? JSON.stringify(last) + "\n" : summary(last));
  else {
    const s = summarize(reports);
    io.out(v.json ? JSON.stringify({ ...s, reports }) + "\n" : summaryTable(s));
  }
  return reports.every((r) => r.failed === 0) ? 0 : 1;
}
