#!/usr/bin/env node
/**
 * By-hand check of the Moddable modem firmware on the Moddable SDK's Linux build (`lin`), against the
 * virtual modem and the mock cloud. Not run in CI: it needs the Moddable SDK built from source
 * ($MODDABLE, with mcconfig and mcsim on PATH) and Xvfb (mcsim is a GTK program). docs/agent.md,
 * "Running on an ESP32 with a modem", gives what it measured.
 *
 *   node scripts/moddable-lin.js [--modem bg96|sim7080|sara-r4]... [--keep]
 *
 * For each family (default all three), with the commands a person would type:
 *   1. simcmd cloud --port 0 --seed <a Fleet and one active SIM> --json
 *   2. simcmd modem --dialect F --cloud URL --sim NAME --json       → the pty
 *   3. in dist/firmware/moddable/modem: mcconfig -m -i -p lin -o DIR modem=F uartDevice=PTY
 *      (-i: instrumented, so the app prints XS's slots, chunks and stack every second)
 *   4. Xvfb -displayfd … and DISPLAY=:N stdbuf -oL mcsim mc.so    (the app's trace and instruments on stdout)
 * then sends, through the mock's Super SIM API: an IP Command ping, an SMS Command ping, an id twice
 * (`config set apn` first/second: one run, one recorded reply), restarts mcsim and sends that id a
 * third time (answered from the record kept in Preference). Prints each reply and the instruments.
 * Exits 1 when a reply is missing or wrong. Stops every process it started, by its id.
 *
 * Moddable's Linux Preference is the file /tmp/modpreferences.json (config.file.root), shared by every
 * lin app on the machine: it is removed before each family. Run `npm run build` first.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, URLSearchParams } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FAMILIES = ["bg96", "sim7080", "sara-r4"];
const ACCOUNT = "AC5eedf00d5eedf00d5eedf00d5eedf00d";
const TOKEN = "5eedf00d5eedf00d5eedf00d5eedf00d";
const PREFERENCES = "/tmp/modpreferences.json";

const args = process.argv.slice(2);
const families = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--modem" && FAMILIES.includes(args[i + 1])) families.push(args[++i]);
  else if (args[i] === "--keep") continue;
  else {
    process.stderr.write(`usage: node scripts/moddable-lin.js [--modem ${FAMILIES.join("|")}]... [--keep]\n`);
    process.exit(2);
  }
}
const keep = args.includes("--keep");
if (families.length === 0) families.push(...FAMILIES);
if (process.env.MODDABLE === undefined) {
  process.stderr.write("moddable-lin: set MODDABLE to the Moddable SDK and put $MODDABLE/build/bin/lin/release on PATH\n");
  process.exit(2);
}

const started = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-moddable-lin-"));

function show(cmd, argv, env = {}) {
  const e = Object.entries(env).map(([k, v]) => `${k}=${v} `).join("");
  console.log(`$ ${e}${[cmd, ...argv].join(" ")}`);
}

/** Starts a child; `lines` gets each stdout line. */
function start(cmd, argv, options = {}) {
  show(cmd, argv, options.showEnv ?? {});
  const child = spawn(cmd, argv, { cwd: options.cwd ?? root, env: { ...process.env, ...(options.env ?? {}) }, stdio: ["pipe", "pipe", "pipe"], ...(options.extra ?? {}) });
  started.push(child);
  child.lines = [];
  child.waiters = [];
  let buf = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      child.lines.push(line);
      if (options.echo) options.echo(line);
      child.waiters = child.waiters.filter((w) => !w(line));
    }
  });
  child.stderrText = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d) => (child.stderrText = (child.stderrText + d).slice(-4000)));
  return child;
}

/** The first stdout line (already seen or to come) that `test` accepts, within `ms`. */
function waitLine(child, test, ms, what) {
  const seen = child.lines.find(test);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; stderr: ${child.stderrText.slice(-500)}`)), ms);
    child.waiters.push((line) => {
      if (!test(line)) return false;
      clearTimeout(timer);
      resolve(line);
      return true;
    });
  });
}

function run(cmd, argv, cwd) {
  show(cmd, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}:\n${out.slice(-2000)}`))));
  });
}

