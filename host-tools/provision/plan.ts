/**
 * Device provisioning: the settings a device needs (SIM, device port, MO address, transport, modem
 * family, APN) turned into what each target stores, as an explicit plan that `--dry-run` prints and
 * `run` carries out.
 *
 * - host: a JSON file for `simcmd device --config`.
 * - espruino: `simcmd.json` in the board's Storage (firmware/ports/espruino/agent-entry.ts reads it),
 *   written by one line sent to the board's JavaScript console over its serial port.
 * - moddable: a manifest that includes dist/firmware/moddable/manifest.json (the board's own UDP
 *   stack) or, with a modem, dist/firmware/moddable/modem/manifest.json, and sets `config` (read
 *   through mc/config by firmware/ports/moddable/main.ts or modem-main.ts), then mcconfig:
 *   `mcconfig -d -m -p <board>` (build, flash, debug) for a board; for `lin`, a release build of
 *   the app (`mcconfig -m -p lin -o <dir>`) that mcsim runs.
 */
import fs from "node:fs";
import path from "node:path";
import type { ModemFamily } from "../../firmware/core/limits.js";

export type ProvisionTarget = "host" | "espruino" | "moddable";

export interface DeviceSettings {
  /** SID or unique name of the device's SIM. */
  sim: string;
  /** UDP port for IP Commands. Default DEFAULT_DEVICE_PORT (firmware/core/limits.ts). */
  devicePort: number;
  /** Where MO datagrams go. Default DEFAULT_MO_HOST (firmware/core/limits.ts):<devicePort>. */
  mo: { host: string; port: number };
  /** Preferred transport for replies: "ip", "sms" or "auto" (the request's). Default "auto". */
  transport: "ip" | "sms" | "auto";
  /** Modem family, or undefined for a board's own IP stack. */
  modem: ModemFamily | undefined;
  /** APN of the modem's data context. Default "super". */
  apn: string;
}

export type Step =
  | { kind: "write-file"; file: string; content: string }
  | { kind: "serial-write"; port: string; baud: number; data: string }
  | { kind: "run"; command: string; args: string[]; cwd: string };

export interface Plan {
  target: ProvisionTarget;
  steps: Step[];
  /** What to do after the plan, when it is not part of it (e.g. how to run the built app). */
  next?: string;
}

/** The modem's UART on a Moddable board (any field absent: the manifest's default for the platform). */
export interface ModdableUart {
  /** ESP32: the UART number (0…2). */
  port?: number;
  /** Linux: the tty, e.g. /dev/ttyUSB0 or the virtual modem's /dev/pts/N. */
  device?: string;
  rx?: number;
  tx?: number;
  baud?: number;
  /** The GPIO of the modem's power key; -1 none. */
  powerPin?: number;
}

export interface PlanOptions {
  /** host: the JSON file to write (default simcmd-device.json); moddable: the directory for the manifest (default simcmd-moddable). */
  out?: string;
  /** espruino: the board's serial port (required). */
  port?: string;
  /** espruino: baud rate. Default 9600 (Espruino's console default). */
  baud?: number;
  /** moddable: mcconfig platform. Default esp32. */
  board?: string;
  /** moddable with a modem: its UART and power key. */
  uart?: ModdableUart;
  /** The package root, to find dist/firmware/moddable/manifest.json. */
  root: string;
}

