/** `simcmd flash`: upload a firmware bundle to an Espruino board over its console, or run the Moddable build-and-flash (docs/flash.md). */
import { parseArgs } from "node:util";
import {
  DEFAULT_BAUD,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_TIMEOUT_MS,
  describeEspruinoPlan,
  ESPRUINO_BUNDLES,
  flashEspruino,
  FlashError,
  planEspruinoFlash,
  type EspruinoBundle,
} from "../flash/espruino.js";
import { DEFAULT_MODDABLE_BOARD, onPath, planModdableFlash } from "../flash/moddable.js";
import { describePlan, runPlan } from "../provision/plan.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";
import { packageRoot } from "../runtimes/line-process.js";

const HELP = `Usage: simcmd flash --target espruino --port DEV [options]
       simcmd flash --target moddable [--board B] [--dry-run]

espruino: uploads dist/firmware/espruino/<bundle>.js to the board's Storage file .bootcde over its
JavaScript console (Ctrl-C, echo(0), Storage.write in chunks), checks the board's E.CRC32 of the file
against the host's CRC-32, then load() restarts the board into it. Run \`npm run build\` first.
moddable: mcconfig -d -m -p <board> on dist/firmware/moddable/manifest.json (needs the Moddable SDK
and ESP-IDF on PATH).

Options:
  --target T            espruino | moddable (required)
  --port DEV            espruino: the board's serial port, e.g. /dev/ttyACM0 (required for espruino)
  --bundle B            espruino: agent | modem-agent (default agent)
  --baud N              espruino: baud rate (default ${DEFAULT_BAUD})
  --timeout MS          espruino: how long to wait for each reply of the board, in milliseconds
                        (default ${DEFAULT_TIMEOUT_MS})
  --chunk-size BYTES    espruino: bundle bytes per console line (default ${DEFAULT_CHUNK_SIZE})
  --no-reboot           espruino: do not run load() after the upload (echo(1) instead)
  --start JS            espruino: JavaScript run at boot after the bundle (default for agent:
                        simcmdAgent.start(); — settings from simcmd.json, see simcmd provision;
                        modem-agent: none, e.g. 'simcmdModemAgent.start({serial: Serial2, family: "bg96"})')
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
    for (const f of ["port", "bundle", "baud", "timeout", "chunk-size", "no-reboot", "start", "no-start"] as const) {
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
  let plan;
  try {
    if (values.start !== undefined && values["no-start"] === true) throw new UsageError("give --start JS or --no-start, not both");
    const start = values["no-start"] === true ? null : values.start;
    plan = planEspruinoFlash({ root, bundle: bundle as EspruinoBundle, port: values.port, baud, timeoutMs, chunkSize, reboot: values["no-reboot"] !== true, start });
  } catch (e) {
    return fail(e);
  }
  if (dry) {
    io.out(json ? JSON.stringify({ ok: true, dryRun: true, plan }) + "\n" : describeEspruinoPlan(plan));
    return 0;
  }
  if (!json) io.out(describeEspruinoPlan(plan));
  let result;
  try {
    result = await flashEspruino(plan);
  } catch (e) {
    return fail(e);
  }
  io.out(
    json
      ? JSON.stringify({ ok: true, ...result }) + "\n"
      : `flashed ${result.bytes} bytes in ${result.chunks} chunks to ${result.port}, CRC-32 ${result.crc32} verified${result.rebooted ? ", rebooted (load())" : ""}\n`,
  );
  return 0;
}
