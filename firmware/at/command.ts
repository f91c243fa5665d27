/**
 * One queued command (its options resolved to defaults) and its state while in flight.
 */
import { CTRL_Z, ESC, PROMPT, option, type DataSpec, type SendOptions } from "./options.js";
import type { AtResult } from "./results.js";

export type AtCallback = (result: AtResult) => void;

export interface Command {
  text: string;
  cb: AtCallback;
  timeout: number;
  prefix: string;
  payload: number[] | null;
  terminator: number;
  prompt: number;
  data: DataSpec | null;
  okLines: string[];
  errorLines: string[];
}

export interface Flight {
  cmd: Command;
  lines: string[];
  data: number[][];
  /** Lines that are echo when E1 is on (V.250 §6.2.4): the command line, then the payload. */
  echoes: string[];
  awaitingPrompt: boolean;
  cancelled: boolean;
  timer: number;
}

/** Resolves `options` against the defaults (options.ts); a TypeError names a bad timeout. */
export function makeCommand(text: string, options: SendOptions | null | undefined, cb: AtCallback, timeout: number): Command {
  const o: SendOptions = options === null || options === undefined ? {} : options;
  return {
    text: text,
    cb: cb,
    timeout: option(o.timeout, "timeout", timeout),
    prefix: o.prefix !== undefined ? o.prefix : "",
    payload: o.payload !== undefined ? o.payload : null,
    terminator: o.terminator !== undefined ? o.terminator : -1,
    prompt: o.prompt !== undefined ? o.prompt : PROMPT,
    data: o.data !== undefined ? o.data : null,
    okLines: o.okLines !== undefined ? o.okLines : [],
    errorLines: o.errorLines !== undefined ? o.errorLines : [],
  };
}

/** A new in-flight state for `cmd`: its echo is expected, its prompt too when it has a payload. */
export function takeOff(cmd: Command): Flight {
  return { cmd: cmd, lines: [], data: [], echoes: [cmd.text], awaitingPrompt: cmd.payload !== null, cancelled: false, timer: 0 };
}

export function startsWith(line: string, prefix: string): boolean {
  return line.length >= prefix.length && line.substring(0, prefix.length) === prefix;
}

export function contains(list: string[], s: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === s) return true;
  return false;
}

/** Which expected echo `line` is (a payload echo may end in its Ctrl-Z or ESC), or -1. */
export function echoIndex(echoes: string[], line: string): number {
  const last = line.charCodeAt(line.length - 1);
  const bare = last === CTRL_Z || last === ESC ? line.substring(0, line.length - 1) : line;
  for (let i = 0; i < echoes.length; i++) if (echoes[i] === line || echoes[i] === bare) return i;
  return -1;
}

