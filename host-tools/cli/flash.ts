/** `simcmd flash`: upload a firmware bundle to an Espruino board over its console, or run the Moddable build-and-flash (docs/flash.md). */
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { MODEM_FAMILIES } from "../../firmware/core/limits.js";
import type { ModemFamily } from "../../firmware/modems/capabilities.js";
import {
  DEFAULT_BAUD,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_UART_BAUD,
  describeEspruinoPlan,
  ESPRUINO_BUNDLES,
  flashEspruino,
  FlashError,
  planEspruinoFlash,
  type EspruinoBundle,
  type EspruinoFlashPlan,
  type FlashProgress,
} from "../flash/espruino.js";
import { DEFAULT_MODDABLE_BOARD, onPath, planModdableFlash } from "../flash/moddable.js";
import { describePlan, runPlan } from "../provision/plan.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";
import { packageRoot } from "../runtimes/line-process.js";

const HELP = `Usage: simcmd flash --target espruino --port DEV [options]
       simcmd flash --target espruino --port DEV --bundle modem-agent --modem F --uart SerialN [--rx PIN --tx PIN] [--apn APN]
       simcmd flash --target moddable [--board B] [--dry-run]

espruino: uploads dist/firmware/espruino/<bundle>.js (the modem agent: modem-agent-<F>.js, built for
one modem family) to the board's Storage file .bootcde over its JavaScript console (Ctrl-C, echo(0),
Storage.write in chunks, each acknowledged), checks the board's E.CRC32 of the file against the
host's CRC-32, then load() restarts the board into it. Run \`npm run build\` first. On a terminal a
progress bar shows the bytes written; otherwise (or with --json) one line per step.
moddable: mcconfig -d -m -p <board> on dist/firmware/moddable/manifest.json (needs the Moddable SDK
and ESP-IDF on PATH).

Options:
  --target T            espruino | moddable (required)
  --port DEV            espruino: the board's serial port, e.g. /dev/ttyACM0 (required for espruino)
  --bundle B            espruino: agent | modem-agent (default agent)
  --modem F             espruino modem-agent: the modem family, ${MODEM_FAMILIES.join(" | ")} (required)
  --uart SerialN        espruino modem-agent: the board's UART the modem is on, e.g. Serial2; the start
                        line sets it up and starts the agent on it at every boot
  --rx PIN, --tx PIN    espruino modem-agent: the UART's pins, e.g. D16 and D17 (both, or neither for
                        the UART's default pins)
  --uart-baud N         espruino modem-agent: the UART's baud rate (default ${DEFAULT_UART_BAUD})
  --apn APN             espruino modem-agent: APN of the data context (default the agent's, super)
  --baud N              espruino: the console's baud rate (default ${DEFAULT_BAUD})
  --timeout MS          espruino: how long to wait for each reply of the board, in milliseconds
                        (default ${DEFAULT_TIMEOUT_MS})
  --chunk-size BYTES    espruino: bundle bytes per console line (default ${DEFAULT_CHUNK_SIZE})
  --no-reboot           espruino: do not run load() after the upload (echo(1) instead)
  --start JS            espruino: JavaScript run at boot after the bundle instead of the default
                        (agent: simcmdAgent.start(); — settings from simcmd.json, see simcmd provision;
                        modem-agent: the line --uart makes)
  --no-start            espruino: no start line (the bundle only defines its global)
  --board B             moddable: mcconfig platform (default ${DEFAULT_MODDABLE_BOARD})
  --dry-run             print the exact plan; open no port, run nothing
  --json                print the plan (--dry-run) or the result as one JSON object
  -h, --help            this help

Exit status: 0 flashed (or plan printed), 1 the flash failed (port, no answer, CRC mismatch, an error
printed by the board, bundle not built, mcconfig missing), 2 usage errors.
`;

const root = packageRoot();

