#!/usr/bin/env node
/**
 * simcmd build (`npm run build`, also npm's `prepare`).
 *
 *   node scripts/build.js [--target espruino|lua|xs|node|all]...   (default: all; repeatable)
 *
 * Steps (independent ones run in parallel):
 *   node      tsc -p tsconfig.build.json            host-tools + firmware core → dist/ (with .d.ts), and the
 *             dashboard page (host-tools/dashboard/public/, served as is) → dist/host-tools/dashboard/public/
 *   espruino  tsc -p firmware/tsconfig.json (ES5)   → build/firmware/, then rollup
 *   xs          → dist/firmware/espruino/{pdu,agent,modem-agent-<family>}.js (minified by terser) and
 *               dist/firmware/xs/*.js (manifests/espruino/rollup.config.js); with --modem F, of the
 *               per-family Espruino modem bundles only F's
 *   lua       tstl -p manifests/lua/tsconfig.lua.json → dist/firmware/lua/pdu.lua (Lua 5.3)
 *   moddable  the same tsc + rollup → dist/firmware/moddable/main.js (Wi-Fi UDP agent) and
 *             dist/firmware/moddable/modem/main.js (behind a modem), each beside its manifest. Named
 *             with --target moddable: then mcconfig -m -p <board> in that directory (the modem one
 *             with --modem F, which sets the config's modem); --dry-run prints that plan instead.
 * Prints each bundle's size. Exits 1 with the failing step's compiler output when a step fails,
 * 2 on bad arguments.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
/** What `all` (and no --target) builds. "moddable" here is its bundle and manifest; mcconfig runs only when
 * the moddable target is named explicitly (it needs the Moddable SDK). */
const TARGETS = ["espruino", "lua", "xs", "node", "moddable"];

function usage(message) {
  if (message) process.stderr.write(`build: ${message}\n`);
  process.stderr.write("usage: node scripts/build.js [--target espruino|lua|xs|node|moddable|all]... [--board esp32/<board>|lin] [--modem bg96|sim7080|sara-r4] [--dry-run]\n");
  process.exit(message ? 2 : 0);
}

/** Named explicitly with --target moddable: also run mcconfig. */
let moddableNamed = false;
/** mcconfig platform. Default esp32 (Moddable's generic ESP32 board). */
let board = "esp32";
/** --modem: the modem family (Espruino: build only this family's modem bundle; Moddable: build the
 * modem firmware with this family in its config). */
let modem;
const MODEMS = ["bg96", "sim7080", "sara-r4"];
/** --dry-run: print the mcconfig plan instead of running it. */
let dryRun = false;

function parseTargets(argv) {
  const chosen = new Set();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value;
    if (arg === "--help" || arg === "-h") usage();
    else if (arg === "--target" || arg === "-t") value = argv[++i];
    else if (arg.startsWith("--target=")) value = arg.slice("--target=".length);
    else if (arg === "--board") {
      board = argv[++i];
      if (board === undefined) usage("--board needs a value, e.g. esp32/moddable_two");
      continue;
    }
    else if (arg === "--modem") {
      modem = argv[++i];
      if (!MODEMS.includes(modem)) usage(`--modem must be ${MODEMS.join(", ")}`);
      continue;
    }
    else if (arg === "--dry-run") {
      dryRun = true;
      continue;
    }
    else usage(`unknown argument ${arg}`);
    if (value === undefined) usage("--target needs a value");
    for (const t of value.split(",")) {
      if (t === "all") TARGETS.forEach((x) => chosen.add(x));
      else if (TARGETS.includes(t)) {
        chosen.add(t);
        if (t === "moddable") moddableNamed = true;
      }
      else usage(`unknown target "${t}" (espruino, lua, xs, node, moddable or all)`);
    }
  }
  return chosen.size === 0 ? new Set(TARGETS) : chosen;
}

class StepError extends Error {}

