/**
 * Seed files for `simcmd cloud --seed FILE`: JSON creating Fleets and Super SIMs at start, through the
 * mock's own API (so the same validation applies):
 *
 *   { "fleets": [{ "unique_name": "default", "network_access_profile": "nap", "ip_commands_url": "http://…",
 *                  "ip_commands_method": "POST", "sms_commands_enabled": true, "sms_commands_url": "http://…",
 *                  "sms_commands_method": "POST", "data_enabled": true, "data_limit": 1000 }],
 *     "sims":   [{ "iccid": "89883070000000000001", "registration_code": "0000", "unique_name": "dev1",
 *                  "fleet": "default", "status": "active" }] }
 *
 * Every key but `iccid` is optional (network_access_profile defaults to "default", registration_code to "0000").
 */
import { twilioClient } from "../platform/twilio-client.js";

export interface SeedFleet {
  unique_name?: string;
  network_access_profile?: string;
  ip_commands_url?: string;
  ip_commands_method?: "GET" | "POST";
  sms_commands_enabled?: boolean;
  sms_commands_url?: string;
  sms_commands_method?: "GET" | "POST";
  data_enabled?: boolean;
  data_limit?: number;
}

export interface SeedSim {
  iccid: string;
  registration_code?: string;
  unique_name?: string;
  fleet?: string;
  status?: "ready" | "active" | "inactive";
}

export interface Seed {
  fleets?: SeedFleet[];
  sims?: SeedSim[];
}

/** Checks the shape; throws an Error naming the bad entry. */
export function parseSeed(text: string): Seed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`seed file is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("seed file must be a JSON object {fleets, sims}");
  const s = v as Seed;
  for (const k of Object.keys(s)) if (k !== "fleets" && k !== "sims") throw new Error(`seed file: unknown key '${k}'`);
  if (s.fleets !== undefined && !Array.isArray(s.fleets)) throw new Error("seed file: fleets must be an array");
  if (s.sims !== undefined && !Array.isArray(s.sims)) throw new Error("seed file: sims must be an array");
  (s.sims ?? []).forEach((sim, i) => {
    if (typeof sim?.iccid !== "string") throw new Error(`seed file: sims[${i}].iccid must be a string`);
  });
  return s;
}

/** Creates the seed's Fleets and SIMs in a running cloud; returns their SIDs. */
export async function applySeed(cloud: { url: string; accountSid: string; authToken: string }, seed: Seed): Promise<{ fleets: string[]; sims: string[] }> {
  const client = twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken });
  const fleets: string[] = [];
  const sims: string[] = [];
  for (const f of seed.fleets ?? []) {
    const made = await client.supersim.v1.fleets.create({
      networkAccessProfile: f.network_access_profile ?? "default",
      uniqueName: f.unique_name,
      ipCommandsUrl: f.ip_commands_url,
      ipCommandsMethod: f.ip_commands_method,
      smsCommandsEnabled: f.sms_commands_enabled,
      smsCommandsUrl: f.sms_commands_url,
      smsCommandsMethod: f.sms_commands_method,
      dataEnabled: f.data_enabled,
      dataLimit: f.data_limit,
    });
    fleets.push(made.sid);
  }
  for (const s of seed.sims ?? []) {
    const made = await client.supersim.v1.sims.create({ iccid: s.iccid, registrationCode: s.registration_code ?? "0000" });
    if (s.fleet !== undefined || s.unique_name !== undefined || s.status !== undefined)
      await client.supersim.v1.sims(made.sid).update({ fleet: s.fleet, uniqueName: s.unique_name, status: s.status });
    sims.push(made.sid);
  }
  return { fleets, sims };
}