export async function runFlash(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      port: { type: "string" },
      bundle: { type: "string" },
      modem: { type: "string" },
      uart: { type: "string" },
      rx: { type: "string" },
      tx: { type: "string" },
      "uart-baud": { type: "string" },
      apn: { type: "string" },
      baud: { type: "string" },
      timeout: { type: "string" },
      "chunk-size": { type: "string" },
      "no-reboot": { type: "boolean" },
      start: { type: "string" },
      "no-start": { type: "boolean" },
      board: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(HELP), 0;
  const target = values.target;
  if (target !== "espruino" && target !== "moddable") throw new UsageError("--target must be espruino or moddable");
  const dry = values["dry-run"] === true;
  const json = values.json === true;
  const fail = (e: unknown): number => {
    if (!(e instanceof FlashError)) throw e;
    io.err(`simcmd flash: ${e.message}\n`);
    if (json) io.out(JSON.stringify({ ok: false, step: e.step, error: e.message }) + "\n");
    return 1;
  };

  if (target === "moddable") {
    for (const f of ["port", "bundle", "modem", "uart", "rx", "tx", "uart-baud", "apn", "baud", "timeout", "chunk-size", "no-reboot", "start", "no-start"] as const) {
      if (values[f] !== undefined) throw new UsageError(`--${f} is for --target espruino`);
    }
    let plan;
    try {
      plan = planModdableFlash(root, values.board ?? DEFAULT_MODDABLE_BOARD);
    } catch (e) {
      return fail(e);
    }
    io.out(json ? JSON.stringify({ ok: true, dryRun: dry, plan }) + "\n" : describePlan(plan).replace(/^provision /, "flash "));
    if (dry) return 0;
    if (onPath("mcconfig") === undefined) {
      return fail(new FlashError("bundle", "mcconfig is not on PATH: install the Moddable SDK and ESP-IDF (https://github.com/Moddable-OpenSource/moddable/blob/public/documentation/devices/esp32.md) and set up their environment, or use --dry-run to see the plan"));
    }
    try {
      await runPlan(plan);
    } catch (e) {
      return fail(new FlashError("upload", (e as Error).message));
    }
    if (!json) io.out("done\n");
    return 0;
  }

  if (values.board !== undefined) throw new UsageError("--board is for --target moddable");
  if (values.port === undefined || values.port === "") throw new UsageError("--port (the board's serial port) is required for --target espruino");
  const bundle = values.bundle ?? "agent";
  if (!(ESPRUINO_BUNDLES as readonly string[]).includes(bundle)) throw new UsageError(`--bundle must be ${ESPRUINO_BUNDLES.join(" or ")}, got '${bundle}'`);
  const baud = intFlag("baud", values.baud, 300, 4000000) ?? DEFAULT_BAUD;
  const timeoutMs = intFlag("timeout", values.timeout, 1, 600000) ?? DEFAULT_TIMEOUT_MS;
  const chunkSize = intFlag("chunk-size", values["chunk-size"], 16, 4096) ?? DEFAULT_CHUNK_SIZE;
  const uartBaud = intFlag("uart-baud", values["uart-baud"], 300, 4000000);
  if (values.start !== undefined && values["no-start"] === true) throw new UsageError("give --start JS or --no-start, not both");
  const modemFlags = (["modem", "uart", "rx", "tx", "uart-baud", "apn"] as const).filter((f) => values[f] !== undefined);
  let modem: ModemFamily | undefined;
  let uart;
  if (bundle === "modem-agent") {
    if (values.modem === undefined) throw new UsageError(`--bundle modem-agent needs --modem (${MODEM_FAMILIES.join(", ")}): each family has its own bundle`);
    if (!(MODEM_FAMILIES as string[]).includes(values.modem)) throw new UsageError(`--modem must be ${MODEM_FAMILIES.join(", ")}, got '${values.modem}'`);
    modem = values.modem as ModemFamily;
    const own = values.start !== undefined || values["no-start"] === true;
    if (values.uart === undefined && !own) throw new UsageError("--bundle modem-agent needs --uart SerialN (the UART the modem is on; with --rx/--tx), or --start JS, or --no-start");
    if (values.uart !== undefined && own) throw new UsageError("--uart makes the start line: not with --start or --no-start");
    if (values.uart === undefined && modemFlags.some((f) => f !== "modem")) throw new UsageError("--rx, --tx, --uart-baud and --apn go with --uart");
    if (values.uart !== undefined) uart = { serial: values.uart, rx: values.rx, tx: values.tx, baud: uartBaud, apn: values.apn };
  } else if (modemFlags.length > 0) {
    throw new UsageError(`--${modemFlags[0]} is for --bundle modem-agent`);
  }
  let plan;
  try {
    const start = values["no-start"] === true ? null : values.start;
    plan = planEspruinoFlash({ root, bundle: bundle as EspruinoBundle, modem, uart, port: values.port, baud, timeoutMs, chunkSize, reboot: values["no-reboot"] !== true, start });
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    return fail(e);
  }
  if (dry) {
    io.out(json ? JSON.stringify({ ok: true, dryRun: true, plan }) + "\n" : describeEspruinoPlan(plan));
    return 0;
  }
  if (!json) io.out(describeEspruinoPlan(plan));
  const progress = json ? jsonSteps(io) : io.tty !== undefined ? progressBar(io.tty, plan) : textSteps(io, plan);
  let result;
  try {
    result = await flashEspruino(plan, progress.update);
  } catch (e) {
    progress.stop();
    return fail(e);
  }
  progress.stop();
  io.out(
    json
      ? JSON.stringify({ ok: true, ...result }) + "\n"
      : `flashed ${result.bytes} bytes in ${result.chunks} chunks to ${result.port}, CRC-32 ${result.crc32} verified${result.rebooted ? ", rebooted (load())" : ""}\n`,
  );
  return 0;
}

interface ProgressView {
  update: (e: FlashProgress) => void;
  stop: () => void;
}

/** On a terminal: a bar of the bytes the board has acknowledged, the step as its label. */
function progressBar(tty: NodeJS.WriteStream, plan: EspruinoFlashPlan): ProgressView {
  const bar = new cliProgress.SingleBar(
    { stream: tty, format: "flash {step} [{bar}] {percentage}% {value}/{total} bytes", hideCursor: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(plan.bundle.bytes, 0, { step: "open".padEnd(7) });
  return {
    update: (e) => {
      if (e.state === "progress") bar.update(e.done, { step: e.step.padEnd(7) });
      else if (e.state === "start") bar.update({ step: e.step.padEnd(7) });
    },
    stop: () => bar.stop(),
  };
}

/** Without a terminal: one line per step as it ends. */
function textSteps(io: CliIo, plan: EspruinoFlashPlan): ProgressView {
  const said: Record<string, string> = {
    open: `opened ${plan.port} at ${plan.baud} baud`,
    connect: "the board answered",
    upload: `${plan.bundle.bytes} bytes written in ${plan.chunks} acknowledged chunk${plan.chunks === 1 ? "" : "s"}`,
    verify: `CRC-32 ${plan.bundle.crc32} matches`,
    reboot: plan.reboot ? "load() sent: the board restarts into .bootcde" : "echo(1) sent",
  };
  return {
    update: (e) => {
      if (e.state === "done") io.out(`${e.step}: ${said[e.step]}\n`);
    },
    stop: () => undefined,
  };
}

/** With --json: one JSON object per step on stderr (stdout keeps the one result object). */
function jsonSteps(io: CliIo): ProgressView {
  return {
    update: (e) => {
      if (e.state === "done") io.err(JSON.stringify({ step: e.step, done: true }) + "\n");
    },
    stop: () => undefined,
  };
}