/** Ends a child it started: SIGTERM, then SIGKILL after 5 s. Waits for the exit, not for its pipes to close. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

async function api(cloud, method, p, form) {
  const res = await fetch(cloud + p, {
    method,
    headers: { authorization: "Basic " + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64"), ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Sends a command and waits (polling the mock's list, at most 20 s) for the from_sim reply starting with its id. */
async function command(cloud, kind, sim, payload) {
  const id = payload.split(" ")[0];
  const list = kind === "ip" ? "/supersim/v1/IpCommands" : "/supersim/v1/SmsCommands";
  const before = (await api(cloud, "GET", `${list}?Sim=${sim}&PageSize=100`))[kind === "ip" ? "ip_commands" : "sms_commands"].length;
  await api(cloud, "POST", list, kind === "ip" ? { Sim: sim, Payload: payload, DevicePort: "6969" } : { Sim: sim, Payload: payload });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const items = (await api(cloud, "GET", `${list}?Sim=${sim}&PageSize=100`))[kind === "ip" ? "ip_commands" : "sms_commands"];
    if (items.length > before + 1) {
      for (const c of items) {
        if (c.direction !== "from_sim") continue;
        const text = kind === "ip" && c.payload_type === "binary" ? Buffer.from(c.payload, "base64").toString("utf8") : c.payload;
        if (text.startsWith(id + " ") && !seenReplies.has(c.sid)) {
          seenReplies.add(c.sid);
          return text;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return "(no reply)";
}
const seenReplies = new Set();

/** Parses the instrumented build's "instruments key:" and "instruments:" lines into named samples. */
function instruments(lines) {
  const key = lines.find((l) => l.startsWith("instruments key: "));
  if (key === undefined) return [];
  const names = key.slice("instruments key: ".length).split(",");
  return lines
    .filter((l) => l.startsWith("instruments: "))
    .map((l) => {
      const v = l.slice("instruments: ".length).split(",").map(Number);
      return Object.fromEntries(names.map((n, i) => [n, v[i]]));
    });
}

function summary(samples) {
  const last = samples[samples.length - 1];
  if (last === undefined) return "no instruments";
  const peak = (n) => Math.max(...samples.map((s) => s[n]));
  return (
    `now: slots ${last["Slot used"]} / ${last["Slot available"]} bytes, chunks ${last["Chunk used"]} / ${last["Chunk available"]} bytes; ` +
    `peaks: slots ${peak("Slot used")}, chunks ${peak("Chunk used")}, stack ${peak("Stack used")} / ${last["Stack available"]} bytes; ` +
    `garbage collections ${samples.reduce((a, s) => a + s["Garbage collections"], 0)}, modules ${last["Modules loaded"]}`
  );
}

async function startDisplay() {
  // -displayfd: Xvfb picks a free display and writes its number on that descriptor.
  const x = start("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "800x600x24"], { extra: { stdio: ["ignore", "ignore", "pipe", "pipe"] } });
  const display = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("Xvfb did not start")), 10000);
    x.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
  });
  return { x, display: `:${display}` };
}

function startApp(so, display, family) {
  return start("stdbuf", ["-oL", "mcsim", so], {
    env: { DISPLAY: display },
    showEnv: { DISPLAY: display },
    echo: (l) => {
      if (!l.startsWith("instruments")) console.log(`  [${family}] ${l}`);
    },
  });
}

