/** `simcmd device`: a simulated device running the firmware agent on the mock network. */
import { parseArgs } from "node:util";
import { DEFAULT_DEVICE_PORT, SimulatedDevice } from "../device/device.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd device --sim SID|NAME --cloud URL [options]

Runs the firmware command agent as a device on the mock cloud's network: it attaches the SIM,
answers IP Commands (UDP) and SMS Commands (SMS TPDUs) and replies over the same transport.

Options:
  --sim SID|NAME        the SIM this device plays (required)
  --cloud URL           the mock cloud (required), e.g. http://127.0.0.1:4010
  --runtime R           xs | node (default xs: the bundle that ships, in Moddable's XS engine)
  --port N              device port for IP Commands (default ${DEFAULT_DEVICE_PORT})
  --storage FILE        persistent storage (executed ids, config) as JSON (default: memory only)
  --account-sid AC…     account (default $SIMCMD_ACCOUNT_SID, else the mock's development account)
  --auth-token T        token (default $SIMCMD_AUTH_TOKEN, else the development token)
  --json                print {"sim", "runtime", "device_port", "device_ip"} once attached
  -h, --help            this help
Stops on SIGINT/SIGTERM, detaching the SIM.
`;

export async function runDevice(args: string[], io: CliIo, defaults: { accountSid: string; authToken: string }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sim: { type: "string" },
      cloud: { type: "string" },
      runtime: { type: "string" },
      port: { type: "string" },
      storage: { type: "string" },
      "account-sid": { type: "string" },
      "auth-token": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(HELP), 0;
  if (values.sim === undefined) throw new UsageError("--sim is required");
  if (values.cloud === undefined) throw new UsageError("--cloud is required");
  const runtime = values.runtime ?? "xs";
  if (runtime !== "xs" && runtime !== "node") throw new UsageError(`--runtime must be xs or node, got '${runtime}'`);
  const port = values.port === undefined ? DEFAULT_DEVICE_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, got '${values.port}'`);
  const device = await SimulatedDevice.start({
    cloud: {
      url: values.cloud.replace(/\/$/, ""),
      accountSid: values["account-sid"] ?? process.env["SIMCMD_ACCOUNT_SID"] ?? defaults.accountSid,
      authToken: values["auth-token"] ?? process.env["SIMCMD_AUTH_TOKEN"] ?? defaults.authToken,
    },
    sim: values.sim,
    runtime,
    devicePort: port,
    ...(values.storage === undefined ? {} : { storage: values.storage }),
  });
  device.on("error", (e) => io.err(`simcmd device: ${e.message}\n`));
  const ready = { sim: values.sim, runtime, device_port: port, device_ip: device.attachment.device_ip };
  io.out(values.json ? JSON.stringify(ready) + "\n" : `device ${values.sim} (${runtime}) attached as ${ready.device_ip}, port ${port}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await device.close();
  return 0;
}
