/**
 * deploy/simcmd-bridge.service as docs/deploy.md installs it: `systemd-analyze verify` accepts it (with its
 * ExecStart pointed at this checkout's CLI), and its ExecStart runs — with the unit's Environment=, the
 * shipped deploy/bridge.env as EnvironmentFile= and deploy/bridge.yaml as --config — against the machine's
 * Mosquitto: it listens, /healthz says the broker is up, a webhook signed for the public https URL (as the
 * platform signs it, behind the TLS proxy) is taken and one signed for another URL is refused; the URLs that
 * `--webhook-urls` prints answer (the Huawei one with its token, refused without); the documented
 * sqlite3 backup and inspection commands work on its data directory while it runs; KillSignal= stops it with
 * exit 0 within TimeoutStopSec=.
 */
import { afterAll, expect, test } from "@jest/globals";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { twilioSignature } from "../../host-tools/platform/signature.js";
import { tempDir, uniquePrefix } from "../bridge/helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const unitFile = path.join(root, "deploy/simcmd-bridge.service");
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

/** The unit's settings: section → key → values in order (systemd allows a key more than once). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1] as string;
      out.set(section, new Map());
      continue;
    }
    const eq = line.indexOf("=");
    const keys = out.get(section) as Map<string, string[]>;
    const k = line.slice(0, eq);
    keys.set(k, [...(keys.get(k) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

/** KEY=VALUE lines of an environment file (comments and blank lines skipped). */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

const unit = parseUnit(fs.readFileSync(unitFile, "utf8"));
const service = unit.get("Service") as Map<string, string[]>;
const one = (k: string): string => {
  const v = service.get(k);
  if (v?.length !== 1) throw new Error(`[Service] ${k}: expected one value, got ${JSON.stringify(v)}`);
  return v[0] as string;
};

test("the unit: restart policy, state directory as the data directory, environment file, stop signal", () => {
  expect(one("Restart")).toBe("on-failure");
  expect(one("StateDirectory")).toBe("simcmd-bridge");
  expect(service.get("Environment")).toContain("SIMCMD_BRIDGE_DATA=/var/lib/simcmd-bridge");
  expect(one("WorkingDirectory")).toBe("/var/lib/simcmd-bridge");
  expect(one("EnvironmentFile")).toBe("/etc/simcmd/bridge.env");
  expect(one("ExecStart")).toBe("/opt/simcmd/node_modules/.bin/simcmd bridge --config /etc/simcmd/bridge.yaml");
  expect(one("KillSignal")).toBe("SIGTERM");
  expect(unit.get("Install")?.get("WantedBy")).toEqual(["multi-user.target"]);
});

test("systemd-analyze verify accepts it, once ExecStart and EnvironmentFile exist", () => {
  const dir = tempDir("unit");
  dirs.push(dir);
  const copy = path.join(dir.dir, "simcmd-bridge.service");
  fs.writeFileSync(
    copy,
    fs
      .readFileSync(unitFile, "utf8")
      .replace("ExecStart=/opt/simcmd/node_modules/.bin/simcmd ", `ExecStart=${path.join(root, "bin/simcmd.js")} `)
      .replace("EnvironmentFile=/etc/simcmd/bridge.env", `EnvironmentFile=${path.join(root, "deploy/bridge.env")}`),
  );
  const r = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  // and it does fail on a unit whose program is missing (the check can fail)
  expect(spawnSync("systemd-analyze", ["verify", unitFile], { encoding: "utf8" }).stderr).toMatch(/\/opt\/simcmd\/node_modules\/\.bin\/simcmd is not executable/);
});

