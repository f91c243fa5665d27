/**
 * The modem agent's settings as a flat record of names and values, the shape of a Moddable
 * manifest's `config` (mc/config) and of the xs-host `init` request: read, checked and turned into
 * a started ModemAgent. One reader for both, so what `simcmd device --runtime xs --modem …` runs in
 * xsnap is what the Moddable modem firmware runs on the board, HAL apart.
 *
 * Numbers may arrive as decimal strings: `mcconfig … key=value` on the command line overrides a
 * manifest's config with strings. Device code: portable, never throws.
 *
 *   modem                bg96 | sim7080 | sara-r4 (required)
 *   devicePort           UDP port IP Commands arrive on (1…65535, default 6969)
 *   moHost, moPort       where IP replies go (default 100.64.0.1 : devicePort)
 *   apn                  the PDP context's APN (default "super")
 *   version              what `info` reports (default "0.1.0")
 *   maxIds               executed ids remembered (1…64, default the agent's 16)
 *   atTimeout            per-command AT timeout, ms
 *   pollInterval, registrationTimeout, dataTimeout, smsTimeout, bootTimeout   driver timings, ms
 *   retryMin, retryMax   first and longest wait between bring-up attempts, ms
 */
import { ModemAgent, type ModemTuning } from "../../agent/modem-agent.js";
import type { Transport } from "../../agent/agent.js";
import { DEFAULT_DEVICE_PORT, MODEM_FAMILIES, type ModemFamily } from "../../core/limits.js";
import type { TextCodec } from "../../core/text.js";
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";
import type { KeyValueStore } from "../../hal/storage.js";
import { modemDriver, type PowerHooks } from "../../modems/index.js";

export type Config = { [key: string]: unknown };

export interface ModemSettings {
  family: ModemFamily;
  devicePort: number;
  moHost: string | undefined;
  moPort: number | undefined;
  apn: string | undefined;
  version: string;
  maxIds: number | undefined;
  atTimeout: number | undefined;
  tuning: ModemTuning;
  retryMin: number | undefined;
  retryMax: number | undefined;
}

export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

/** The longest wait any timing setting may name: one day, in ms. */
const MAX_MS = 86400000;

/**
 * The whole number `c[key]` (a number, or a decimal string), `undefined` when absent or "", or a
 * message when it is something else or outside min…max.
 */
export function intSetting(c: Config, key: string, min: number, max: number): Read<number | undefined> {
  const v = c[key];
  if (v === undefined || v === null || v === "") return { ok: true, value: undefined };
  let n = NaN;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && v.length <= 12) {
    let digits = true;
    for (let i = v.charAt(0) === "-" ? 1 : 0; i < v.length; i++) {
      const ch = v.charCodeAt(i);
      if (ch < 48 || ch > 57) digits = false;
    }
    if (digits && v !== "-") n = parseInt(v, 10);
  }
  if (n !== n || Math.floor(n) !== n || n < min || n > max) {
    return { ok: false, message: key + " must be a whole number from " + min + " to " + max + ", got " + JSON.stringify(v) };
  }
  return { ok: true, value: n };
}

/** The string `c[key]` (1…max characters), `undefined` when absent, or a message. */
export function textSetting(c: Config, key: string, max: number): Read<string | undefined> {
  const v = c[key];
  if (v === undefined || v === null) return { ok: true, value: undefined };
  if (typeof v !== "string" || v.length === 0 || v.length > max) return { ok: false, message: key + " must be text of 1 to " + max + " characters" };
  return { ok: true, value: v };
}

/** Reads the settings above from `c`; the first bad one is the message. */
export function readModemSettings(c: Config): Read<ModemSettings> {
  const family = c["modem"];
  if (typeof family !== "string" || MODEM_FAMILIES.indexOf(family as ModemFamily) < 0) {
    return { ok: false, message: "modem must be bg96, sim7080 or sara-r4, got " + JSON.stringify(family === undefined ? null : family) };
  }
  const ints: { [key: string]: number | undefined } = {};
  const limits: [string, number, number][] = [
    ["devicePort", 1, 65535],
    ["moPort", 1, 65535],
    ["maxIds", 1, 64],
    ["atTimeout", 1, MAX_MS],
    ["pollInterval", 1, MAX_MS],
    ["registrationTimeout", 1, MAX_MS],
    ["dataTimeout", 1, MAX_MS],
    ["smsTimeout", 1, MAX_MS],
    ["bootTimeout", 1, MAX_MS],
    ["retryMin", 1, MAX_MS],
    ["retryMax", 1, MAX_MS],
  ];
  for (let i = 0; i < limits.length; i++) {
    const l = limits[i] as [string, number, number];
    const r = intSetting(c, l[0], l[1], l[2]);
    if (!r.ok) return r;
    ints[l[0]] = r.value;
  }
  const texts: { [key: string]: string | undefined } = {};
  const names = ["moHost", "apn", "version"];
  for (let i = 0; i < names.length; i++) {
    const r = textSetting(c, names[i] as string, 100);
    if (!r.ok) return r;
    texts[names[i] as string] = r.value;
  }
  const devicePort = ints["devicePort"];
  return {
    ok: true,
    value: {
      family: family as ModemFamily,
      devicePort: devicePort !== undefined ? devicePort : DEFAULT_DEVICE_PORT,
      moHost: texts["moHost"],
      moPort: ints["moPort"],
      apn: texts["apn"],
      version: texts["version"] !== undefined ? (texts["version"] as string) : "0.1.0",
      maxIds: ints["maxIds"],
      atTimeout: ints["atTimeout"],
      tuning: {
        pollInterval: ints["pollInterval"],
        registrationTimeout: ints["registrationTimeout"],
        dataTimeout: ints["dataTimeout"],
        smsTimeout: ints["smsTimeout"],
        bootTimeout: ints["bootTimeout"],
      },
      retryMin: ints["retryMin"],
      retryMax: ints["retryMax"],
    },
  };
}

/** What the port supplies: the modem's UART, time, storage, its strings, and optional power hooks. */
export interface ModemHal {
  serial: SerialPort;
  clock: Clock;
  storage: KeyValueStore;
  text: TextCodec;
  power?: PowerHooks;
}

/** Where the agent's news goes (each optional). */
export interface ModemEvents {
  onLog?: (message: string) => void;
  onHandled?: (transport: Transport, executed: boolean) => void;
  onState?: (state: string) => void;
}

/** The agent for `s` on `hal`, started (its bring-up runs), or why it could not be made. */
export function startModemAgent(s: ModemSettings, hal: ModemHal, runtime: string, events: ModemEvents): Read<ModemAgent> {
  let agent: ModemAgent;
  try {
    agent = new ModemAgent({
      serial: hal.serial,
      clock: hal.clock,
      storage: hal.storage,
      text: hal.text,
      power: hal.power,
      family: s.family,
      driver: modemDriver(s.family),
      info: { version: s.version, runtime: runtime, modem: s.family },
      devicePort: s.devicePort,
      moHost: s.moHost,
      moPort: s.moPort,
      apn: s.apn,
      maxIds: s.maxIds,
      atTimeout: s.atTimeout,
      tuning: s.tuning,
      retryMin: s.retryMin,
      retryMax: s.retryMax,
      onLog: events.onLog,
      onHandled: events.onHandled,
      onState: events.onState,
    });
  } catch (e) {
    return { ok: false, message: "cannot start the modem agent: " + String(e) };
  }
  agent.start();
  return { ok: true, value: agent };
}
