/** `simcmd dev`: the local stack on embedded defaults (host-tools/local-stack). */
import { checkOption, ConfigError } from "../bridge/config.js";
import { parseArgs } from "node:util";
import { startDev } from "../local-stack/index.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd dev [options]

Starts the whole local stack: the mock cloud (Super SIM, Wireless, 2010 and Huawei APIs with a
simulated network), the bridge with an embedded MQTT broker, a Fleet whose webhooks reach the bridge,
simulated devices running the firmware agent in XS, and the dashboard (devices, live events, a command
form, each command's journey, latency, the simulated network's controls and the platform's resources).
Prints the URLs and a first command to try.

Options:
  --mqtt URL            use this broker instead of the embedded Aedes (e.g. mqtt://127.0.0.1:1883)
  --devices N           simulated devices (default 2)
  --runtime R           xs | node: where the devices' agent runs (default xs)
  --cloud-port N        mock cloud port (default 4010; a free one when taken)
  --bridge-port N       bridge port (default 4011; a free one when taken)
  --broker-port N       embedded broker port (default 1883; a free one when taken)
  --dashboard-port N    dashboard port (default 4012; a free one when taken)
  --data DIR            keep state here (default: a temporary directory, removed on exit)
  --json                print one line {"mqtt", "cloud", "bridge", "dashboard", "account_sid",
                        "auth_token", "prefix", "devices": [{"name", "sim_sid", "transport"}]} when ready
  -h, --help            this help
Stops on SIGINT/SIGTERM.
`;

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be 0-65535, got '${v}'`);
  return n;
}

export async function runDev(args: string[], io: CliIo, until: Promise<void> = signalled()): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      mqtt: { type: "string" },
      devices: { type: "string" },
      runtime: { type: "string" },
      "cloud-port": { type: "string" },
      "bridge-port": { type: "string" },
      "broker-port": { type: "string" },
      "dashboard-port": { type: "string" },
      data: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(HELP), 0;
  const devices = values.devices === undefined ? 2 : Number(values.devices);
  if (!Number.isInteger(devices) || devices < 0 || devices > 50) throw new UsageError(`--devices must be 0-50, got '${values.devices}'`);
  const runtime = values.runtime ?? "xs";
  if (runtime !== "xs" && runtime !== "node") throw new UsageError(`--runtime must be xs or node, got '${runtime}'`);
  const cloudPort = port("cloud-port", values["cloud-port"]);
  const bridgePort = port("bridge-port", values["bridge-port"]);
  const brokerPort = port("broker-port", values["broker-port"]);
  const dashboardPort = port("dashboard-port", values["dashboard-port"]);
  if (values.mqtt !== undefined) {
    try {
      checkOption("mqtt", values.mqtt, "--mqtt");
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
  }
  const dev = await startDev({
    devices,
    runtime,
    ...(values.mqtt === undefined ? {} : { mqtt: values.mqtt }),
    ...(cloudPort === undefined ? {} : { cloudPort }),
    ...(bridgePort === undefined ? {} : { bridgePort }),
    ...(brokerPort === undefined ? {} : { brokerPort }),
    ...(dashboardPort === undefined ? {} : { dashboardPort }),
    ...(values.data === undefined ? {} : { data: values.data }),
  });
  const { close, ...ready } = dev;
  if (values.json) {
    io.out(JSON.stringify(ready) + "\n");
  } else {
    const broker = new URL(dev.mqtt);
    const first = dev.devices[0]?.name ?? "device-1";
    io.out(
      `simcmd dev is running\n` +
        `  MQTT broker  ${dev.mqtt}${values.mqtt === undefined ? " (embedded Aedes)" : ""}\n` +
        `  mock cloud   ${dev.cloud}  (account ${dev.account_sid}, token ${dev.auth_token})\n` +
        `  bridge       ${dev.bridge}  (webhooks, /healthz, /metrics)\n` +
        `  dashboard    ${dev.dashboard}  (devices, events, commands and their journeys, network controls)\n` +
        `  devices      ${dev.devices.map((d) => `${d.name} (${d.sim_sid})`).join(", ")} — the firmware agent in ${runtime}\n\n` +
        `Try, in another terminal:\n` +
        `  npx mqtt sub -h ${broker.hostname} -p ${broker.port} -t '${dev.prefix}/devices/+/#' -v\n` +
        `  npx mqtt pub -h ${broker.hostname} -p ${broker.port} -q 1 -t '${dev.prefix}/devices/${first}/down' -m '{"id":"1","command":"ping"}'\n` +
        `and watch …/down/queued, …/down/sent, …/up and …/down/succeeded arrive — or open ${dev.dashboard} and\n` +
        `send ping from there. Ctrl-C stops everything.\n`,
    );
  }
  await until;
  await close();
  return 0;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
