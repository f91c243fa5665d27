/**
 * Options of the AT engine and of each command, with their defaults (docs/at-engine.md §Options).
 */
import type { Clock } from "../hal/clock.js";
import type { SerialPort } from "../hal/serial.js";
import type { AtError } from "./errors.js";
import type { DataLength } from "./urc-router.js";

/** Per-command timeout when SendOptions.timeout is absent: 5000 ms. */
export const DEFAULT_TIMEOUT = 5000;
/** Longest line kept: 1024 octets (27.007 responses are far shorter; a PDU line is ≤ 352). */
export const DEFAULT_MAX_LINE = 1024;
/** Largest binary payload read: 4096 octets (BG96 QIRD ≤ 1500, SIM7080 CARECV ≤ 1460). */
export const DEFAULT_MAX_DATA = 4096;
/** Time allowed for a whole binary payload to arrive once its header is seen: 2000 ms. */
export const DEFAULT_DATA_TIMEOUT = 2000;
/** Ends an SMS payload (27.005 §3.5.1 +CMGS: "<ctrl-Z> (IRA 26)"). */
export const CTRL_Z = 0x1a;
/** Cancels a payload at the prompt (27.005 §3.5.1: "<ESC> (IRA 27)"). */
export const ESC = 0x1b;
/** The data prompt ">" (27.005 §3.5.1); u-blox binary sends use "@". */
export const PROMPT = 0x3e;

/** A payload inside the response: lines starting with `prefix` announce `length` octets. */
export interface DataSpec {
  prefix: string;
  length: DataLength;
}

export interface SendOptions {
  /** Milliseconds from writing the command to its final result code. Default DEFAULT_TIMEOUT. */
  timeout?: number;
  /**
   * The information-response prefix, e.g. "+CSQ:". Lines starting with it always belong to the
   * command, even when a URC handler has the same prefix. With a prefix, other lines starting with
   * "+" are not the command's (they go to the URC router or onUnhandled). Default "" (no filter).
   */
  prefix?: string;
  /** Bytes to write when the prompt arrives (AT+CMGS, AT+QISEND, AT+CASEND, AT+USOST…). */
  payload?: number[];
  /** A byte written after the payload: CTRL_Z for SMS; absent for length-counted sends. */
  terminator?: number;
  /** The prompt byte awaited before the payload. Default PROMPT (">"). */
  prompt?: number;
  /** A binary payload in the response (AT+QIRD, AT+CARECV, AT+USORF). Default none. */
  data?: DataSpec;
  /** Extra lines that end the command with kind "ok" (e.g. "SEND OK" of AT+QISEND). */
  okLines?: string[];
  /** Extra lines that end the command with kind "error" (e.g. "SEND FAIL"). */
  errorLines?: string[];
}

export interface AtEngineOptions {
  serial: SerialPort;
  clock: Clock;
  /** Default per-command timeout in ms. Default DEFAULT_TIMEOUT (5000). */
  timeout?: number;
  /** Longest line in octets; longer ones are dropped with a "line-too-long" error. Default 1024. */
  maxLineLength?: number;
  /** Largest binary payload in octets; larger ones are not read ("data-too-long"). Default 4096. */
  maxDataLength?: number;
  /** Milliseconds for a binary payload to complete ("data-timeout"). Default 2000. */
  dataTimeout?: number;
  /** Lines that are neither a command's nor a registered URC's (debug hook). Default: dropped. */
  onUnhandled?: (line: string) => void;
  /** Broken bytes: over-long lines, stalled payloads (errors.ts). Default: ignored. */
  onError?: (e: AtError) => void;
}

/** A positive number option, or `fallback` when absent; a TypeError names a bad one. */
export function option(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || v !== v || v <= 0) throw new TypeError('"' + name + '" must be a positive number');
  return v;
}

