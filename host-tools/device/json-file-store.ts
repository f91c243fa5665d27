/**
 * The KeyValueStore (firmware/hal/storage.ts) of the Node device hosts: the simulated device's and the
 * modem device's Node agents, and the XS child serving its worker's storage.
 */
import fs from "node:fs";
import type { KeyValueStore } from "../../firmware/hal/storage.js";

/** Storage in a JSON file (written atomically), or in memory when `file` is undefined. */
export class JsonFileStore implements KeyValueStore {
  readonly #file: string | undefined;
  readonly #values: Record<string, string>;
  constructor(file: string | undefined) {
    this.#file = file;
    let values: Record<string, string> = {};
    if (file !== undefined && fs.existsSync(file)) {
      try {
        const v: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
        if (v !== null && typeof v === "object" && !Array.isArray(v)) values = v as Record<string, string>;
      } catch {
        values = {}; // a damaged file starts afresh, as a reformatted flash would
      }
    }
    this.#values = values;
  }
  get(key: string): string | undefined {
    return Object.hasOwn(this.#values, key) ? this.#values[key] : undefined;
  }
  set(key: string, value: string): void {
    this.#values[key] = value;
    this.#save();
  }
  remove(key: string): void {
    delete this.#values[key];
    this.#save();
  }
  /** Atomic: a crash leaves the old or the new file, never half of one. */
  #save(): void {
    if (this.#file === undefined) return;
    fs.writeFileSync(this.#file + ".tmp", JSON.stringify(this.#values));
    fs.renameSync(this.#file + ".tmp", this.#file);
  }
}
