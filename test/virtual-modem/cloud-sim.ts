/** A registered, active Super SIM on a started mock cloud. */
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";

export type Client = ReturnType<typeof twilioClient>;

export function simClient(cloud: CloudHandle): { client: Client } {
  return { client: twilioClient({ baseUrl: cloud.url, accountSid: cloud.accountSid, authToken: cloud.authToken }) };
}

let seq = 0;
export async function activeSim(client: Client, name: string): Promise<string> {
  const fleet = await client.supersim.v1.fleets.create({ networkAccessProfile: "HA00000000000000000000000000000000", smsCommandsEnabled: true });
  const iccid = `8988307${String(process.pid % 100000).padStart(5, "0")}${String(seq++).padStart(7, "0")}`;
  const reg = await client.supersim.v1.sims.create({ iccid, registrationCode: "123456" });
  const sim = await client.supersim.v1.sims(reg.sid).update({ fleet: fleet.sid, status: "active", uniqueName: name });
  return sim.sid;
}
