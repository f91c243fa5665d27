/** `simcmd device`: a simulated device running the firmware agent on the mock network. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_DEVICE_PORT, DEFAULT_MO_HOST, MODEM_FAMILIES, type ModemFamily } from "../../firmware/core/limits.js";
import { SimulatedDevice } from "../device-host/device.js";
import { DEFAULT_APN, DEFAULT_READY_TIMEOUT_MS, ModemDevice } from "../device-host/modem-device.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd device --sim SID|NAME --cloud URL [options]

Runs the firmware command agent as a device on the mock cloud's network: it attaches the SIM,
answers IP Commands (UDP) and SMS Commands (SMS TPDUs) and replies over the same transport.
Without --modem the agent sits on plain UDP sockets; with --modem it talks AT to a virtual modem of
that family on a pty (the modem attaches the SIM): IP Commands arrive as socket URCs, SMS Commands
as +CMTI, and the agent, the AT engine and the driver all run in the chosen runtime.

Options:
  --sim SID|NAME        the SIM this device plays (required)
  --cloud URL           the mock cloud (required), e.g. http://127.0.0.1:4010
  --runtime R           xs | node (default xs: the bundle that ships, in Moddable's XS engine)
  --port N              device port for IP Commands (default ${DEFAULT_DEVICE_PORT})
  --modem F             ${MODEM_FAMILIES.join(" | ")}: go through a virtual modem of that family
                        (default: none, plain UDP); replies go to ${DEFAULT_MO_HOST}:<port> and to 2936 / 000
  --apn APN             APN of the modem's PDP context (default ${DEFAULT_APN}; only with --modem)
  --storage FILE        persistent storage (executed ids, config) as JSON (default: memory only)
  --config FILE         settings as a JSON object with any of: sim, cloud, runtime, port, modem, apn,
                        storage, account_sid, auth_token (flags given on the command line win)
  --account-sid AC…     account (default $SIMCMD_ACCOUNT_SID, else the mock's development account)
  --auth-token T        token (default $SIMCMD_AUTH_TOKEN, else the development token)
  --json                print {"sim", "runtime", "device_port", "device_ip"} once attached
                        (with --modem also "modem" and "serial", the pty)
  -h, --help            this help
Stops on SIGINT/SIGTERM, detaching the SIM. With --modem it waits up to ${DEFAULT_READY_TIMEOUT_MS / 1000} s for the modem
to come up (init, registration, PDP context, UDP listener, SMS) and logs the agent's errors on stderr.
`;

/** Settings a --config file may hold, and the flag each stands for. */
const CONFIG_KEYS: Record<string, string> = {
  sim: "sim",
  cloud: "cloud",
  runtime: "runtime",
  port: "port",
  modem: "modem",
  apn: "apn",
  storage: "storage",
  account_sid: "account-sid",
  auth_token: "auth-token",
};

/** Reads a --config file into flag values; every problem is a UsageError naming the file and key. */
function loadConfig(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--config ${file}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new UsageError(`--config ${file}: must hold a JSON object`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const flag = CONFIG_KEYS[key];
    if (flag === undefined) throw new UsageError(`--config ${file}: unknown key '${key}' (known: ${Object.keys(CONFIG_KEYS).join(", ")})`);
    if (typeof value !== "string" && typeof value !== "number") throw new UsageError(`--config ${file}: '${key}' must be a string or a number`);
    out[flag] = String(value);
  }
  return out;
}

export async function runDevice(args: string[], io: CliIo, defaults: { accountSid: string; authToken: string }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sim: { type: "string" },
      config: { type: "string" },
      cloud: { type: "string" },
      runtime: { type: "string" },
      port: { type: "string" },
      storage: { type: "string" },
      modem: { type: "string" },
      apn: { type: "string" },
      "account-sid": { type: "string" },
      "auth-token": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(HELP), 0;
  if (values.config !== undefined) {
    const fromFile = loadConfig(values.config);
    const v = values as Record<string, string | boolean | undefined>;
    for (const [flag, value] of Object.entries(fromFile)) if (v[flag] === undefined) v[flag] = value;
  }
  if (values.sim === undefined) throw new UsageError("--sim is required");
  if (values.cloud === undefined) throw new UsageError("--cloud is required");
  const runtime = values.runtime ?? "xs";
  if (runtime !== "xs" && runtime !== "node") throw new UsageError(`--runtime must be xs or node, got '${runtime}'`);
  const port = values.port === undefined ? DEFAULT_DEVICE_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, got '${values.port}'`);
  const modem = values.modem;
  if (modem !== undefined && !MODEM_FAMILIES.includes(modem as ModemFamily)) throw new UsageError(`--modem must be ${MODEM_FAMILIES.join(", ")}, got '${modem}'`);
  if (values.apn !== undefined && modem === undefined) throw new UsageError("--apn needs --modem");
  const cloud = {
    url: values.cloud.replace(/\/$/, ""),
    accountSid: values["account-sid"] ?? process.env["SIMCMD_ACCOUNT_SID"] ?? defaults.accountSid,
    authToken: values["auth-token"] ?? process.env["SIMCMD_AUTH_TOKEN"] ?? defaults.authToken,
  };
  const storage = values.storage === undefined ? {} : { storage: values.storage };
  let device: SimulatedDevice | ModemDevice;
  let ready: Record<string, unknown>;
  if (modem === undefined) {
    device = await SimulatedDevice.start({ cloud, sim: values.sim, runtime, devicePort: port, ...storage });
    ready = { sim: values.sim, runtime, device_port: port, device_ip: device.attachment.device_ip };
    io.out(values.json ? JSON.stringify(ready) + "\n" : `device ${values.sim} (${runtime}) attached as ${device.attachment.device_ip}, port ${port}; Ctrl-C to stop\n`);
  } else {
    const m = await ModemDevice.start({ cloud, sim: values.sim, modem: modem as ModemFamily, runtime, devicePort: port, apn: values.apn ?? DEFAULT_APN, ...storage });
    m.on("log", (line) => {
      if (!line.startsWith("state ")) io.err(`simcmd device: ${line}\n`);
    });
    device = m;
    ready = { sim: values.sim, runtime, device_port: port, device_ip: m.attachment.device_ip, modem, serial: m.modem.port };
    io.out(values.json ? JSON.stringify(ready) + "\n" : `device ${values.sim} (${runtime}, ${modem} on ${m.modem.port}) attached as ${m.attachment.device_ip}, port ${port}; Ctrl-C to stop\n`);
  }
  device.on("error", (e: Error) => io.err(`simcmd device: ${e.message}\n`));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await device.close();
  return 0;
}
