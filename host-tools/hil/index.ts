/**
 * Hardware-in-the-loop (`simcmd hil`, docs/hil.md): the modem-driver scenario, shared with the jest
 * contract suite (test/contract), run against a serial port or a virtual modem.
 */
export { scenario, type Step, type StepId } from "./scenario.js";
export { runScenario, runStep, PortOpenError, DEFAULT_STEP_TIMEOUT_MS, NEEDS_NETWORK, type HilReport, type RunOptions, type StepFailure, type StepResult } from "./runner.js";
export { serialTarget, startVirtualTarget, type HilTarget, type VirtualTargetOptions } from "./targets.js";
export { createSession, DEFAULT_TIMINGS, type CloudClient, type DriverTimings, type MockNetwork, type ScenarioContext } from "./session.js";
export { NodeSerial, DEFAULT_BAUD_RATE } from "../device-host/node-serial.js";
export { NodeClock } from "../clock/node-clock.js";
export { call, callOutcome, Inbox, ModemCallError, DEFAULT_INBOX_WAIT_MS } from "./driver-calls.js";
