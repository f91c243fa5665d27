/**
 * `simcmd hil --repeat N` (soak runs on a rig): what N reports of the same scenario add up to — the pass rate
 * (runs without a failed step) and, per step, how often it passed, failed and was skipped, and the 50th and
 * 99th percentile of its time over the runs it passed (nearest rank).
 */
import type { HilReport, StepResult } from "./runner.js";

export interface StepStats {
  id: StepResult["id"];
  name: string;
  pass: number;
  fail: number;
  skip: number;
  /** ms over the passing runs; null when it never passed. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface RepeatSummary {
  runs: number;
  /** Runs in which no step failed. */
  passed: number;
  failed: number;
  /** passed / runs, 0 to 1. */
  passRate: number;
  steps: StepStats[];
}

/** The p-th percentile of `values` by nearest rank (the smallest value with at least p % at or below it). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function summarize(reports: HilReport[]): RepeatSummary {
  const passed = reports.filter((r) => r.failed === 0).length;
  const steps: StepStats[] = (reports[0]?.steps ?? []).map((first, i) => {
    const results = reports.map((r) => r.steps[i]).filter((s): s is StepResult => s !== undefined);
    const ms = results.filter((s) => s.status === "pass").map((s) => s.ms);
    return {
      id: first.id,
      name: first.name,
      pass: ms.length,
      fail: results.filter((s) => s.status === "fail").length,
      skip: results.filter((s) => s.status === "skip").length,
      p50Ms: percentile(ms, 50),
      p99Ms: percentile(ms, 99),
    };
  });
  return { runs: reports.length, passed, failed: reports.length - passed, passRate: reports.length === 0 ? 0 : passed / reports.length, steps };
}

/** The summary as a table, one row per step. */
export function summaryTable(s: RepeatSummary): string {
  const pct = (s.passRate * 100).toFixed(1);
  const head = `# ${s.runs} runs: ${s.passed} passed (${pct} %), ${s.failed} failed\n`;
  const w = Math.max(4, ...s.steps.map((x, i) => `${i + 1} ${x.name}`.length));
  const ms = (v: number | null): string => (v === null ? "-" : String(v)).padStart(7);
  const rows = s.steps.map(
    (x, i) => `${`${i + 1} ${x.name}`.padEnd(w)}  ${String(x.pass).padStart(4)}  ${String(x.fail).padStart(4)}  ${String(x.skip).padStart(4)}  ${ms(x.p50Ms)}  ${ms(x.p99Ms)}\n`,
  );
  return head + `${"step".padEnd(w)}  pass  fail  skip   p50 ms   p99 ms\n` + rows.join("");
}