/** Runs a Node script from a package's bin in a child process; rejects with its output. */
function runNode(step, script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => reject(new StepError(`${step}: cannot start ${script}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new StepError(`${step} failed (exit ${code}): ${path.basename(script)} ${args.join(" ")}\n${out.trim()}`));
    });
  });
}

const tsc = () => path.join(path.dirname(require.resolve("typescript/package.json")), "bin/tsc");
const tstl = () => path.join(path.dirname(require.resolve("typescript-to-lua/package.json")), "dist/tstl.js");

/** dist/firmware/<dir> written by the bundle steps; everything else under dist/ is tsc's output. */
const BUNDLE_DIRS = new Set(["espruino", "xs", "lua", "moddable"]);

async function buildNode() {
  // tsc's output is removed first, so a source file deleted since the last build leaves nothing behind in
  // dist/ (which is what the package ships).
  fs.rmSync(path.join(root, "dist/host-tools"), { recursive: true, force: true });
  const fw = path.join(root, "dist/firmware");
  if (fs.existsSync(fw)) {
    for (const d of fs.readdirSync(fw)) if (!BUNDLE_DIRS.has(d)) fs.rmSync(path.join(fw, d), { recursive: true, force: true });
  }
  await runNode("node", tsc(), ["-p", "tsconfig.build.json"]);
  // The dashboard's page has no build step: its files sit beside the compiled server, which reads them from
  // `./public/` relative to itself.
  const pub = path.join(root, "dist/host-tools/dashboard/public");
  fs.rmSync(pub, { recursive: true, force: true });
  fs.cpSync(path.join(root, "host-tools/dashboard/public"), pub, { recursive: true });
  return [];
}

async function buildFirmwareJs(targets) {
  fs.rmSync(path.join(root, "build/firmware"), { recursive: true, force: true });
  await runNode("firmware (ES5)", tsc(), ["-p", "firmware/tsconfig.json"]);
  const { rollup } = await import("rollup");
  const { firmwareBundles } = await import("../manifests/espruino/rollup.config.js");
  // A full Espruino build starts from an empty directory, so no bundle of an earlier layout lingers.
  if (targets.has("espruino") && modem === undefined) fs.rmSync(path.join(root, "dist/firmware/espruino"), { recursive: true, force: true });
  const files = [];
  for (const b of firmwareBundles(root)) {
    if (!targets.has(b.name)) continue;
    if (modem !== undefined && b.family !== undefined && b.family !== modem) continue;
    const warnings = [];
    try {
      const bundle = await rollup({ ...b.input, onwarn: (w) => warnings.push(w) });
      const { output } = await bundle.write(b.output);
      await bundle.close();
      writeModuleSizes(b.output.file, output[0].modules, (b.output.plugins ?? []).length > 0);
    } catch (e) {
      throw new StepError(`${b.name} bundle failed (rollup): ${e.message}`);
    }
    // Unresolved imports or circular dependencies would break on a device: treat as errors.
    const bad = warnings.filter((w) => w.code === "UNRESOLVED_IMPORT" || w.code === "MISSING_EXPORT");
    if (bad.length > 0) throw new StepError(`${b.name} bundle failed (rollup): ${bad.map((w) => w.message).join("; ")}`);
    for (const w of warnings) process.stderr.write(`build: ${b.name}: rollup warning: ${w.message}\n`);
    files.push(b.output.file);
  }
  return files;
}

/**
 * The size report beside each bundle: `<bundle>.sizes.json` with the bytes each module contributes
 * (rollup's rendered length, before minification), largest first, their sum (`modulesTotal`) and
 * the file's size (`total`: after minification for the minified bundles).
 */
function writeModuleSizes(file, modules, minified) {
  const rows = Object.entries(modules)
    .map(([id, m]) => ({ module: path.relative(path.join(root, "build"), id), bytes: m.renderedLength }))
    .filter((r) => r.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const total = fs.statSync(file).size;
  const modulesTotal = rows.reduce((n, r) => n + r.bytes, 0);
  fs.writeFileSync(file.replace(/\.js$/, ".sizes.json"), JSON.stringify({ bundle: path.relative(root, file), total, minified, modulesTotal, modules: rows }, null, 2) + "\n");
}

/**
 * Puts each manifest beside its Moddable bundle; with --target moddable, runs mcconfig in the
 * Wi-Fi agent's directory, or with --modem in the modem firmware's (the family as a config
 * override, `modem=F`).
 */
async function finishModdable(files) {
  const dir = path.join(root, "dist/firmware/moddable");
  fs.copyFileSync(path.join(root, "manifests/moddable/manifest.json"), path.join(dir, "manifest.json"));
  fs.copyFileSync(path.join(root, "manifests/moddable/modem/manifest.json"), path.join(dir, "modem/manifest.json"));
  if (!moddableNamed) return files;
  const cwd = modem === undefined ? dir : path.join(dir, "modem");
  const args = ["-m", "-p", board, ...(modem === undefined ? [] : [`modem=${modem}`])];
  const plan = `cd ${path.relative(root, cwd)} && mcconfig ${args.join(" ")}`;
  // lin: `-m` is a release build of mc.so (no flashing); Moddable's simulator program runs it.
  const run = board === "lin" ? `; then: mcsim $MODDABLE/build/bin/lin/mc/release/${modem === undefined ? "moddable" : "modem"}/mc.so` : "";
  if (dryRun) {
    console.log(`moddable: mcconfig plan (not run): ${plan}${run}`);
    return files;
  }
  const found = (process.env.PATH ?? "").split(path.delimiter).some((p) => p !== "" && fs.existsSync(path.join(p, "mcconfig")));
  if (!found || process.env.MODDABLE === undefined) {
    throw new StepError(
      `moddable: ${path.relative(root, cwd)}/ has main.js and manifest.json, but the Moddable SDK is missing ` +
        `(${!found ? "mcconfig is not on PATH" : "MODDABLE is not set"}). Install it (https://github.com/Moddable-OpenSource/moddable, ` +
        `documentation/Moddable SDK - Getting Started.md), then run: ${plan}`,
    );
  }
  await new Promise((resolve, reject) => {
    const child = spawn("mcconfig", args, { cwd, stdio: "inherit" });
    child.on("error", (e) => reject(new StepError(`moddable: cannot start mcconfig: ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new StepError(`moddable: mcconfig ${args.join(" ")} failed (exit ${code})`))));
  });
  if (run !== "") console.log(`moddable: built${run}`);
  return files;
}

async function buildLua() {
  await runNode("lua", tstl(), ["-p", "manifests/lua/tsconfig.lua.json"]);
  await runNode("lua agent", tstl(), ["-p", "manifests/lua/tsconfig.agent.lua.json"]);
  return [path.join(root, "dist/firmware/lua/pdu.lua"), path.join(root, "dist/firmware/lua/agent.lua")];
}

async function main() {
  const targets = parseTargets(process.argv.slice(2));
  const started = Date.now();
  const steps = [];
  if (targets.has("node")) steps.push(buildNode());
  if (targets.has("espruino") || targets.has("xs") || targets.has("moddable")) {
    steps.push(buildFirmwareJs(targets).then((files) => (targets.has("moddable") ? finishModdable(files) : files)));
  }
  if (targets.has("lua")) steps.push(buildLua());
  const results = await Promise.allSettled(steps);
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length > 0) {
    for (const f of failed) {
      const e = f.reason;
      process.stderr.write(`build: ${e instanceof StepError ? e.message : e?.stack ?? e}\n`);
    }
    process.exit(1);
  }
  for (const r of results) {
    for (const file of r.value) {
      const size = fs.statSync(file).size;
      console.log(`  ${path.relative(root, file).padEnd(46)} ${String(size).padStart(8)} bytes`);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`build: ${[...targets].join(", ")} done in ${seconds} s`);
}

main().catch((e) => {
  process.stderr.write(`build: ${e?.stack ?? e}\n`);
  process.exit(1);
});
