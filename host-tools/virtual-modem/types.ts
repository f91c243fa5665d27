/** Shapes shared by the virtual modem's core, its command sets and its dialects. */
import { MODEM_FAMILIES, type ModemFamily } from "../../firmware/core/limits.js";
import type { AtCommand } from "./at-parser.js";
import type { VirtualModem } from "./virtual-modem.js";

/** A dialect is the AT command set of one modem family the drivers know: the one family list. */
export type DialectName = ModemFamily;
export const DIALECTS: readonly DialectName[] = MODEM_FAMILIES;

/** One line of information text, or raw bytes framed like a line (socket payloads). */
export type Line = string | Buffer;
/** An unsolicited result code: one line, or a header line followed by more (e.g. +CMT / +CDS / +QIURC push data). */
export type Urc = string | Line[];

/**
 * The final result code of a command line (V.250 §5.7.1, 27.007 §9.2 +CME ERROR, 27.005 §3.2.5 +CMS ERROR),
 * or a dialect's own final text ("SEND OK", "SEND FAIL").
 */
export type Final = "OK" | "ERROR" | { cme: number } | { cms: number } | { text: string };

/** A data prompt: the modem prints `text`, then takes bytes until Ctrl-Z (ESC cancels) or a stated length. */
export interface Prompt {
  text: string;
  until: "ctrl-z" | number;
  /** Receives the data, or null when ESC cancelled it. */
  then(data: Buffer | null): Reply | Promise<Reply>;
}

export interface Reply {
  lines?: Line[];
  final: Final;
  /** URCs sent right after the final result code (e.g. +QIOPEN: 0,0 after OK). */
  after?: Urc[];
  /** Ask for data; `final` is then ignored. */
  prompt?: Prompt;
}

export type Handler = (cmd: AtCommand, modem: VirtualModem) => Reply | Promise<Reply>;
export type CommandTable = Record<string, Handler>;

export interface Dialect {
  name: DialectName;
  manufacturer: string;
  model: string;
  revision: string;
  /** Printed after a reset (AT+CFUN=1,1). */
  bootUrcs: string[];
  /** AT+CNMI defaults <mode>,<mt>,<bm>,<ds>,<bfr>. */
  cnmiDefault: [number, number, number, number, number];
  commands: CommandTable;
  /** Called on reset and close: drop the dialect's socket state. */
  reset(): void;
}

export const ok = (...lines: Line[]): Reply => ({ lines, final: "OK" });
export const error = (): Reply => ({ final: "ERROR" });
export const cme = (code: number): Reply => ({ final: { cme: code } });
export const cms = (code: number): Reply => ({ final: { cms: code } });

/** 27.007 §9.2.1 error texts used by the modem (verbose mode AT+CMEE=2). */
export const CME_TEXT: Record<number, string> = {
  0: "phone failure",
  3: "operation not allowed",
  4: "operation not supported",
  10: "SIM not inserted",
  21: "invalid index",
  30: "no network service",
  50: "incorrect parameters",
  100: "unknown",
};

/** 27.005 §3.2.5 <err> values the modem reports. */
export const CMS = {
  invalidPduParameter: 304,
  operationNotAllowed: 302,
  operationNotSupported: 303,
  invalidTextParameter: 305,
  invalidMemoryIndex: 321,
  memoryFull: 322,
  noNetworkService: 331,
  unknown: 500,
} as const;