export function planProvision(target: ProvisionTarget, s: DeviceSettings, o: PlanOptions): Plan {
  if (target === "host") {
    const file = path.resolve(o.out ?? "simcmd-device.json");
    const config: Record<string, string | number> = { sim: s.sim, port: s.devicePort };
    if (s.modem !== undefined) {
      config["modem"] = s.modem;
      config["apn"] = s.apn; // the APN only matters through a modem (simcmd device refuses it otherwise)
    }
    return { target, steps: [{ kind: "write-file", file, content: JSON.stringify(config, null, 2) + "\n" }] };
  }
  const device = { sim: s.sim, devicePort: s.devicePort, mo: s.mo, transport: s.transport, modem: s.modem ?? "none", apn: s.apn };
  if (target === "espruino") {
    if (o.port === undefined) throw new Error("espruino: --port (the board's serial port) is required");
    // One console line: Storage.write replaces the file (Espruino Storage API); \x10 turns echo off for the line.
    const data = `\x10require("Storage").write("simcmd.json",${JSON.stringify(JSON.stringify(device))});\n`;
    return { target, steps: [{ kind: "serial-write", port: o.port, baud: o.baud ?? 9600, data }] };
  }
  const dir = path.resolve(o.out ?? "simcmd-moddable");
  const board = o.board ?? "esp32";
  const lin = board === "lin" || board.startsWith("lin/");
  const config: Record<string, string | number> = { sim: s.sim, devicePort: s.devicePort, moHost: s.mo.host, moPort: s.mo.port, transport: s.transport, modem: s.modem ?? "none", apn: s.apn };
  if (s.modem === undefined && o.uart !== undefined) throw new Error("moddable: --uart, --rx, --tx and --power-pin are for the modem firmware: give --modem");
  const u = o.uart ?? {};
  if (lin && (u.port !== undefined || u.rx !== undefined || u.tx !== undefined || u.powerPin !== undefined)) {
    throw new Error("moddable: on lin the modem's UART is a tty: --uart /dev/ttyUSB0 (no UART number, pins or power key)");
  }
  if (!lin && u.device !== undefined) throw new Error(`moddable: on ${board} --uart is a UART number (0, 1 or 2), not a path`);
  if (u.port !== undefined) config["uartPort"] = u.port;
  if (u.device !== undefined) config["uartDevice"] = u.device;
  if (u.rx !== undefined) config["uartReceive"] = u.rx;
  if (u.tx !== undefined) config["uartTransmit"] = u.tx;
  if (u.baud !== undefined) config["uartBaud"] = u.baud;
  if (u.powerPin !== undefined) config["powerPin"] = u.powerPin;
  const firmware = s.modem === undefined ? "dist/firmware/moddable/manifest.json" : "dist/firmware/moddable/modem/manifest.json";
  const manifest = { include: [path.join(o.root, firmware)], config };
  const write: Step = { kind: "write-file", file: path.join(dir, "manifest.json"), content: JSON.stringify(manifest, null, 2) + "\n" };
  if (!lin) return { target, steps: [write, { kind: "run", command: "mcconfig", args: ["-d", "-m", "-p", board], cwd: dir }] };
  // lin: a release build only (the SDK's debug makefile for lin stops every running mcsim and starts
  // its own); the build lands under <dir>/bin.
  return {
    target,
    steps: [write, { kind: "run", command: "mcconfig", args: ["-m", "-p", board, "-o", dir], cwd: dir }],
    next: `run it: mcsim ${path.join(dir, "bin/lin/mc/release", path.basename(dir), "mc.so")} (no display: under Xvfb)`,
  };
}

/** The plan as a person reads it (what --dry-run prints). */
export function describePlan(plan: Plan): string {
  const lines = [`provision ${plan.target}:`];
  plan.steps.forEach((st, i) => {
    if (st.kind === "write-file") lines.push(`  ${i + 1}. write ${st.file}:`, ...st.content.trimEnd().split("\n").map((l) => "       " + l));
    else if (st.kind === "serial-write") lines.push(`  ${i + 1}. send to ${st.port} at ${st.baud} baud: ${JSON.stringify(st.data)}`);
    else lines.push(`  ${i + 1}. in ${st.cwd}: ${st.command} ${st.args.join(" ")}`);
  });
  if (plan.next !== undefined) lines.push(`  then ${plan.next}`);
  return lines.join("\n") + "\n";
}

/** Carries the plan out, step by step; the first failure stops it with the step named. */
export async function runPlan(plan: Plan): Promise<void> {
  for (const st of plan.steps) {
    if (st.kind === "write-file") {
      fs.mkdirSync(path.dirname(st.file), { recursive: true });
      fs.writeFileSync(st.file, st.content);
    } else if (st.kind === "serial-write") {
      const { SerialPort } = await import("serialport");
      const port = new SerialPort({ path: st.port, baudRate: st.baud, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new Error(`cannot open ${st.port}: ${e.message}`)) : resolve())));
      await new Promise<void>((resolve, reject) => port.write(st.data, (e) => (e ? reject(e) : port.drain((d) => (d ? reject(d) : resolve())))));
      await new Promise<void>((resolve) => port.close(() => resolve()));
    } else {
      const { spawn } = await import("node:child_process");
      await new Promise<void>((resolve, reject) => {
        const child = spawn(st.command, st.args, { cwd: st.cwd, stdio: "inherit" });
        child.on("error", (e) => reject(new Error(`${st.command}: ${e.message} (is the Moddable SDK installed and on PATH?)`)));
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${st.command} ${st.args.join(" ")} failed (exit ${code})`))));
      });
    }
  }
}
