/**
 * The AT-command engine and URC router (docs/at-engine.md). Portable device code: no
 * dependencies, ES5-safe, serial and clock injected (firmware/hal). The promise wrapper for
 * hosts is a separate import (./promise.js) so device bundles do not carry it.
 */
export { AtEngine } from "./engine.js";
export type { AtCallback } from "./command.js";
export {
  CTRL_Z,
  DEFAULT_DATA_TIMEOUT,
  DEFAULT_MAX_DATA,
  DEFAULT_MAX_LINE,
  DEFAULT_TIMEOUT,
  ESC,
  PROMPT,
  type AtEngineOptions,
  type DataSpec,
  type SendOptions,
} from "./options.js";
export { parseFinal, splitParams, parseDecimal, type AtResult, type AtResultKind, type FinalCode } from "./results.js";
export { type DataLength, type UrcHandler, type UrcOptions } from "./urc-router.js";
export { type AtError, type AtErrorKind } from "./errors.js";
export { LineSplitter, type SplitterSink } from "./line-splitter.js";
export type { SerialPort } from "../hal/serial.js";
export type { Clock } from "../hal/clock.js";
