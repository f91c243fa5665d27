/**
 * The HAL on Moddable (Moddable's Timer and Preference, ECMA-419 digital IO): adapters from the
 * Moddable APIs to firmware/hal's interfaces. Types come from Moddable's own typings
 * (@moddable/typings). The modem's UART is uart.ts.
 */
import type Digital from "embedded:io/digital";
import Timer from "timer";
import Preference from "preference";
import type { Clock } from "../../hal/clock.js";
import type { KeyValueStore } from "../../hal/storage.js";
import type { PowerHooks } from "../../modems/capabilities.js";
import { preferenceStoreOf } from "./preference-store.js";

/** The KeyValueStore over Moddable's Preference (preference-store.ts). */
export function preferenceStore(): KeyValueStore {
  return preferenceStoreOf(Preference);
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

/**
 * The modem's power key on a GPIO (ECMA-419 `embedded:io/digital`, passed in: Linux builds have
 * none): `on` drives the pin to `level` for `ms` milliseconds, then back. Boards usually drive
 * PWRKEY (BG96, SIM7080G) or PWR_ON (SARA-R4) through a transistor, so `level` 1 pulls the key low.
 */
export function powerKey(DigitalClass: typeof Digital, pin: number, level: 0 | 1, ms: number, clock: Clock): PowerHooks {
  const io = new DigitalClass({ pin: pin, mode: DigitalClass.Output });
  const idle: 0 | 1 = level === 1 ? 0 : 1;
  io.write(idle);
  return {
    on: function (done: () => void): void {
      io.write(level);
      clock.setTimeout(function (): void {
        io.write(idle);
        done();
      }, ms);
    },
  };
}
