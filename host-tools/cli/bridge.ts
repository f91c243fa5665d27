/** `simcmd bridge`: platform webhooks ⇄ MQTT (docs/bridge.md). */
import { parseArgs } from "node:util";
import { ConfigError, huaweiCallbackUrl, mergeSources, normalize, OPTION_SPECS, optionsHelp, readConfigFile, startBridge, type BridgeConfig } from "../bridge/index.js";
import { flagOf } from "../bridge/options.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd bridge [--config FILE] [options]

Runs the bridge: platform webhooks (Super SIM IP/SMS Commands, Programmable Wireless, Messaging, Huawei)
→ MQTT events, and MQTT downlink requests → platform API calls, with a durable SQLite outbox.
Options come from a YAML/JSON file (--config), then SIMCMD_BRIDGE_* environment variables, then flags
(later wins). Topics and payloads: docs/bridge.md; running it as a service: docs/deploy.md. A broker that is
away does not stop it: webhooks are kept in the outbox and it reconnects with backoff; credentials or a
certificate the broker refuses do (exit 1). Stops on Ctrl-C (SIGINT) or SIGTERM, draining the outbox.

Options:
  --config FILE                      YAML or JSON file with any of the options below (nested keys as shown)
  --webhook-urls                     print the URLs to set on the platforms (from publicUrl) and exit
  --json                             print one line {"url", "mqtt", "mqtt_state", "instance", "shared"} once listening
  -h, --help                         this help
${optionsHelp()}`;

export async function runBridge(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    config: { type: "string" },
    json: { type: "boolean" },
    "webhook-urls": { type: "boolean" },
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
    if (values["webhook-urls"]) {
      io.out(webhookUrls(normalize(opts)));
      return 0;
    }
    bridge = await startBridge({ ...opts, log: (l) => io.err(`bridge: ${l}\n`) });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    io.err(`simcmd bridge: ${(e as Error).message}\n`);
    return 1;
  }
  const m = bridge.mqttState();
  if (values.json) io.out(JSON.stringify({ url: bridge.url, mqtt: bridge.mqttUrl, mqtt_state: m.state, instance: bridge.instance, shared: bridge.shared }) + "\n");
  else {
    const state = m.state === "up" ? "connected" : `not connected yet${m.error === null ? "" : ` (${m.error})`}: webhooks go to the outbox, reconnecting`;
    io.out(`bridge listening on ${bridge.url} (webhooks under /webhooks/…, /healthz, /metrics)\nMQTT ${bridge.mqttUrl} ${state}, instance ${bridge.instance}${bridge.shared ? ", shared subscription" : ""}\n`);
  }
  await (stop ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }));
  await bridge.close();
  return 0;
}

/** Where each platform must send its webhooks: what to paste into the consoles and API calls. */
export function webhookUrls(cfg: BridgeConfig): string {
  const origin = cfg.publicUrl ?? `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${cfg.port}`;
  const rows: [string, string][] = [
    ["Super SIM Fleet ip_commands_url (Twilio, KORE)", `${origin}/webhooks/twilio/ip-commands`],
    ["Super SIM Fleet sms_commands_url (Twilio, KORE)", `${origin}/webhooks/twilio/sms-commands`],
    ["Programmable Wireless SIM commands_callback_url", `${origin}/webhooks/twilio/commands`],
    ["Messaging phone number, A message comes in (POST)", `${origin}/webhooks/twilio/messages`],
  ];
  rows.push(["Huawei command notifications (subscription callbackUrl)", huaweiCallbackUrl(origin, cfg)]);
  const w = Math.max(...rows.map(([what]) => what.length));
  return rows.map(([what, url]) => `${what.padEnd(w)}  ${url}\n`).join("") + (cfg.publicUrl === null ? "(publicUrl is not set: these are the bridge's own address; set publicUrl to the origin the platforms reach)\n" : "");
}
