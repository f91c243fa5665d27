/**
 * Small persistent key-value storage for device code: Moddable `Preference` (keys ≤ 15
 * characters, values ≤ 4000 bytes), Espruino `Storage`, a file on hosts. Synchronous, as all of
 * those are. Values are byte strings (ASCII in practice: callers hex-encode binary).
 * test/contract/key-value-store.test.ts holds every implementation to these rules.
 */

/** The longest key every store takes (ESP32 NVS, behind Moddable's Preference, allows no more). */
export const MAX_KEY_LENGTH = 15;
/** The largest value every store takes, in bytes (Moddable's Preference on ESP32 allows no more). */
export const MAX_VALUE_BYTES = 4000;

export interface KeyValueStore {
  /** The stored value, or undefined when the key has none. */
  get(key: string): string | undefined;
  /**
   * Stores a value (keys ≤ MAX_KEY_LENGTH characters, values ≤ MAX_VALUE_BYTES bytes). Beyond those a
   * store either stores the value or throws, leaving the earlier one.
   */
  set(key: string, value: string): void;
  /** Removes a key; unknown keys are ignored. */
  remove(key: string): void;
}

/** A store in memory, for tests and boards without flash storage. */
export class MemoryStore implements KeyValueStore {
  values: { [key: string]: string };
  constructor() {
    this.values = {};
  }
  get(key: string): string | undefined {
    // Only strings were stored: anything else is a member of Object.prototype ("toString"), not a value.
    const v: unknown = this.values[key];
    return typeof v === "string" ? v : undefined;
  }
  set(key: string, value: string): void {
    this.values[key] = value;
  }
  remove(key: string): void {
    delete this.values[key];
  }
}
