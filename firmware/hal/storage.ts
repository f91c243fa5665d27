/**
 * Small persistent key-value storage for device code: Moddable `Preference` (keys ≤ 15
 * characters, values ≤ 4000 bytes), Espruino `Storage`, a file on hosts. Synchronous, as all of
 * those are. Values are byte strings (ASCII in practice: callers hex-encode binary).
 */
export interface KeyValueStore {
  /** The stored value, or undefined when the key has none. */
  get(key: string): string | undefined;
  /** Stores a value (keys ≤ 15 characters, values ≤ 4000 bytes). */
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
    return this.values[key];
  }
  set(key: string, value: string): void {
    this.values[key] = value;
  }
  remove(key: string): void {
    delete this.values[key];
  }
}
