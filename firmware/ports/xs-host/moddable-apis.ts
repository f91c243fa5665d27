/**
 * The Moddable modules the modem firmware imports (`embedded:io/serial`, `timer`, `preference`,
 * `modules`, `mc/config`) and its global `trace`, served in xsnap by the Node host's HAL (the
 * `issueCommand` services of host.ts), so that dist/firmware/xs/moddable-modem.js runs the Moddable
 * entry and its adapters (../moddable/modem-main.ts, hal.ts, uart.ts) as bundled for the board.
 * scripts/build.js maps each of those module names here.
 *
 * They keep the limits that bite on the board: a serial write larger than the room the last
 * `onWritable` gave throws (as the Linux serial does above 1024 bytes, the ESP32 one above its FIFO),
 * and Preference domains and keys over 15 characters or values over 4000 bytes throw (ESP32 NVS).
 */
import { bytesToHex, hexToBytes } from "../../core/hex.js";
import { MAX_KEY_LENGTH, MAX_VALUE_BYTES } from "../../hal/storage.js";
import { host, hostStore } from "./host.js";

/** The room one onWritable announces (the Linux serial's write buffer). */
export const SERIAL_ROOM = 1024;

/** Moddable's global trace: one log event per call, without the trailing newline. */
(globalThis as unknown as { trace: (message: string) => void }).trace = function (message: string): void {
  host({ op: "event", event: "log", message: message.charAt(message.length - 1) === "\n" ? message.substring(0, message.length - 1) : message });
};

/** The settings mc/config exports: filled from the init request before the entry runs. */
export const config: { [key: string]: unknown } = {};

/** Host timers by id (xsnap has none): Timer.set's callbacks, and the serial's onWritable. */
const timers: { [key: string]: () => void } = {};
let nextTimer = 1;

function setTimer(cb: () => void, ms: number): number {
  const id = nextTimer++;
  timers["t" + id] = cb;
  host({ op: "timer.set", id: id, ms: ms > 0 ? ms : 0 });
  return id;
}

function clearTimer(id: number): void {
  if (timers["t" + id] === undefined) return;
  delete timers["t" + id];
  host({ op: "timer.clear", id: id });
}

/** The host's `{op: "timer", id}`: runs that timer's callback once. */
export function fireTimer(id: number): void {
  const cb = timers["t" + id];
  if (cb === undefined) return;
  delete timers["t" + id];
  cb();
}

interface TimerHandle {
  id: number;
}

export const Timer = {
  set: function (cb: (t: TimerHandle) => void, ms?: number): TimerHandle {
    const t: TimerHandle = { id: 0 };
    t.id = setTimer(function (): void {
      cb(t);
    }, ms !== undefined ? ms : 0);
    return t;
  },
  clear: function (t: TimerHandle | undefined | null): void {
    if (t !== undefined && t !== null) clearTimer(t.id);
  },
};

function checkName(what: string, s: string): void {
  if (s.length === 0 || s.length > MAX_KEY_LENGTH) throw new Error("Preference " + what + " must be 1 to " + MAX_KEY_LENGTH + " characters: " + s);
}

export const Preference = {
  get: function (domain: string, key: string): string | undefined {
    checkName("domain", domain);
    checkName("key", key);
    return hostStore.get(domain + "." + key);
  },
  set: function (domain: string, key: string, value: string): void {
    checkName("domain", domain);
    checkName("key", key);
    if (value.length > MAX_VALUE_BYTES) throw new Error("Preference value over " + MAX_VALUE_BYTES + " bytes");
    hostStore.set(domain + "." + key, value);
  },
  delete: function (domain: string, key: string): void {
    hostStore.remove(domain + "." + key);
  },
};

/** No optional modules in this build (modem-main asks for embedded:io/digital). */
export const Modules = {
  has: function (_name: string): boolean {
    return false;
  },
  importNow: function (name: string): unknown {
    throw new Error("no module " + name);
  },
};

interface SerialOptions {
  onReadable: (count: number) => void;
  onWritable: (count: number) => void;
}

/** The one open serial port (the host has one tty), fed by `{op: "serial", hex}`. */
const opened: { port: SerialPortShim | null } = { port: null };

class SerialPortShim {
  o: SerialOptions;
  received: number[] = [];
  room = 0;

  constructor(o: SerialOptions) {
    const r = host({ op: "serial.open" });
    if (r["ok"] !== true) throw new Error(String(r["error"]));
    this.o = o;
    opened.port = this;
    this.announceRoom();
  }

  announceRoom(): void {
    setTimer((): void => {
      this.room = SERIAL_ROOM;
      this.o.onWritable(SERIAL_ROOM);
    }, 0);
  }

  read(count: number): ArrayBuffer | undefined {
    if (this.received.length === 0) return undefined;
    const n = count < this.received.length ? count : this.received.length;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.received[i] as number;
    this.received.splice(0, n);
    return out.buffer;
  }

  write(data: ArrayBuffer): void {
    const view = new Uint8Array(data);
    if (view.length > this.room) throw new Error("would overflow");
    this.room = 0;
    const bytes: number[] = [];
    for (let i = 0; i < view.length; i++) bytes.push(view[i] as number);
    host({ op: "serial.write", hex: bytesToHex(bytes) });
    this.announceRoom();
  }
}

export const Serial = SerialPortShim;

/** The host's `{op: "serial", hex}`: bytes from the tty, announced with onReadable. */
export function receiveSerial(hex: string): void {
  const port = opened.port;
  if (port === null) return;
  const bytes = hexToBytes(hex);
  for (let i = 0; i < bytes.length; i++) port.received.push(bytes[i] as number);
  port.o.onReadable(port.received.length);
}
