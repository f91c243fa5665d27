/** `simcmd cloud`: the mock cloud alone (docs/mock-network.md). */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, startCloud } from "../cloud/index.js";
import { applySeed, parseSeed } from "../cloud/seed.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

const HELP = `Usage: simcmd cloud [options]

Runs the mock cloud: Super SIM, Programmable Wireless, API 2010 and Huawei-style APIs with the UDP/SMS
network simulator (docs/mock-network.md). Point the official twilio client at it with
twilioClient({baseUrl}). Stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port N               TCP port to listen on; 0 = any free port (default 4010)
  --host H               listen address, also used for the simulated network's UDP sockets (default 127.0.0.1)
  --data FILE            SQLite database file, kept across runs (default :memory:, nothing kept)
  --seed FILE            JSON file of Fleets and SIMs to create at start (host-tools/cloud/seed.ts), e.g.
                         {"fleets": [{"unique_name": "default"}], "sims": [{"iccid": "8988307…", "fleet": "default", "status": "active"}]}
  --account-sid AC…      account SID to accept (default ${DEV_ACCOUNT_SID}, the development account)
  --auth-token T         its auth token; also signs callbacks (default ${DEV_AUTH_TOKEN})
  --max-records N        rows kept per table: records lose their oldest, resources refuse more (default 100000)
  --trust-proxy LIST     honour X-Forwarded-Host/-Proto only from these proxy addresses or CIDRs, comma-separated
                         (default: never; docs/security.md)
  --json                 print one line {"url", "account_sid", "auth_token"} once listening (and seeded)
  -h, --help             this help
`;

/** Resolves when the server stops; `stop` (for tests) replaces waiting for a signal. */
export async function runCloud(argv: string[], io: CliIo, stop?: Promise<void>): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      data: { type: "string" },
      seed: { type: "string" },
      "account-sid": { type: "string" },
      "auth-token": { type: "string" },
      "max-records": { type: "string" },
      "trust-proxy": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const port = values.port === undefined ? 4010 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  const maxRecords = values["max-records"] === undefined ? undefined : Number(values["max-records"]);
  if (maxRecords !== undefined && (!/^[1-9]\d{0,8}$/.test(values["max-records"] ?? "") || !Number.isInteger(maxRecords)))
    throw new UsageError(`--max-records must be a positive integer, got '${values["max-records"]}'`);
  const trust = values["trust-proxy"];
  if (trust !== undefined && !/^[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*$/.test(trust)) throw new UsageError(`--trust-proxy must be addresses or CIDRs, comma-separated, got '${trust}'`);
  const sid = values["account-sid"];
  if (sid !== undefined && !/^AC[0-9a-fA-F]{32}$/.test(sid)) throw new UsageError("--account-sid must be AC followed by 32 hex digits");
  let seed = null;
  if (values.seed !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.seed, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read --seed file: ${(e as Error).message}`);
    }
    try {
      seed = parseSeed(text);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const cloud = await startCloud({
    port, host: values.host ?? "127.0.0.1", data: values.data ?? ":memory:", accountSid: sid, authToken: values["auth-token"],
    ...(maxRecords !== undefined ? { maxRecords } : {}), ...(trust !== undefined ? { trustProxy: trust.split(",") } : {}),
  });
  try {
    if (seed) await applySeed(cloud, seed);
  } catch (e) {
    await cloud.close();
    io.err(`simcmd cloud: seeding failed: ${(e as Error).message}\n`);
    return 1;
  }
  if (values.json) io.out(JSON.stringify({ url: cloud.url, account_sid: cloud.accountSid, auth_token: cloud.authToken }) + "\n");
  else io.out(`mock cloud listening on ${cloud.url}\naccount SID ${cloud.accountSid}\nauth token  ${cloud.authToken}\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }));
  await cloud.close();
  return 0;
}
