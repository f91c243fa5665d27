/**
 * The modem-driver contract (firmware/modems), run per family: one jest test per step of the shared
 * scenario (host-tools/hil/scenario.ts, also run by `simcmd hil`). The driver talks through the AT
 * engine and the Node `serialport` package to a real tty.
 *
 *   target   the virtual modem (host-tools/virtual-modem) on a fresh /dev/pts/N, attached to a started mock
 *            cloud with one active Super SIM — or real hardware (HIL, below)
 *   steps    run in order by the hil runner's runStep: a step whose prerequisite failed fails too,
 *            with "not run: after a failed step: …"
 *
 * HIL: SIMCMD_HIL_PORT=/dev/ttyUSB0 SIMCMD_HIL_MODEM=bg96 runs the suite of that family on the
 * hardware instead (SIMCMD_HIL_BAUD sets the baud rate, default 115200). Steps that need the mock
 * network are then not run, and one test named "HIL: steps needing the mock network are not run on
 * hardware: …" lists them; nothing is dropped silently.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { ModemFamily } from "../../firmware/modems/index.js";
import {
  DEFAULT_BAUD_RATE,
  DEFAULT_STEP_TIMEOUT_MS,
  NodeSerial,
  createSession,
  runStep,
  scenario,
  serialTarget,
  startVirtualTarget,
  type HilTarget,
  type ScenarioContext,
  type StepId,
  type StepResult,
} from "../../host-tools/hil/index.js";

export type BuildTarget = (family: ModemFamily) => Promise<HilTarget>;

/** The virtual modem of `family` on a pty, attached to a fresh mock cloud with one active Super SIM. */
export const virtualModem: BuildTarget = (family) => startVirtualTarget(family);

/** Real hardware on SIMCMD_HIL_PORT. */
export const hardware: BuildTarget = async () => serialTarget(process.env.SIMCMD_HIL_PORT as string, Number(process.env.SIMCMD_HIL_BAUD ?? DEFAULT_BAUD_RATE));

/**
 * The suite for `family`. `build` makes the target (virtualModem in the run files); with
 * SIMCMD_HIL_MODEM equal to `family`, `hardware` replaces it.
 */
export function modemContract(family: ModemFamily, build: BuildTarget): void {
  const hil = process.env.SIMCMD_HIL_PORT !== undefined && process.env.SIMCMD_HIL_MODEM === family;
  const where = hil ? `hardware on ${process.env.SIMCMD_HIL_PORT}` : "the virtual modem";
  const steps = scenario(family);
  /** Steps that need the mock network, not run on hardware; a test at the end names them. */
  const notOnHardware = hil ? steps.filter((s) => s.needsNetwork).map((s) => s.name) : [];

  describe(`modem contract: ${family} on ${where}`, () => {
    let target: HilTarget | undefined;
    let serial: NodeSerial | undefined;
    let ctx: ScenarioContext;
    const done = new Map<StepId, StepResult>();

    beforeAll(async () => {
      target = await (hil ? hardware : build)(family);
      serial = await NodeSerial.open(target.port, target.baudRate);
      ctx = createSession(family, serial, target.network);
    });

    afterAll(async () => {
      ctx?.clock.clearAll();
      await serial?.close();
      await target?.close();
    });

    for (const step of steps) {
      if (hil && step.needsNetwork) continue;
      test(
        step.name,
        async () => {
          const r = await runStep(step, ctx, done, DEFAULT_STEP_TIMEOUT_MS);
          if (r.status === "fail") throw new Error(r.error.message);
          if (r.status === "skip") throw new Error(`not run: ${r.reason}`);
        },
        DEFAULT_STEP_TIMEOUT_MS + 1000,
      );
    }

    if (hil) {
      test(`HIL: steps needing the mock network are not run on hardware: ${notOnHardware.join("; ")}`, () => {
        expect(notOnHardware.length).toBeGreaterThan(0);
      });
    }
  });
}
