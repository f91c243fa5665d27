/**
 * Runs the scenario (scenario.ts) against a target (targets.ts): opens the serial port, runs the
 * steps in order, each within a time limit, and always cleans up — the driver's timers, the serial
 * port, and the target (virtual modem, mock cloud). Resolves to a typed report.
 */
import { AssertionError } from "node:assert/strict";
import type { ModemError, ModemFamily } from "../../firmware/modems/index.js";
import { ModemCallError } from "./driver-calls.js";
import { NodeSerial } from "../device-host/node-serial.js";
import { scenario, type Step, type StepId } from "./scenario.js";
import { createSession, type DriverTimings, type ScenarioContext } from "./session.js";
import type { HilTarget } from "./targets.js";

/** Longest a step may take when not told: 30000 ms. */
export const DEFAULT_STEP_TIMEOUT_MS = 30000;

/** Why a step failed. */
export interface StepFailure {
  /**
   * What failed: "driver" (a driver call reported a ModemError, in `modem`), "assertion" (the step's check),
   * "timeout" (the step took longer than the step timeout), "error" (anything else thrown).
   */
  kind: "driver" | "assertion" | "timeout" | "error";
  /** One line for people (assertion messages may add a diff on further lines). */
  message: string;
  /** The driver's typed error, when a driver call failed (firmware/modems ModemError). */
  modem?: ModemError;
  /** The step's serial traffic, `> ` written and `< ` read, one line each (NodeSerial.transcript). */
  transcript?: string;
}

interface StepBase {
  id: StepId;
  name: string;
  /** Time spent in the step, ms (0 when skipped). */
  ms: number;
}

export type StepResult =
  | (StepBase & { status: "pass" })
  | (StepBase & { status: "fail"; error: StepFailure })
  | (StepBase & { status: "skip"; reason: string });

export interface HilReport {
  family: ModemFamily;
  /** When the run started (ISO 8601) and how long it took, ms. */
  startedAt: string;
  ms: number;
  /** "virtual", or the serial port the run used. */
  target: "virtual" | string;
  steps: StepResult[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunOptions {
  /** Longest a step may take, ms; a slower step fails with a timeout. Default 30000. */
  stepTimeoutMs?: number;
  /** Driver timings (session.ts DEFAULT_TIMINGS). */
  timings?: DriverTimings;
  /** Called as each step ends, with its 1-based number (for streamed output). */
  onStep?: (result: StepResult, index: number) => void;
}

/** The serial port could not be opened: nothing ran. */
export class PortOpenError extends Error {
  constructor(
    readonly port: string,
    cause: unknown,
  ) {
    super(`cannot open serial port ${port}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "PortOpenError";
  }
}

/** Skip reason of a step that needs the mock network on a target without one. */
export const NEEDS_NETWORK = "needs the mock network (virtual modem only)";

class StepTimeoutError extends Error {}

function failure(e: unknown): StepFailure {
  if (e instanceof ModemCallError) return { kind: "driver", message: e.message, modem: e.modem };
  if (e instanceof StepTimeoutError) return { kind: "timeout", message: e.message };
  if (e instanceof AssertionError) return { kind: "assertion", message: e.message };
  return { kind: "error", message: e instanceof Error ? e.message : String(e) };
}

async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(`step timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why `step` cannot run after what `done` holds, or null when it can. */
function blocked(step: Step, ctx: ScenarioContext, done: ReadonlyMap<StepId, StepResult>): string | null {
  if (step.needsNetwork && ctx.network === null) return NEEDS_NETWORK;
  for (const id of step.needs) {
    const r = done.get(id);
    if (r === undefined) return `after a step that did not run: ${id}`;
    if (r.status === "fail") return `after a failed step: ${r.name}`;
    if (r.status === "skip") return r.reason;
  }
  return null;
}

/**
 * Runs one step unless a step it needs did not pass (or it needs the network and there is none);
 * records the result in `done` and returns it. Never rejects.
 */
export async function runStep(step: Step, ctx: ScenarioContext, done: Map<StepId, StepResult>, stepTimeoutMs = DEFAULT_STEP_TIMEOUT_MS): Promise<StepResult> {
  const base = { id: step.id, name: step.name };
  const reason = blocked(step, ctx, done);
  let r: StepResult;
  if (reason !== null) r = { ...base, status: "skip", ms: 0, reason };
  else {
    const t0 = performance.now();
    ctx.serial.startTranscript();
    try {
      await within(step.run(ctx), stepTimeoutMs);
      r = { ...base, status: "pass", ms: Math.round(performance.now() - t0) };
    } catch (e) {
      r = { ...base, status: "fail", ms: Math.round(performance.now() - t0), error: { ...failure(e), transcript: ctx.serial.transcript() } };
    }
  }
  done.set(step.id, r);
  return r;
}

/**
 * Runs the scenario of `family` on `target`, then closes everything, the target included (also when
 * the port cannot be opened: that rejects with a PortOpenError).
 */
export async function runScenario(family: ModemFamily, target: HilTarget, options: RunOptions = {}): Promise<HilReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  let serial: NodeSerial;
  try {
    serial = await NodeSerial.open(target.port, target.baudRate);
  } catch (e) {
    await target.close();
    throw new PortOpenError(target.port, e);
  }
  const ctx = createSession(family, serial, target.network, options.timings);
  const done = new Map<StepId, StepResult>();
  const steps: StepResult[] = [];
  try {
    for (const step of scenario(family)) {
      const r = await runStep(step, ctx, done, options.stepTimeoutMs);
      steps.push(r);
      options.onStep?.(r, steps.length);
    }
  } finally {
    ctx.clock.clearAll();
    await serial.close();
    await target.close();
  }
  const count = (s: StepResult["status"]): number => steps.filter((r) => r.status === s).length;
  return {
    family, startedAt: startedAt.toISOString(), ms: Math.round(performance.now() - t0), target: target.label, steps,
    passed: count("pass"), failed: count("fail"), skipped: count("skip"),
  };
}
