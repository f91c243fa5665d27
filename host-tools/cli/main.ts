/** `simcmd <command> …`: dispatches to one module per command. */
import { createInterface } from "node:readline";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { runPdu } from "./pdu.js";

const HELP = `simcmd — commands for cellular IoT devices (Super SIM IP/SMS Commands, Programmable Wireless, NB-IoT)

Usage: simcmd <command> [options]   (simcmd <command> --help for details)

Commands:
  pdu decode HEX…     decode SMS PDUs to JSON
  pdu encode          build SMS-SUBMIT PDUs (segmentation, alphabet choice)
  build               build firmware bundles (--target moddable|espruino|lua|xs|all)
  dev                 the local stack: broker, mock cloud, bridge, simulated devices
  device              a simulated device: the firmware agent (XS or Node) on the mock network
  cloud               the mock cloud alone (Super SIM, Wireless, 2010 APIs and the simulated network)
  modem               a virtual modem (bg96, sim7080, sara-r4) on a new pseudo-terminal, attached to the mock cloud
  bridge              the bridge: platform webhooks ⇄ MQTT, with a durable outbox
  provision           write a device's settings (host JSON, Espruino Storage over serial, Moddable manifest)
  hil                 the modem-driver scenario on a serial port (--port) or a virtual modem (--virtual)
  flash               upload a firmware bundle to an Espruino board over serial (Moddable: mcconfig plan)
`;

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    lines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
    ...(process.stderr.isTTY ? { tty: process.stderr } : {}),
  };
}

/** Runs one CLI invocation; resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "pdu") return await runPdu(rest, io);
    if (command === "modem") {
      const { runModem } = await import("./modem.js");
      return await runModem(rest, io);
    }
    if (command === "build") {
      const { runBuild } = await import("./build.js");
      return await runBuild(rest, io);
    }
    if (command === "cloud") {
      const { runCloud } = await import("./cloud.js");
      return await runCloud(rest, io);
    }
    if (command === "provision") {
      const { runProvision } = await import("./provision.js");
      return await runProvision(rest, io);
    }
    if (command === "flash") {
      const { runFlash } = await import("./flash.js");
      return await runFlash(rest, io);
    }
    if (command === "bridge") {
      const { runBridge } = await import("./bridge.js");
      return await runBridge(rest, io);
    }
    if (command === "device") {
      const { runDevice } = await import("./device.js");
      const { DEV_ACCOUNT_SID, DEV_AUTH_TOKEN } = await import("../cloud/index.js");
      return await runDevice(rest, io, { accountSid: DEV_ACCOUNT_SID, authToken: DEV_AUTH_TOKEN });
    }
    if (command === "hil") {
      const { runHil } = await import("./hil.js");
      return await runHil(rest, io);
    }
    if (command === "dev") {
      const { runDev } = await import("./dev.js");
      return await runDev(rest, io);
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`simcmd: ${e.message}\nRun 'simcmd ${command === undefined ? "" : command + " "}--help' for usage.\n`);
      return 2;
    }
    const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      io.err(`simcmd: ${(e as Error).message}\nRun 'simcmd ${command} --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
}
