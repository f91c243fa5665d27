/**
 * The device agent behind a cellular modem on Moddable (an ESP32 wired to a BG96/BG95, SIM7080G or
 * SARA-R4 on a UART; or the Linux build, on a tty): the AT engine, the family's driver and the
 * agent (firmware/agent/modem-agent.ts) over ECMA-419 `embedded:io/serial`, Moddable's Timer and
 * Preference. Bundled by scripts/build.js to dist/firmware/moddable/modem/main.js beside
 * manifests/moddable/modem/manifest.json.
 *
 * Nothing runs when the module loads (so the manifest can preload it into flash); Moddable calls
 * the default export at start-up. Settings come from the manifest's `config` (mc/config), read by
 * the same code as the xs-host build (../shared/modem-settings.ts lists them), plus the board's:
 *
 *   uartPort, uartReceive, uartTransmit   ESP32 UART number and its RX / TX pins (default 2, 16, 17)
 *   uartBaud                              default 115200
 *   uartDevice                            Linux: the tty (the virtual modem's pty, /dev/ttyUSB0 …)
 *   powerPin, powerLevel, powerPulse      the power-key GPIO (absent or -1: none), the level that
 *                                         presses the key (default 1) and for how long, ms (default 1000)
 *
 * Each log line, state and handled command is traced (the console, xsbug or the Linux build's
 * standard output) as `simcmd: …`.
 */
import Serial from "embedded:io/serial";
import type Digital from "embedded:io/digital";
import config from "mc/config";
import Modules from "modules";
import type { ModemAgent } from "../../agent/modem-agent.js";
import { utf16Text } from "../../core/text.js";
import type { PowerHooks } from "../../modems/capabilities.js";
import { intSetting, readModemSettings, startModemAgent, textSetting, type Config, type Read } from "../shared/modem-settings.js";
import { powerKey, preferenceStore, timerClock } from "./hal.js";
import { uartSerial } from "./uart.js";

declare function trace(message: string): void;

function log(message: string): void {
  trace("simcmd: " + message + "\n");
}

interface Board {
  port: number;
  receive: number;
  transmit: number;
  baud: number;
  device: string | undefined;
  powerPin: number;
  powerLevel: 0 | 1;
  powerPulse: number;
}

function readBoard(c: Config): Read<Board> {
  const ints: [string, number, number, number][] = [
    ["uartPort", 0, 9, 2],
    ["uartReceive", 0, 63, 16],
    ["uartTransmit", 0, 63, 17],
    ["uartBaud", 300, 5000000, 115200],
    ["powerPin", -1, 63, -1],
    ["powerLevel", 0, 1, 1],
    ["powerPulse", 1, 10000, 1000],
  ];
  const v: { [key: string]: number } = {};
  for (let i = 0; i < ints.length; i++) {
    const d = ints[i] as [string, number, number, number];
    const r = intSetting(c, d[0], d[1], d[2]);
    if (!r.ok) return r;
    v[d[0]] = r.value !== undefined ? r.value : d[3];
  }
  const device = textSetting(c, "uartDevice", 200);
  if (!device.ok) return device;
  return {
    ok: true,
    value: {
      port: v["uartPort"] as number,
      receive: v["uartReceive"] as number,
      transmit: v["uartTransmit"] as number,
      baud: v["uartBaud"] as number,
      device: device.value,
      powerPin: v["powerPin"] as number,
      powerLevel: v["powerLevel"] === 0 ? 0 : 1,
      powerPulse: v["powerPulse"] as number,
    },
  };
}

/** The running agent (kept here so nothing it needs is collected). */
let running: ModemAgent | null = null;

export default function main(): void {
  const c = config as Config;
  const settings = readModemSettings(c);
  if (!settings.ok) return log("not started: " + settings.message);
  const board = readBoard(c);
  if (!board.ok) return log("not started: " + board.message);
  const b = board.value;
  const clock = timerClock();
  let power: PowerHooks | undefined;
  if (b.powerPin >= 0) {
    if (!Modules.has("embedded:io/digital")) return log("not started: powerPin is set, but this platform has no embedded:io/digital");
    try {
      power = powerKey(Modules.importNow("embedded:io/digital") as typeof Digital, b.powerPin, b.powerLevel, b.powerPulse, clock);
    } catch (e) {
      return log("not started: power key on GPIO " + b.powerPin + ": " + String(e));
    }
  }
  let serial;
  try {
    serial = uartSerial(Serial, {
      port: b.port,
      receive: b.receive,
      transmit: b.transmit,
      baud: b.baud,
      device: b.device,
      clock: clock,
      onError: log,
    });
  } catch (e) {
    const where = b.device !== undefined ? b.device : "UART " + b.port + " (RX " + b.receive + ", TX " + b.transmit + ")";
    return log("not started: cannot open " + where + " at " + b.baud + " baud: " + String(e));
  }
  const started = startModemAgent(settings.value, { serial: serial, clock: clock, storage: preferenceStore(), text: utf16Text, power: power }, "moddable", {
    onLog: log,
    onHandled: function (transport: string, executed: boolean): void {
      log("handled " + transport + (executed ? "" : " (repeated id or error: not run)"));
    },
  });
  if (!started.ok) return log("not started: " + started.message);
  running = started.value;
  log(settings.value.family + " agent on " + (b.device !== undefined ? b.device : "UART " + b.port) + ", device port " + running.devicePort);
}
