/**
 * What the Espruino entry points share: Espruino's `Storage` module and the KeyValueStore over it.
 * Espruino Storage file names are at most 28 characters; ours are "sc." + a key of ≤ 15.
 */
import type { KeyValueStore } from "../../hal/storage.js";

export interface Storage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
  erase(name: string): void;
  /** The parsed JSON file, or undefined when it is missing and `noExceptions` is true. */
  readJSON(name: string, noExceptions: boolean): unknown;
}

export function storageOf(st: Storage): KeyValueStore {
  return {
    get: function (key: string): string | undefined {
      const v = st.read("sc." + key);
      return v === undefined || v === null ? undefined : v;
    },
    set: function (key: string, value: string): void {
      st.write("sc." + key, value);
    },
    remove: function (key: string): void {
      st.erase("sc." + key);
    },
  };
}
