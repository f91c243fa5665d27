/** `simcmd provision`: write a device's settings for the host, an Espruino board or a Moddable build. */
import { parseArgs } from "node:util";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST, MODEM_FAMILIES, type ModemFamily } from "../../firmware/core/limits.js";
import { describePlan, planProvision, runPlan, type DeviceSettings, type ModdableUart, type ProvisionTarget } from "../provision/plan.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";
import { packageRoot } from "../runtimes/line-process.js";

const HELP = `Usage: simcmd provision --target host|espruino|moddable --sim SID|NAME [options]

Writes the device settings each target reads: a JSON file for \`simcmd device --config\` (host),
simcmd.json in the board's Storage over its serial console (espruino), or a manifest whose config
the firmware reads, then mcconfig (moddable; with --modem, the modem firmware on the board's UART).

Options:
  --target T            host | espruino | moddable (required)
  --sim SID|NAME        the device's SIM (required)
  --device-port N       UDP port for IP Commands (default ${DEFAULT_DEVICE_PORT})
  --mo HOST:PORT        where MO datagrams go (default ${DEFAULT_MO_HOST}:<device port>)
  --transport T         ip | sms | auto: how replies travel (default auto: as the request came)
  --modem F             ${MODEM_FAMILIES.join(" | ")} (default: none, the board's own IP stack)
  --apn APN             the modem's APN (default super)
  --out PATH            host: the JSON file (default simcmd-device.json); moddable: the manifest's
                        directory (default simcmd-moddable)
  --port DEV            espruino: the board's serial port, e.g. /dev/ttyACM0 (required for espruino)
  --baud N              espruino: the console's baud rate (default 9600); moddable: the modem UART's
                        (default 115200)
  --board B             moddable: mcconfig platform: esp32[/<board>] (build, flash, debug) or lin (a
                        release build for mcsim) (default esp32)
  --uart U              moddable with --modem: the modem's UART: its number on an ESP32 (default 2),
                        a tty path on lin (default /dev/ttyUSB0)
  --rx N / --tx N       moddable with --modem, ESP32: the UART's RX / TX pins (default 16 / 17)
  --power-pin N         moddable with --modem, ESP32: the GPIO pulsing the modem's power key when it
                        does not answer (default none)
  --dry-run             print the exact plan and change nothing
  -h, --help            this help
`;

const root = packageRoot();


export async function runProvision(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      sim: { type: "string" },
      "device-port": { type: "string" },
      mo: { type: "string" },
      transport: { type: "string" },
      modem: { type: "string" },
      apn: { type: "string" },
      out: { type: "string" },
      port: { type: "string" },
      baud: { type: "string" },
      board: { type: "string" },
      uart: { type: "string" },
      rx: { type: "string" },
      tx: { type: "string" },
      "power-pin": { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(HELP), 0;
  const target = values.target;
  if (target !== "host" && target !== "espruino" && target !== "moddable") throw new UsageError("--target must be host, espruino or moddable");
  if (values.sim === undefined || values.sim === "") throw new UsageError("--sim is required");
  const devicePort = intFlag("device-port", values["device-port"], 1, 65535) ?? DEFAULT_DEVICE_PORT;
  let mo = { host: DEFAULT_MO_HOST, port: devicePort };
  if (values.mo !== undefined) {
    const i = values.mo.lastIndexOf(":");
    if (i <= 0) throw new UsageError(`--mo must be HOST:PORT, got '${values.mo}'`);
    mo = { host: values.mo.slice(0, i), port: intFlag("mo", values.mo.slice(i + 1), 1, 65535) ?? 0 };
  }
  const transport = values.transport ?? "auto";
  if (transport !== "ip" && transport !== "sms" && transport !== "auto") throw new UsageError("--transport must be ip, sms or auto");
  const modem = values.modem as ModemFamily | undefined;
  if (modem !== undefined && !MODEM_FAMILIES.includes(modem)) throw new UsageError(`--modem must be ${MODEM_FAMILIES.join(", ")}, got '${modem}'`);
  const settings: DeviceSettings = { sim: values.sim, devicePort, mo, transport, modem, apn: values.apn ?? "super" };
  const uart: ModdableUart = {};
  if (values.uart !== undefined) {
    if (values.uart.startsWith("/")) uart.device = values.uart;
    else uart.port = intFlag("uart", values.uart, 0, 2);
  }
  if (values.rx !== undefined) uart.rx = intFlag("rx", values.rx, 0, 63);
  if (values.tx !== undefined) uart.tx = intFlag("tx", values.tx, 0, 63);
  if (values["power-pin"] !== undefined) uart.powerPin = intFlag("power-pin", values["power-pin"], 0, 63);
  const baud = intFlag("baud", values.baud, 300, 4000000);
  if (target === "moddable" && baud !== undefined) uart.baud = baud;
  let plan;
  try {
    plan = planProvision(target as ProvisionTarget, settings, {
      root,
      ...(values.out === undefined ? {} : { out: values.out }),
      ...(values.port === undefined ? {} : { port: values.port }),
      ...(baud === undefined ? {} : { baud }),
      ...(values.board === undefined ? {} : { board: values.board }),
      ...(target === "moddable" && Object.keys(uart).length > 0 ? { uart } : {}),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  io.out(describePlan(plan));
  if (values["dry-run"]) return 0;
  try {
    await runPlan(plan);
  } catch (e) {
    io.err(`simcmd provision: ${(e as Error).message}\n`);
    return 1;
  }
  io.out("done\n");
  return 0;
}
