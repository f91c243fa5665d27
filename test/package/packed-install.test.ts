/**
 * The package as a user gets it (slow: npm compiles @agoric/xsnap and better-sqlite3). `npm pack` this checkout
 * (dist/ as `npm run build` left it), install the tarball into an empty project from the npm registry as
 * configured on this machine, and run from there: `simcmd --help`, `simcmd pdu decode …`, `simcmd bridge
 * --help`, `simcmd build` (which says where the built firmware is), and `simcmd dev --json` up to its ready
 * line with one `ping` over MQTT answered `down/succeeded` by a device whose agent runs in XS. Prints the
 * tarball's size and file count, and how long the install took.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import mqtt from "mqtt";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-packed-"));
const project = path.join(work, "project");
const simcmd = path.join(project, "node_modules/.bin/simcmd");
/** npm install of the tarball: compiling XS and SQLite takes minutes on two shared cores; bounded. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;

beforeAll(async () => {
  // --ignore-scripts: no `prepare` rebuild of dist/ under the other test files running meanwhile.
  const packed = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: root, maxBuffer: 64 << 20 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed.stderr}`);
  process.stdout.write(`packed ${info.filename}: ${(info.size / 1024).toFixed(0)} KiB, ${info.entryCount} files (${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked)\n`);
  expect(info.size).toBeLessThan(2 << 20);
  expect(info.entryCount).toBeLessThan(600);
  fs.mkdirSync(project);
  // What a project that depends on simcmd writes: the install scripts it allows (npm 12 runs no others).
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "uses-simcmd", version: "1.0.0", private: true, allowScripts: { "@agoric/xsnap": true, "better-sqlite3": true, "@serialport/bindings-cpp": true } }, null, 2),
  );
  const t0 = Date.now();
  await run("npm", ["install", "--no-audit", "--no-fund", path.join(work, info.filename)], { cwd: project, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 << 20 });
  process.stdout.write(`npm install of the tarball into an empty project: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the installed CLI from the project directory; its exit code and output. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(simcmd, args, { cwd: project, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : -1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

test("the installed package has no devDependencies, no sources and no tests", () => {
  const mods = path.join(project, "node_modules");
  for (const dev of ["cbor-x", "typescript", "jest", "rollup", "typescript-to-lua"]) expect(fs.existsSync(path.join(mods, dev))).toBe(false);
  const pkg = path.join(mods, "simcmd");
  expect(fs.existsSync(path.join(pkg, "dist/host-tools/cli/main.js"))).toBe(true);
  for (const gone of ["test", "firmware", "scripts", "host-tools/bridge"]) expect(fs.existsSync(path.join(pkg, gone))).toBe(false);
});

test("simcmd --help, pdu decode, bridge --help", async () => {
  const help = await cli(["--help"]);
  expect(help).toMatchObject({ code: 0, err: "" });
  expect(help.out).toMatch(/^Usage: simcmd <command>/m);
  const pdu = await cli(["pdu", "decode", "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"]);
  expect(pdu.code).toBe(0);
  expect(JSON.parse(pdu.out)).toMatchObject({ type: "deliver", originator: "+31641600986", text: "How are you?" });
  const bridge = await cli(["bridge", "--help"]);
  expect(bridge).toMatchObject({ code: 0, err: "" });
  expect(bridge.out).toMatch(/^Usage: simcmd bridge/);
});

test("simcmd build says where the built firmware is (the sources are not in the package)", async () => {
  const b = await cli(["build"]);
  expect(b.code).toBe(1);
  expect(b.err).toMatch(/installed package.*ships the built firmware/);
  for (const f of ["xs/agent.js", "espruino/agent.js", "lua/agent.lua", "moddable/manifest.json"]) expect(fs.existsSync(path.join(project, "node_modules/simcmd/dist/firmware", f))).toBe(true);
});

test("simcmd dev --json: ready line, then a ping over MQTT is answered down/succeeded by the XS agent", async () => {
  const child = spawn(simcmd, ["dev", "--json", "--devices", "1", "--cloud-port", "0", "--bridge-port", "0", "--broker-port", "0", "--dashboard-port", "0"], {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let err = "";
  child.stderr.on("data", (d: Buffer) => void (err += d.toString()));
  try {
    const ready = await new Promise<{ mqtt: string; prefix: string; devices: { name: string }[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within 60 s\n${err}`)), 60_000);
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as { mqtt: string; prefix: string; devices: { name: string }[] });
      });
      void exited.then(([code]) => reject(new Error(`simcmd dev exited ${code} before its ready line\n${err}`)));
    });
    const device = ready.devices[0]?.name as string;
    const client = await mqtt.connectAsync(ready.mqtt);
    try {
      await client.subscribeAsync(`${ready.prefix}/devices/${device}/down/+`, { qos: 1 });
      const succeeded = new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no down/succeeded within 30 s\n${err}`)), 30_000);
        client.on("message", (topic, payload) => {
          if (topic !== `${ready.prefix}/devices/${device}/down/succeeded`) return;
          clearTimeout(timer);
          resolve(JSON.parse(payload.toString()) as Record<string, unknown>);
        });
      });
      await client.publishAsync(`${ready.prefix}/devices/${device}/down`, JSON.stringify({ id: "1", command: "ping" }), { qos: 1 });
      expect(await succeeded).toMatchObject({ id: "1", status: "succeeded", result: "pong" });
    } finally {
      await client.endAsync(true);
    }
    child.kill("SIGINT");
    expect(await exited).toEqual([0, null]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}, 120_000);