test("its ExecStart runs: listens, broker up, signatures against the public URL, documented sqlite3 commands, SIGTERM → exit 0", async () => {
  const data = tempDir("unit-data");
  dirs.push(data);
  const [program, ...args] = one("ExecStart").split(" ");
  expect(program).toBe("/opt/simcmd/node_modules/.bin/simcmd");
  const argv = args.map((a) => (a === "/etc/simcmd/bridge.yaml" ? path.join(root, "deploy/bridge.yaml") : a));
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  for (const e of service.get("Environment") ?? []) {
    const [k, v] = [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)];
    env[k] = v === "/var/lib/simcmd-bridge" ? data.dir : v; // the state directory systemd would make
  }
  Object.assign(env, envFile(path.join(root, "deploy/bridge.env")));
  // What differs on a shared test machine: any free port, a topic prefix and client id of its own.
  const prefix = uniquePrefix("unit");
  Object.assign(env, { SIMCMD_BRIDGE_PORT: "0", SIMCMD_BRIDGE_PREFIX: prefix, SIMCMD_BRIDGE_INSTANCE: prefix.replace(/\//g, "-") });
  const child = spawn(process.execPath, [path.join(root, "bin/simcmd.js"), ...argv], { cwd: data.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let err = "";
  child.stderr.on("data", (d: Buffer) => void (err += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /bridge listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && out.includes("\n", m.index + m[0].length)) resolve(m[1] as string);
      });
      void exited.then(([code]) => reject(new Error(`exited ${code} before listening:\n${err}`)));
    });
    const h = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean; mqtt: string };
    expect(h).toMatchObject({ ok: true, mqtt: "up" });

    // The platform signs the URL it calls: the proxy's https origin (publicUrl in bridge.yaml), not ours.
    const token = envFile(path.join(root, "deploy/bridge.env")).SIMCMD_BRIDGE_TWILIO_AUTH_TOKEN as string;
    const p = {
      AccountSid: "AC" + "0".repeat(32), CommandSid: "HG" + "7".repeat(32), SimSid: "HS" + "7".repeat(32), SimUniqueName: "unit-dev",
      PayloadType: "text", Payload: "hello", Direction: "from_sim", Status: "received",
    };
    const post = (signedFor: string) =>
      fetch(`${url}/webhooks/twilio/ip-commands`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(token, signedFor, p) },
        body: new URLSearchParams(p).toString(),
      }).then((r) => r.status);
    expect(await post("https://bridge.example.com/webhooks/twilio/ip-commands")).toBe(204);
    expect(await post(`${url}/webhooks/twilio/ip-commands`)).toBe(403);

    // `--webhook-urls` with the same settings: what to paste into the consoles; each route answers as printed
    const urls = execFileSync(process.execPath, [path.join(root, "bin/simcmd.js"), ...argv, "--webhook-urls"], { env, encoding: "utf8" });
    const printed = [...urls.matchAll(/(https:\/\/bridge\.example\.com\S+)$/gm)].map((m) => m[1] as string);
    expect(printed.map((u) => new URL(u).pathname)).toEqual([
      "/webhooks/twilio/ip-commands", "/webhooks/twilio/sms-commands", "/webhooks/twilio/commands", "/webhooks/twilio/messages", "/v1.0.0/messageReceiver/cmd",
    ]);
    const huawei = new URL(printed[4] as string);
    const notify = (query: string) =>
      fetch(`${url}${huawei.pathname}${query}`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ deviceId: "unit-hw", commandId: "c".repeat(32), result: { resultCode: "DELIVERED" } }),
      }).then((r) => r.status);
    expect(await notify(huawei.search)).toBe(200);
    expect(await notify("")).toBe(403);

    // docs/deploy.md: an online backup and the inspection queries, while the bridge runs
    const db = path.join(data.dir, "bridge.db");
    const backup = path.join(data.dir, "backup.db");
    execFileSync("sqlite3", [db, `.backup ${backup}`]);
    expect(execFileSync("sqlite3", ["-readonly", backup, "PRAGMA integrity_check"], { encoding: "utf8" }).trim()).toBe("ok");
    expect(execFileSync("sqlite3", ["-readonly", db, "SELECT count(*) FROM outbox"], { encoding: "utf8" }).trim()).toMatch(/^\d+$/);
    expect(execFileSync("sqlite3", ["-readonly", db, "SELECT kind, reason_code, reason, topic FROM dead_letters ORDER BY seq"], { encoding: "utf8" })).toBe("");

    const t0 = Date.now();
    child.kill(one("KillSignal") as NodeJS.Signals);
    expect(await exited).toEqual([0, null]);
    expect(Date.now() - t0).toBeLessThan(parseInt(one("TimeoutStopSec"), 10) * 1000);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}, 30_000);
