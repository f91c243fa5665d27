/**
 * The HAL on Moddable (ECMA-419 IO, Moddable's Timer and Preference): adapters from the Moddable
 * APIs to firmware/hal's interfaces. Types come from Moddable's own typings (@moddable/typings).
 */
import Serial from "embedded:io/serial";
import Timer from "timer";
import Preference from "preference";
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";
import type { KeyValueStore } from "../../hal/storage.js";

/** Preference domain for everything simcmd stores (keys ≤ 15 characters, values ≤ 4000 bytes). */
export const PREFERENCE_DOMAIN = "simcmd";

export function preferenceStore(): KeyValueStore {
  return {
    get(key: string): string | undefined {
      const v = Preference.get(PREFERENCE_DOMAIN, key);
      return typeof v === "string" ? v : undefined;
    },
    set(key: string, value: string): void {
      Preference.set(PREFERENCE_DOMAIN, key, value);
    },
    remove(key: string): void {
      Preference.delete(PREFERENCE_DOMAIN, key);
    },
  };
}

/** Timer-backed clock. Ids map to Moddable Timer objects. */
export function timerClock(): Clock {
  const timers: { [id: number]: Timer } = {};
  let next = 1;
  return {
    now: () => Date.now(),
    setTimeout(cb: () => void, ms: number): number {
      const id = next++;
      timers[id] = Timer.set(() => {
        delete timers[id];
        cb();
      }, ms);
      return id;
    },
    clearTimeout(id: number): void {
      const t = timers[id];
      if (t !== undefined) {
        Timer.clear(t);
        delete timers[id];
      }
    },
  };
}

/** The modem UART (ECMA-419 `embedded:io/serial`, buffer format). Defaults: 115200 baud. */
export function uartSerial(options: { port: number; receive: number; transmit: number; baud?: number }): SerialPort {
  let onData: ((bytes: number[]) => void) | null = null;
  const serial = new Serial({
    port: options.port,
    receive: options.receive,
    transmit: options.transmit,
    baud: options.baud !== undefined ? options.baud : 115200,
    format: "buffer",
    onReadable(count: number) {
      const buf = this.read(count);
      if (buf === undefined || onData === null) return;
      const bytes = new Uint8Array(buf);
      const out: number[] = [];
      for (let i = 0; i < bytes.length; i++) out.push(bytes[i] as number);
      onData(out);
    },
  });
  return {
    write(bytes: number[]): void {
      serial.write(Uint8Array.from(bytes));
    },
    setOnData(cb: (bytes: number[]) => void): void {
      onData = cb;
    },
  };
}
