import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "@jest/globals";
import { runCloud } from "../../host-tools/cli/cloud.js";
import { twilioClient } from "../../host-tools/platform/twilio-client.js";
import { cli } from "../helpers/cli.js";

describe("simcmd cloud", () => {
  test("--help documents every option with its default", async () => {
    const r = await cli(["cloud", "--help"]);
    expect(r.code).toBe(0);
    for (const opt of ["--port", "--host", "--data", "--seed", "--json", "--account-sid", "--auth-token"]) expect(r.out).toContain(opt);
    expect(r.out).toContain("default 4010");
  });

  test("bad usage exits 2", async () => {
    expect((await cli(["cloud", "--port", "x"])).code).toBe(2);
    expect((await cli(["cloud", "--bogus"])).code).toBe(2);
    expect((await cli(["cloud", "--seed", "/nonexistent/seed.json"])).code).toBe(2);
  });

  test("--json prints url/account_sid/auth_token once listening; --seed creates fleets and SIMs; --data persists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simcmd-cloud-"));
    const seed = join(dir, "seed.json");
    writeFileSync(seed, JSON.stringify({ fleets: [{ unique_name: "default", sms_commands_enabled: true }], sims: [{ iccid: "89883070000000000001", unique_name: "dev1", fleet: "default", status: "active" }] }));
    let out = "";
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let announced!: () => void;
    const ready = new Promise<void>((r) => (announced = r));
    const io = { out: (t: string) => ((out += t), announced()), err: () => undefined, lines: async function* () {} };
    const done = runCloud(["--port", "0", "--json", "--seed", seed, "--data", join(dir, "db.sqlite")], io, stopped);
    await ready;
    const info = JSON.parse(out.trim()) as { url: string; account_sid: string; auth_token: string };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = twilioClient({ baseUrl: info.url, accountSid: info.account_sid, authToken: info.auth_token });
    const sim = await client.supersim.v1.sims("dev1").fetch();
    expect(sim.status).toBe("active");
    expect((await client.supersim.v1.fleets("default").fetch()).smsCommandsEnabled).toBe(true);
    stop();
    expect(await done).toBe(0);
  });
});
