/**
 * The device agent behind a cellular modem on Espruino, shared by the per-family bundles
 * (dist/firmware/espruino/modem-agent-<family>.js, entries modem-agent-<family>-entry.ts): each
 * carries one family's driver and, loaded as a plain script, defines the global `simcmdModemAgent`
 * with `start(settings)`. HAL: an Espruino Serial port for the modem (UART),
 * `setTimeout`/`clearTimeout`/`getTime` for time, `Storage` for the record of executed ids. Text is
 * UTF-8 byte strings (utf8Text).
 *
 *   Serial2.setup(115200, { rx: D16, tx: D17 });
 *   var agent = simcmdModemAgent.start({ serial: Serial2, apn: "super" });
 *   agent.status(); agent.stop();
 */
import { ModemAgent, type ModemAgentStatus } from "../../agent/modem-agent.js";
import type { ModemFamily } from "../../modems/capabilities.js";
import type { ModemDriver } from "../../modems/index.js";
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";
import { utf8Text } from "../../core/text.js";
import { storageOf, type Storage } from "./hal.js";

/** Espruino's Serial objects (Serial1, Serial2…): data arrives and leaves as byte strings. */
interface EspruinoSerial {
  on(event: "data", cb: (data: string) => void): void;
  write(data: string): void;
}
declare function require(name: "Storage"): Storage;
declare function getTime(): number;
declare function setTimeout(cb: () => void, ms: number): number;
declare function clearTimeout(id: number): void;

export interface ModemAgentSettings {
  /** The UART the modem is on, already set up (e.g. Serial2.setup(115200, {rx, tx})). Required. */
  serial: EspruinoSerial;
  /** The bundle's family ("bg96", "sim7080" or "sara-r4"); when given, it must be the bundle's. */
  family?: ModemFamily;
  /** UDP port for IP Commands. Default DEFAULT_DEVICE_PORT (core/limits.ts). */
  devicePort?: number;
  /** Where IP replies go. Default DEFAULT_MO_HOST (core/limits.ts) : devicePort. */
  moHost?: string;
  moPort?: number;
  /** APN of the data context. Default "super". */
  apn?: string;
  /** What `info` reports. Default "0.1.0". */
  version?: string;
  /** Log lines (modem bring-up, errors). Default: none. */
  onLog?: (message: string) => void;
  /** State changes: "starting", "ready", "retrying", "stopped". Default: none. */
  onState?: (state: string) => void;
}

function serialOf(s: EspruinoSerial): SerialPort {
  let onData: ((bytes: number[]) => void) | null = null;
  s.on("data", function (d: string) {
    if (onData === null) return;
    const bytes: number[] = [];
    for (let i = 0; i < d.length; i++) bytes.push(d.charCodeAt(i) & 0xff);
    onData(bytes);
  });
  return {
    write: function (bytes: number[]): void {
      let out = "";
      for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i] as number);
      s.write(out);
    },
    setOnData: function (cb: (bytes: number[]) => void): void {
      onData = cb;
    },
  };
}

function espruinoClock(): Clock {
  return {
    now: function (): number {
      return Math.floor(getTime() * 1000);
    },
    setTimeout: function (cb: () => void, ms: number): number {
      return setTimeout(cb, ms);
    },
    clearTimeout: function (id: number): void {
      clearTimeout(id);
    },
  };
}


export interface StartedModemAgent {
  stop: () => void;
  status: () => ModemAgentStatus;
}

/**
 * Starts the agent on `s.serial` with `driver`, the driver of `family` (the bundle's). Throws a
 * TypeError when `s.family` names another family: this bundle cannot drive it.
 */
export function startWith(family: ModemFamily, driver: ModemDriver, s: ModemAgentSettings): StartedModemAgent {
  if (s.family !== undefined && s.family !== family) {
    throw new TypeError("this bundle drives " + family + " modems, not " + String(s.family) + ": flash modem-agent-" + String(s.family) + ".js");
  }
  const agent = new ModemAgent({
    serial: serialOf(s.serial),
    clock: espruinoClock(),
    storage: storageOf(require("Storage")),
    text: utf8Text,
    family: family,
    driver: driver,
    info: { version: s.version !== undefined ? s.version : "0.1.0", runtime: "espruino", modem: family },
    devicePort: s.devicePort,
    moHost: s.moHost,
    moPort: s.moPort,
    apn: s.apn,
    onLog: s.onLog,
    onState: s.onState,
  });
  agent.start();
  return {
    stop: function (): void {
      agent.stop();
    },
    status: function (): ModemAgentStatus {
      return agent.status();
    },
  };
}
