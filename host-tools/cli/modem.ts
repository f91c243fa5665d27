/** `simcmd modem`: a virtual modem on a new pseudo-terminal, attached to the mock cloud (docs/mock-network.md). */
import { parseArgs } from "node:util";
import { CloudLink, DIALECTS, startModem, type DialectName, type FaultCommand } from "../virtual-modem/index.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";

const HELP = `Usage: simcmd modem --dialect bg96|sim7080|sara-r4 --cloud URL --sim SID|NAME [options]

Runs a virtual modem on a new pseudo-terminal (/dev/pts/N) that any serial client can open, attached to
the mock cloud's network simulator: MT UDP datagrams arrive as socket URCs, MT SMS as +CMTI, and what the
client sends goes to the mock. Runs until SIGINT/SIGTERM, then detaches.

Options:
  --dialect D            bg96 (Quectel BG96/BG95) | sim7080 (SIMCom SIM7080G) | sara-r4 (u-blox SARA-R410M/R5); required
  --cloud URL            the mock cloud, e.g. http://127.0.0.1:4000; required
  --sim SID|NAME         the SIM this modem holds (SID or unique name); required
  --account-sid SID      account for the cloud's Basic auth (default: env SIMCMD_ACCOUNT_SID, else the cloud's development account)
  --auth-token TOKEN     its auth token (default: env SIMCMD_AUTH_TOKEN, else the development account's)
  --json                 print one line {"port", "dialect", "sim_sid"} once the port is open (default: a sentence)
  --pty-helper H         auto | socat | python3 (default auto: socat when installed, else python3)
  --sms-capacity N       messages each SMS storage (SM, ME) holds (default 30)
  --imei N / --imsi N / --iccid N   identity (defaults: fixed test values)
  --delay-ms N           fault: answer every command N ms late (default 0)
  --error-next N         fault: answer the next N command lines with ERROR (default 0)
  --storage-full         fault: every SMS storage is full (+CMS ERROR: 322, MT SMS refused) (default off)
  --trace                log every byte received and sent to stderr (default off)
  -h, --help             this help

Faults at run time: one JSON object per line on stdin, e.g.
  {"fault": "lose-registration"}   {"fault": "restore-registration"}   {"fault": "error-next", "count": 2}
  {"fault": "delay", "ms": 500}     {"fault": "urc-mid-response", "urc": "+CMTI: \\"SM\\",1"}
  {"fault": "garbage", "hex": "00ff"}   {"fault": "storage-full", "on": true}   {"fault": "clear"}

Needs socat (apt-get install socat) or python3 to create the pseudo-terminal.
`;


function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

/** Runs the command; `stop` (default: SIGINT/SIGTERM) ends it. Resolves to the exit code. */
export async function runModem(argv: string[], io: CliIo, stop: Promise<void> = waitForSignal()): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      dialect: { type: "string" },
      cloud: { type: "string" },
      sim: { type: "string" },
      "account-sid": { type: "string" },
      "auth-token": { type: "string" },
      json: { type: "boolean", default: false },
      "pty-helper": { type: "string" },
      "sms-capacity": { type: "string" },
      imei: { type: "string" },
      imsi: { type: "string" },
      iccid: { type: "string" },
      "delay-ms": { type: "string" },
      "error-next": { type: "string" },
      "storage-full": { type: "boolean", default: false },
      trace: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const dialect = v.dialect as DialectName | undefined;
  if (dialect === undefined || !DIALECTS.includes(dialect)) throw new UsageError(`--dialect must be one of ${DIALECTS.join(", ")}`);
  if (v.cloud === undefined) throw new UsageError("--cloud URL is required");
  if (v.sim === undefined) throw new UsageError("--sim SID|NAME is required");
  try {
    new URL(v.cloud);
  } catch {
    throw new UsageError(`--cloud must be a URL, got '${v.cloud}'`);
  }
  const helper = v["pty-helper"] ?? "auto";
  if (helper !== "auto" && helper !== "socat" && helper !== "python3") throw new UsageError("--pty-helper must be auto, socat or python3");
  const smsCapacity = intFlag("sms-capacity", v["sms-capacity"], 1, 255);
  const delayMs = intFlag("delay-ms", v["delay-ms"], 0, 600000);
  const errorNext = intFlag("error-next", v["error-next"], 0, 1000000);
  let accountSid = v["account-sid"] ?? process.env.SIMCMD_ACCOUNT_SID;
  let authToken = v["auth-token"] ?? process.env.SIMCMD_AUTH_TOKEN;
  if (accountSid === undefined || authToken === undefined) {
    const dev = await import("../cloud/index.js");
    accountSid ??= dev.DEV_ACCOUNT_SID;
    authToken ??= dev.DEV_AUTH_TOKEN;
  }
  const cloud = { url: v.cloud, sim: v.sim, accountSid, authToken };
  const identity = { ...(v.imei ? { imei: v.imei } : {}), ...(v.imsi ? { imsi: v.imsi } : {}), ...(v.iccid ? { iccid: v.iccid } : {}) };
  let h;
  try {
    h = await startModem({
      dialect,
      cloud,
      identity,
      smsCapacity,
      ptyHelper: helper,
      trace: v.trace ? (dir, text) => io.err(`${dir} ${JSON.stringify(text)}\n`) : undefined,
    });
  } catch (e) {
    io.err(`simcmd modem: ${(e as Error).message}\n`);
    return 1;
  }
  if (delayMs !== undefined) h.modem.faults.delayMs = delayMs;
  if (errorNext !== undefined) h.modem.faults.errorNext(errorNext);
  if (v["storage-full"]) h.modem.faults.storageFull = true;
  const simSid = await new CloudLink(cloud).simSid();
  if (v.json) io.out(JSON.stringify({ port: h.port, dialect, sim_sid: simSid ?? v.sim }) + "\n");
  else io.out(`simcmd modem: ${dialect} on ${h.port} (link ${h.link}), SIM ${simSid ?? v.sim} attached to ${v.cloud}\n`);
  let stopped = false;
  void (async () => {
    for await (const line of io.lines()) {
      if (stopped) break;
      if (line.trim() === "") continue;
      try {
        h.modem.faults.apply(JSON.parse(line) as FaultCommand);
      } catch (e) {
        io.err(`simcmd modem: bad control line ${JSON.stringify(line)}: ${(e as Error).message}\n`);
      }
    }
  })();
  await stop;
  stopped = true;
  await h.close();
  return 0;
}
