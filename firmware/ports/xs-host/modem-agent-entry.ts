/**
 * The device agent behind a modem, as an xsnap script (dist/firmware/xs/modem-agent.js): what
 * `simcmd device --runtime xs --modem <family>` runs. The agent, the AT engine and the modem driver
 * all run here, in XS; the HAL is served by the Node host (host-tools/runtimes/xs-child.ts). XS has
 * no timers or I/O of its own, so the host owns them and calls in when something happens.
 * Never throws: an uncaught exception would end the worker.
 *
 * Requests from the host (handleCommand, JSON):
 *   {op: "init", modem, devicePort?, moHost?, moPort?, apn?, version?, maxIds?, atTimeout?,
 *    pollInterval?, registrationTimeout?, dataTimeout?, smsTimeout?, bootTimeout?, retryMin?, retryMax?}
 *                                         the settings of a Moddable manifest's config, read by the
 *                                         same code (../shared/modem-settings.ts); opens the serial
 *                                         port, starts the bring-up → {ok: true}
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
import type { Transport } from "../../agent/agent.js";
import type { ModemAgent } from "../../agent/modem-agent.js";
import { bytesToHex, hexToBytes } from "../../core/hex.js";
import { utf16Text } from "../../core/text.js";
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";
import { readModemSettings, startModemAgent } from "../shared/modem-settings.js";
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

function init(req: { [key: string]: unknown }): object {
  if (agent !== null) return { error: { code: "already-initialised", message: "init was sent before" } };
  const settings = readModemSettings(req);
  if (!settings.ok) return { error: { code: "invalid-request", message: settings.message } };
  const opened = host({ op: "serial.open" });
  if (opened["ok"] !== true) return { error: { code: "serial", message: String(opened["error"]) } };
  const started = startModemAgent(settings.value, { serial: serial, clock: clock, storage: hostStore, text: utf16Text }, "xs", {
    onLog: function (message: string): void {
      host({ op: "event", event: "log", message: message });
    },
    onHandled: function (transport: Transport, executed: boolean): void {
      host({ op: "event", event: "handled", transport: transport, executed: executed });
    },
    onState: function (state: string): void {
      host({ op: "event", event: "state", state: state });
    },
  });
  if (!started.ok) return { error: { code: "invalid-request", message: started.message } };
  agent = started.value;
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
