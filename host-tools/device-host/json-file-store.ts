/**
 * The KeyValueStore (firmware/hal/storage.ts) of the Node device hosts: the simulated device's and the
 * modem device's Node agents, and the XS child serving its worker's storage.
 */
import fs from "node:fs";
import type { KeyValueStore } from "../../firmware/hal/storage.js";

/**
 * Storage in a JSON file (one object of key → value, written atomically), or in memory when `file` is
 * undefined. Kept in a Map, so a key naming an Object.prototype member is an ordinary key.
 */
export class JsonFileStore implements KeyValueStore {
  readonly #file: string | undefined;
  readonly #values = new Map<string, string>();
  constructor(file: string | undefined) {
    this.#file = file;
    if (file === undefined || !fs.existsSync(file)) return;
    let v: unknown;
    try {
      v = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      return; // a damaged file starts afresh, as a reformatted flash would
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) return;
    for (const [key, value] of Object.entries(v)) if (typeof value === "string") this.#values.set(key, value);
  }
  get(key: string): string | undefined {
    return this.#values.get(key);
  }
  set(key: string, value: string): void {
    this.#values.set(key, value);
    this.#save();
  }
  remove(key: string): void {
    this.#values.delete(key);
    this.#save();
  }
  /** Atomic: a crash leaves the old or the new file, never half of one. */
  #save(): void {
    if (this.#file === undefined) return;
    fs.writeFileSync(this.#file + ".tmp", JSON.stringify(Object.fromEntries(this.#values)));
    fs.renameSync(this.#file + ".tmp", this.#file);
  }
}
