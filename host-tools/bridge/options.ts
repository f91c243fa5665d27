/**
 * Every bridge option, in one table: its library path (`twilio.baseUrl`), CLI flag (`--twilio-base-url`),
 * environment variable (`SIMCMD_BRIDGE_TWILIO_BASE_URL`), config-file key (nested, same path), type,
 * default and unit. docs/bridge.md and `simcmd bridge --help` list the same table.
 */
export type OptionType = "int" | "string" | "url" | "bool" | "enum" | "map";

export interface OptionSpec {
  path: string;
  type: OptionType;
  default?: string | number | boolean;
  values?: string[];
  min?: number;
  max?: number;
  unit?: string;
  /** type url: the schemes allowed (e.g. ["mqtt:", "mqtts:"]). */
  protocols?: string[];
  help: string;
  secret?: boolean;
}

export const OPTION_SPECS: OptionSpec[] = [
  { path: "port", type: "int", default: 4020, min: 0, max: 65535, help: "HTTP port for webhooks, /healthz and /metrics; 0 = any free port" },
  { path: "host", type: "string", default: "127.0.0.1", help: "HTTP listen address (0.0.0.0 for every interface)" },
  { path: "publicUrl", type: "url", protocols: ["http:", "https:"], help: "origin the platforms call, e.g. https://bridge.example.com (signatures are checked against it; default http://<host>:<port>)" },
  { path: "data", type: "string", default: "./simcmd-bridge-data", help: "directory of the SQLite outbox (bridge.db, WAL)" },
  { path: "durability", type: "enum", values: ["normal", "full"], default: "normal", help: "SQLite sync: normal = survives a process crash (WAL, synchronous=NORMAL); full = also a power loss (fsync per webhook)" },
  { path: "prefix", type: "string", default: "simcmd/v1", help: "MQTT topic prefix" },
  { path: "instance", type: "string", help: "instance name: MQTT client id simcmd-bridge-<instance> (persistent session) and presence topic (default: host name)" },
  { path: "mqtt", type: "url", protocols: ["mqtt:", "mqtts:", "ws:", "wss:"], help: "broker URL mqtt://, mqtts://, ws://, wss://; absent = an embedded Aedes broker" },
  { path: "mqttUsername", type: "string", help: "broker user name" },
  { path: "mqttPassword", type: "string", secret: true, help: "broker password" },
  { path: "mqttCa", type: "string", help: "PEM file of the CA that signed the broker's certificate (mqtts/wss)" },
  { path: "mqttCert", type: "string", help: "PEM client certificate file (mutual TLS)" },
  { path: "mqttKey", type: "string", help: "PEM client key file (mutual TLS)" },
  { path: "mqttInsecure", type: "bool", default: false, help: "accept a broker certificate that does not verify (testing only)" },
  { path: "mqttVersion", type: "enum", values: ["4", "5"], default: "5", help: "MQTT protocol version for an external broker (the embedded Aedes speaks 4)" },
  { path: "sessionExpiry", type: "int", default: 604800, min: 0, unit: "s", help: "MQTT 5 session expiry of the bridge's persistent session" },
  { path: "keepalive", type: "int", default: 30, min: 1, max: 65535, unit: "s", help: "MQTT keepalive" },
  { path: "shared", type: "enum", values: ["auto", "on", "off"], default: "auto", help: "subscribe downlinks as $share/<group>/…: auto = when the broker says it can (MQTT 5 CONNACK)" },
  { path: "shareGroup", type: "string", default: "simcmd", help: "shared-subscription group name" },
  { path: "brokerPort", type: "int", default: 1883, min: 0, max: 65535, help: "embedded broker port; if taken, a free port is used and printed" },
  { path: "brokerHost", type: "string", default: "127.0.0.1", help: "embedded broker listen address" },
  { path: "signature", type: "enum", values: ["auto", "twilio", "kore", "off"], default: "auto", help: "webhook signature check: auto = X-Twilio-Signature, else kore-signature; off = none (testing only)" },
  { path: "twilio.baseUrl", type: "url", protocols: ["http:", "https:"], help: "Twilio API origin; absent = the real platform (set it to the mock cloud's URL)" },
  { path: "twilio.accountSid", type: "string", help: "account SID (AC…): API calls and signature checks" },
  { path: "twilio.authToken", type: "string", secret: true, help: "auth token: API calls, X-Twilio-Signature; the kore-signature secret unless twilio.koreSecret" },
  { path: "twilio.koreSecret", type: "string", secret: true, help: "kore-signature secret (KORE-hosted accounts), default the auth token" },
  { path: "messagingFrom", type: "string", help: "From number (E.164) or Messaging Service SID (MG…) for Messaging SMS downlinks to phone numbers" },
  { path: "messagingDeviceFrom", type: "map", help: "the From number per device (one Twilio number per phone): 15551230001=+15557650001,… (a mapping in a config file); a request's own from wins, messagingFrom is the fallback" },
  { path: "huawei.baseUrl", type: "url", protocols: ["http:", "https:"], help: "Huawei OceanConnect origin (…/iocm/… below it); default <twilio.baseUrl>/huawei when twilio.baseUrl is set" },
  { path: "huawei.appId", type: "string", help: "Huawei appId (default twilio.accountSid)" },
  { path: "huawei.secret", type: "string", secret: true, help: "Huawei app secret (default twilio.authToken)" },
  { path: "huawei.serviceId", type: "string", default: "simcmd", help: "serviceId of commands built from a text command" },
  { path: "redis", type: "url", protocols: ["redis:", "rediss:"], help: "redis:// URL: share the webhook dedupe record (SET NX with TTL) and device state (a Lua script per transition) between bridge instances" },
  { path: "cluster.redis", type: "url", protocols: ["redis:", "rediss:"], help: "the same as redis, in the cluster section of a config file" },
  { path: "postgres", type: "url", protocols: ["postgres:", "postgresql:"], help: "postgres:// URL: copy the outbox there before answering a webhook, so a survivor publishes the rows of an instance that dies for good (outbox takeover)" },
  { path: "cluster.postgres", type: "url", protocols: ["postgres:", "postgresql:"], help: "the same as postgres, in the cluster section of a config file" },
  { path: "cluster.schema", type: "string", default: "simcmd_bridge", help: "PostgreSQL schema of the shared outbox copy and the instances' leases" },
  { path: "cluster.lease", type: "int", default: 15000, min: 100, unit: "ms", help: "an instance silent this long is taken over; also how long a webhook another instance is storing is refused (503) before it may be taken here" },
  { path: "cluster.stateRepair", type: "int", default: 5000, min: 10, unit: "ms", help: "with Redis: a device state not confirmed at the broker this long (its publisher died or the broker was away) is published again by any instance" },
  { path: "dedupeTtl", type: "int", default: 86400, min: 1, unit: "s", help: "how long a webhook event is remembered for dedupe" },
  { path: "noCommunication", type: "int", default: 86400, min: 1, unit: "s", help: "no uplink for this long → device state no_communication" },
  { path: "maxRequestBytes", type: "int", default: 16384, min: 64, unit: "bytes", help: "largest downlink request (MQTT payload) accepted" },
  { path: "platformTimeout", type: "int", default: 15000, min: 100, unit: "ms", help: "one platform API call; a timeout is retried" },
  { path: "retryBase", type: "int", default: 1000, min: 1, unit: "ms", help: "first retry delay after a platform 5xx/timeout (doubles, ±20% jitter, at most 60 s)" },
  { path: "retryMax", type: "int", default: 8, min: 0, max: 100, help: "retries after a platform 5xx/timeout before down/failed" },
  { path: "messagingRetry", type: "int", default: 5000, min: 0, unit: "ms", help: "Messaging SMS sends: the one retry comes after this delay, then failure" },
  { path: "requestTimeout", type: "int", default: 10000, min: 100, max: 600000, unit: "ms", help: "a webhook request (headers and body) must arrive within this; else 408 and the connection is closed" },
  { path: "outboxStuckAfter", type: "int", default: 60, min: 1, unit: "s", help: "outbox rows waiting with no PUBACK for this long → /healthz says outbox_stuck (503)" },
  { path: "qos", type: "enum", values: ["1", "2"], default: "1", help: "QoS of the outbox's publishes: 1 = at least once (a crash may publish a row again); 2 = exactly once across a crash (the MQTT session's packet ids and PUBREC state are kept in the outbox; needs a broker that keeps sessions)" },
  { path: "inflight", type: "int", default: 256, min: 1, max: 65535, unit: "messages", help: "outbox publishes awaiting PUBACK (QoS 2: PUBCOMP) at once" },
];

export function flagOf(path: string): string {
  return "--" + path.replace(/\./g, "-").replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

export function envOf(path: string): string {
  return "SIMCMD_BRIDGE_" + path.replace(/\./g, "_").replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
}

/** The options table as help text (CLI and docs). */
export function optionsHelp(): string {
  return OPTION_SPECS.map((s) => {
    const arg = s.type === "bool" ? "" : s.type === "enum" ? ` ${(s.values ?? []).join("|")}` : s.type === "int" ? " N" : s.type === "map" ? " K=V,…" : " V";
    const dflt = s.default === undefined ? "" : ` (default ${String(s.default)}${s.unit ? " " + s.unit : ""})`;
    const unit = s.default === undefined && s.unit ? ` [${s.unit}]` : "";
    return `  ${(flagOf(s.path) + arg).padEnd(34)} ${s.help}${unit}${dflt}\n${" ".repeat(37)}env ${envOf(s.path)}, file key ${s.path}\n`;
  }).join("");
}
