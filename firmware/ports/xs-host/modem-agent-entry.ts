/**
 * The device agent behind a modem, as an xsnap script (dist/firmware/xs/modem-agent.js): what
 * `simcmd device --runtime xs --modem <family>` runs. The agent, the AT engine and the modem driver
 * all run here, in XS; the HAL is served by the Node host (host-tools/runtimes/xs-child.js). XS has
 * no timers or I/O of its own, so the host owns them and calls in when something happens.
 * Never throws: an uncaught exception would end the worker.
 *
 * Requests from the host (handleCommand, JSON):
 *   {op: "init", family, info: {version, runtime, modem}, devicePort?, apn?, mo?: {host?, port?},
 *    maxIds?, atTimeout?, tuning?: {pollInterval, registrationTimeout, …}}
 *                                         opens the serial port, starts the bring-up → {ok: true}
 *   {op: "serial", hex}                   bytes the modem sent                     → {ok: true}
 *   {op: "timer", id}                     a timer set with timer.set fired         → {ok: true}
 *   {op: "status"}                        → {state, family, devicePort, attempts, handledIp, handledSms, errors, lastError}
 * Requests to the host (issueCommand, JSON):
 *   {op: "serial.open"} → {ok} | {error}   {op: "serial.write", hex}
 *   {op: "timer.set", id, ms}              {op: "timer.clear", id}
 *   {op: "storage.get" | "storage.set" | "storage.remove", …} (as agent-entry.ts)
 *   {op: "event", event: "log", message} · {op: "event", event: "handled", transport, executed} ·
 *   {op: "event", event: "state", state}
 */
import { ModemAgent, type ModemTuning } from "../../agent/modem-agent.js";
import type { DeviceInfo } from "../../agent/handlers/types.js";
import { bytesToHex, hexToBytes } from "../../core/hex.js";
import { utf16Text } from "../../core/text.js";
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";
import { MODEM_FAMILIES, modemDriver, type ModemFamily } from "../../modems/index.js";
import { host, hostStore, reply, request } from "./host.js";

let receiver: ((bytes: number[]) => void) | null = null;

const serial: SerialPort = {
  write: function (bytes: number[]): void {
    host({ op: "serial.write", hex: bytesToHex(bytes) });
  },
  setOnData: function (cb: (bytes: number[]) => void): void {
    receiver = cb;
  },
};

/** Pending timers by id ("t" + id: an object, not a Map, as on every device runtime). */
const timers: { [key: string]: () => void } = {};
let nextTimer = 1;

const clock: Clock = {
  now: function (): number {
    return Date.now();
  },
  setTimeout: function (cb: () => void, ms: number): number {
    const id = nextTimer++;
    timers["t" + id] = cb;
    host({ op: "timer.set", id: id, ms: ms > 0 ? ms : 0 });
    return id;
  },
  clearTimeout: function (id: number): void {
    if (timers["t" + id] === undefined) return;
    delete timers["t" + id];
    host({ op: "timer.clear", id: id });
  },
};

let agent: ModemAgent | null = null;

function num(v: unknown): number | undefined {
  return typeof v === "number" && v > 0 ? v : undefined;
}

function init(req: { [key: string]: unknown }): object {
  if (agent !== null) return { error: { code: "already-initialised", message: "init was sent before" } };
  const family = req["family"] as ModemFamily;
  if (MODEM_FAMILIES.indexOf(family) < 0) return { error: { code: "invalid-request", message: "family must be bg96, sim7080 or sara-r4" } };
  const opened = host({ op: "serial.open" });
  if (opened["ok"] !== true) return { error: { code: "serial", message: String(opened["error"]) } };
  const mo = (req["mo"] !== null && typeof req["mo"] === "object" ? req["mo"] : {}) as { [key: string]: unknown };
  const t = (req["tuning"] !== null && typeof req["tuning"] === "object" ? req["tuning"] : {}) as { [key: string]: unknown };
  const tuning: ModemTuning = {
    pollInterval: num(t["pollInterval"]),
    registrationTimeout: num(t["registrationTimeout"]),
    dataTimeout: num(t["dataTimeout"]),
    smsTimeout: num(t["smsTimeout"]),
    bootTimeout: num(t["bootTimeout"]),
  };
  agent = new ModemAgent({
    serial: serial,
    clock: clock,
    storage: hostStore,
    text: utf16Text,
    family: family,
    driver: modemDriver(family),
    info: req["info"] as DeviceInfo,
    devicePort: num(req["devicePort"]),
    moHost: typeof mo["host"] === "string" ? (mo["host"] as string) : undefined,
    moPort: num(mo["port"]),
    apn: typeof req["apn"] === "string" ? (req["apn"] as string) : undefined,
    maxIds: num(req["maxIds"]),
    atTimeout: num(req["atTimeout"]),
    tuning: tuning,
    retryMin: num(req["retryMin"]),
    retryMax: num(req["retryMax"]),
    onLog: function (message: string): void {
      host({ op: "event", event: "log", message: message });
    },
    onHandled: function (transport: string, executed: boolean): void {
      host({ op: "event", event: "handled", transport: transport, executed: executed });
    },
    onState: function (state: string): void {
      host({ op: "event", event: "state", state: state });
    },
  });
  agent.start();
  return { ok: true };
}

function run(req: { [key: string]: unknown }): object {
  const op = req["op"];
  if (op === "init") return init(req);
  if (agent === null) return { error: { code: "not-initialised", message: 'send {op: "init"} first' } };
  if (op === "serial" && typeof req["hex"] === "string") {
    if (receiver !== null) receiver(hexToBytes(req["hex"] as string));
    return { ok: true };
  }
  if (op === "timer" && typeof req["id"] === "number") {
    const key = "t" + req["id"];
    const cb = timers[key];
    if (cb !== undefined) {
      delete timers[key];
      cb();
    }
    return { ok: true };
  }
  if (op === "status") return agent.status();
  return { error: { code: "invalid-request", message: "op must be init, serial, timer or status" } };
}

export default function handleCommand(message: ArrayBuffer): ArrayBuffer {
  try {
    return reply(run(request(message)));
  } catch (e) {
    return reply({ error: { code: "internal", message: String(e) } });
  }
}
