/**
 * The KeyValueStore over Moddable's `preference` module (ESP32 NVS on the board: domains and keys of at
 * most 15 characters, values of at most 4000 bytes). The module is passed in, so the store runs against
 * any object of its shape: hal.ts gives Moddable's, the contract suite a stand-in.
 */
import type { KeyValueStore } from "../../hal/storage.js";

/** Preference domain for everything simcmd stores (keys ≤ 15 characters, values ≤ 4000 bytes). */
export const PREFERENCE_DOMAIN = "simcmd";

/** The part of Moddable's `preference` module the store uses. */
export interface PreferenceModule {
  get(domain: string, key: string): unknown;
  set(domain: string, key: string, value: string): void;
  delete(domain: string, key: string): void;
}

export function preferenceStoreOf(preference: PreferenceModule): KeyValueStore {
  return {
    get(key: string): string | undefined {
      const v = preference.get(PREFERENCE_DOMAIN, key);
      return typeof v === "string" ? v : undefined;
    },
    set(key: string, value: string): void {
      preference.set(PREFERENCE_DOMAIN, key, value);
    },
    remove(key: string): void {
      preference.delete(PREFERENCE_DOMAIN, key);
    },
  };
}