async function checkFamily(family) {
  console.log(`\n=== ${family} ===`);
  const sim = `moddable-${family}`;
  const seed = path.join(work, `seed-${family}.json`);
  fs.writeFileSync(seed, JSON.stringify({ fleets: [{ unique_name: "moddable", sms_commands_enabled: true }], sims: [{ iccid: `8988307000000000${String(FAMILIES.indexOf(family) + 201).padStart(4, "0")}`, unique_name: sim, fleet: "moddable", status: "active" }] }));
  const cloudProc = start(process.execPath, ["bin/simcmd.js", "cloud", "--port", "0", "--seed", seed, "--json"]);
  const cloud = JSON.parse(await waitLine(cloudProc, (l) => l.startsWith("{"), 20000, "cloud URL")).url;
  const modem = start(process.execPath, ["bin/simcmd.js", "modem", "--dialect", family, "--cloud", cloud, "--sim", sim, "--json"]);
  const pty = JSON.parse(await waitLine(modem, (l) => l.startsWith("{"), 20000, "modem pty")).port;
  const out = path.join(work, `out-${family}`);
  fs.mkdirSync(out);
  await run("mcconfig", ["-m", "-i", "-p", "lin", "-o", out, `modem=${family}`, `uartDevice=${pty}`], path.join(root, "dist/firmware/moddable/modem"));
  const so = path.join(out, "bin/lin/mc/instrument/modem/mc.so");
  fs.rmSync(PREFERENCES, { force: true });
  const { x, display } = await startDisplay();
  const results = [];
  const expect = (what, got, want) => {
    const ok = got === want;
    results.push(ok);
    console.log(`  ${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(got)}${ok ? "" : ` (expected ${JSON.stringify(want)})`}`);
  };
  let app = startApp(so, display, family);
  await waitLine(app, (l) => l === "simcmd: state ready", 60000, "state ready");
  const atReady = summary(instruments(app.lines));
  const p = family.replace("-", "");
  expect("IP Command ping", await command(cloud, "ip", sim, `${p}i ping`), `${p}i ok pong`);
  expect("SMS Command ping", await command(cloud, "sms", sim, `${p}s ping`), `${p}s ok pong`);
  expect("an id, first time", await command(cloud, "ip", sim, `${p}d config set apn first`), `${p}d ok first`);
  expect("the same id again (recorded reply, not run)", await command(cloud, "ip", sim, `${p}d config set apn second`), `${p}d ok first`);
  await new Promise((r) => setTimeout(r, 1500)); // one more instruments sample after the commands
  const afterCommands = summary(instruments(app.lines));
  expect("the app says the repeat was not run", app.lines.filter((l) => l.startsWith("simcmd: handled ip (repeated id")).length, 1);
  console.log(`  restarting mcsim (Preference: ${fs.existsSync(PREFERENCES) ? fs.statSync(PREFERENCES).size + " bytes in " + PREFERENCES : "no file"})`);
  await stop(app);
  app = startApp(so, display, family);
  await waitLine(app, (l) => l === "simcmd: state ready", 60000, "state ready after the restart");
  expect("the same id after the restart", await command(cloud, "ip", sim, `${p}d config set apn third`), `${p}d ok first`);
  expect("info after the restart", (await command(cloud, "ip", sim, `${p}n info`)).replace(/uptime=\d+s/, "uptime=Ns"), `${p}n ok simcmd 0.1.0 runtime=moddable uptime=Ns modem=${family}`);
  console.log(`  instruments at ready:         ${atReady}`);
  console.log(`  instruments after commands:   ${afterCommands}`);
  console.log(`  instruments after the restart: ${summary(instruments(app.lines))}`);
  if (!keep) {
    await stop(app);
    await stop(x);
    await stop(modem);
    await stop(cloudProc);
  }
  return results.every(Boolean);
}

let ok = true;
try {
  for (const f of families) ok = (await checkFamily(f)) && ok;
} catch (e) {
  ok = false;
  console.error(`moddable-lin: ${e.message}`);
} finally {
  if (!keep) {
    for (const c of started.reverse()) await stop(c);
    fs.rmSync(work, { recursive: true, force: true });
  }
}
console.log(ok ? "\nall answered" : "\nsomething failed");
process.exit(ok ? 0 : 1);
