/** `simcmd bridge`: platform webhooks ⇄ MQTT (issue 6, DESIGN.md §3/§5, docs/bridge.md). */
import { parseArgs } from "node:util";
import { ConfigError, mergeSources, OPTION_SPECS, optionsHelp, readConfigFile, startBridge } from "../bridge/index.js";
import { flagOf } from "../bridge/options.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd bridge [--config FILE] [options]

Runs the bridge: platform webhooks (Super SIM IP/SMS Commands, Programmable Wireless, Messaging, Huawei)
→ MQTT events, and MQTT downlink requests → platform API calls, with a durable SQLite outbox.
Options come from a YAML/JSON file (--config), then SIMCMD_BRIDGE_* environment variables, then flags
(later wins). Topics and payloads: docs/bridge.md. Stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --config FILE                      YAML or JSON file with any of the options below (nested keys as shown)
  --json                             print one line {"url", "mqtt", "instance", "shared"} once ready
  -h, --help                         this help
${optionsHelp()}`;

export async function runBridge(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    config: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  };
  for (const s of OPTION_SPECS) options[flagOf(s.path).slice(2)] = { type: s.type === "bool" ? "boolean" : "string" };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  let bridge;
  try {
    const file = typeof values.config === "string" ? readConfigFile(values.config) : {};
    const opts = mergeSources(file, process.env, values as Record<string, string | boolean | undefined>);
    bridge = await startBridge({ ...opts, log: (l) => io.err(`bridge: ${l}\n`) });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    io.err(`simcmd bridge: ${(e as Error).message}\n`);
    return 1;
  }
  if (values.json) io.out(JSON.stringify({ url: bridge.url, mqtt: bridge.mqttUrl, instance: bridge.instance, shared: bridge.shared }) + "\n");
  else io.out(`bridge listening on ${bridge.url} (webhooks under /webhooks/…, /healthz, /metrics)\nMQTT ${bridge.mqttUrl}, instance ${bridge.instance}${bridge.shared ? ", shared subscription" : ""}\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }));
  await bridge.close();
  return 0;
}
