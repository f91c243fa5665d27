/**
 * Shared plumbing of the drivers: AtResult → ModemError, "send and continue on OK", resolved
 * options with their defaults, and small parsers. No driver logic here.
 */
import type { AtEngine, AtResult, SendOptions } from "../at/index.js";
import { parseDecimal, splitParams } from "../at/index.js";
import { DEFAULT_MO_HOST } from "../core/limits.js";
import { utf16Text } from "../core/text.js";
import type { TextCodec } from "../core/text.js";
import type { Failure, ModemError, ModemErrorKind, ModemOptions, PowerHooks } from "./capabilities.js";

export const DEFAULT_APN = "super";
export const DEFAULT_REGISTRATION_TIMEOUT = 180000;
export const DEFAULT_POLL_INTERVAL = 1000;
export const DEFAULT_BOOT_TIMEOUT = 15000;
export const DEFAULT_SMS_TIMEOUT = 60000;
export const DEFAULT_DATA_TIMEOUT = 150000;
export const DEFAULT_REASSEMBLY_TIMEOUT = 120000;

/** ModemOptions with every default applied. */
export interface Settings {
  apn: string;
  contextId: number;
  remoteHost: string;
  registrationTimeout: number;
  pollInterval: number;
  bootTimeout: number;
  smsTimeout: number;
  dataTimeout: number;
  smsStorage: string;
  reassemblyTimeout: number;
  text: TextCodec;
  power: PowerHooks;
  onError: (e: ModemError) => void;
}

function num(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || v !== v || v < 0) throw new TypeError('"' + name + '" must be a number >= 0');
  return v;
}

export function settings(o: ModemOptions | null | undefined): Settings {
  const x: ModemOptions = o === null || o === undefined ? {} : o;
  return {
    apn: x.apn !== undefined ? x.apn : DEFAULT_APN,
    contextId: num(x.contextId, "contextId", 1),
    remoteHost: x.remoteHost !== undefined ? x.remoteHost : DEFAULT_MO_HOST,
    registrationTimeout: num(x.registrationTimeout, "registrationTimeout", DEFAULT_REGISTRATION_TIMEOUT),
    pollInterval: num(x.pollInterval, "pollInterval", DEFAULT_POLL_INTERVAL),
    bootTimeout: num(x.bootTimeout, "bootTimeout", DEFAULT_BOOT_TIMEOUT),
    smsTimeout: num(x.smsTimeout, "smsTimeout", DEFAULT_SMS_TIMEOUT),
    dataTimeout: num(x.dataTimeout, "dataTimeout", DEFAULT_DATA_TIMEOUT),
    smsStorage: x.smsStorage !== undefined ? x.smsStorage : "SM",
    reassemblyTimeout: num(x.reassemblyTimeout, "reassemblyTimeout", DEFAULT_REASSEMBLY_TIMEOUT),
    text: x.text !== undefined ? x.text : utf16Text,
    power: x.power !== undefined ? x.power : {},
    onError:
      x.onError !== undefined
        ? x.onError
        : (_e: ModemError): void => {
            // dropped: no handler given
          },
  };
}

export function modemError(kind: ModemErrorKind, command: string, code: number, message: string): ModemError {
  return { kind: kind, command: command, code: code, message: message };
}

export function fail(kind: ModemErrorKind, command: string, code: number, message: string): Failure {
  return { ok: false, error: modemError(kind, command, code, message) };
}

/** The failure a non-OK result stands for. */
export function failureOf(command: string, r: AtResult): Failure {
  switch (r.kind) {
    case "ok":
      return fail("protocol", command, -1, "OK without the expected answer");
    case "error":
      return fail("at", command, -1, "ERROR");
    case "cme-error":
    case "cms-error":
      return fail("at", command, r.code, (r.kind === "cme-error" ? "+CME ERROR: " : "+CMS ERROR: ") + r.message);
    case "timeout":
      return fail("timeout", command, -1, "no final result code in time");
    case "no-carrier":
    case "busy":
    case "no-answer":
    case "no-dialtone":
      return fail("at", command, -1, r.kind);
    default:
      return unreachable(r);
  }
}

function unreachable(r: never): Failure {
  return fail("protocol", "", -1, "unknown result " + String(r));
}

/** Sends `command`; calls `next` with the result on OK, `done` with the failure otherwise. */
export function step(engine: AtEngine, command: string, options: SendOptions | null, done: (f: Failure) => void, next: (r: AtResult) => void): void {
  engine.send(command, options, (r: AtResult): void => {
    if (r.kind === "ok") next(r);
    else done(failureOf(command, r));
  });
}

/** The parameters of the first line of `lines` that starts with `prefix`, or null. */
export function paramsOf(lines: string[], prefix: string): string[] | null {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.length >= prefix.length && l.substring(0, prefix.length) === prefix) return splitParams(l);
  }
  return null;
}

/** A decimal parameter, or -1. */
export function intAt(params: string[], i: number): number {
  const v = params[i];
  return v === undefined ? -1 : parseDecimal(v);
}

/** A quoted AT string argument (27.007 §4.1: no quotes inside). */
export function quoted(s: string): string {
  return '"' + s + '"';
}

/** A value line: the text after "<prefix> " when it has one, without quotes (AT+CCID / +QCCID / bare). */
export function valueOf(line: string): string {
  let s = line;
  if (s.length > 0 && s.charCodeAt(0) === 43) {
    const c = s.indexOf(":");
    if (c >= 0) s = s.substring(c + 1);
  }
  const p = splitParams(s);
  return p.length > 0 ? (p[0] as string) : "";
}

/** Latin-1 bytes of an ASCII command string. */
export function asciiBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 255);
  return out;
}
