/**
 * The KeyValueStore contract against every store the firmware runs on: memory, the Node device hosts' JSON
 * file, the XS host's (the worker's store of firmware/ports/xs-host/host.ts answered by the XS child's
 * services, in this process), Espruino's Storage adapter (over test/helpers/espruino-storage.ts) and the
 * Moddable Preference adapter (over the Preference of firmware/ports/xs-host/moddable-apis.ts, which keeps
 * the ESP32 NVS limits).
 */
import { describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MemoryStore, type KeyValueStore } from "../../firmware/hal/storage.js";
import { storageOf } from "../../firmware/ports/espruino/hal.js";
import { preferenceStoreOf } from "../../firmware/ports/moddable/preference-store.js";
import { hostStore } from "../../firmware/ports/xs-host/host.js";
import { Preference } from "../../firmware/ports/xs-host/moddable-apis.js";
import { JsonFileStore } from "../../host-tools/device-host/json-file-store.js";
import { decodeHostCommand, XsHostServices } from "../../host-tools/runtimes/xs-host-services.js";
import { espruinoStorage } from "../helpers/espruino-storage.js";
import { keyValueStoreContract, type StoreDriver } from "./key-value-store.contract.js";

const NOTHING = { persistent: false, damageable: false, refusesLongKeys: false, refusesBigValues: false };

/** A driver whose stores need nothing but a new object to reopen. */
function memoryDriver(open: () => KeyValueStore): StoreDriver {
  return { open, reopen: open, damage: () => undefined, close: () => undefined };
}

/** A JSON file in a fresh directory: `open` over an empty one, `reopen` over what was written. */
function fileDriver(over: (file: string) => KeyValueStore): StoreDriver {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-kv-"));
  const file = path.join(dir, "storage.json");
  return {
    open: () => over(file),
    reopen: () => over(file),
    damage: () => fs.writeFileSync(file, '{"ids":"01'),
    close: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * xsnap's `issueCommand` of a worker whose host is `services`: the storage commands the worker sends,
 * JSON-encoded both ways as through xsnap (the child serves storage synchronously).
 */
function serveWorker(services: XsHostServices): void {
  (globalThis as { issueCommand?: (m: ArrayBuffer) => ArrayBuffer }).issueCommand = (message) => {
    const cmd = decodeHostCommand(JSON.parse(new TextDecoder().decode(message)));
    const answer = cmd !== undefined && cmd.op.startsWith("storage.") ? services.storage(cmd as Parameters<XsHostServices["storage"]>[0]) : { error: "not a storage command" };
    return new TextEncoder().encode(JSON.stringify(answer)).buffer as ArrayBuffer;
  };
}

/** The XS host's store as its worker sees it, over a host whose storage is `file` (memory when undefined). */
function overXsHost<T>(file: string | undefined, store: () => T): T {
  serveWorker(new XsHostServices({ ...(file === undefined ? {} : { storage: file }), deliver: () => undefined, event: () => undefined }));
  return store();
}

keyValueStoreContract("MemoryStore (firmware/hal/storage.ts)", NOTHING, () => memoryDriver(() => new MemoryStore()));

keyValueStoreContract("JsonFileStore in memory (host-tools/device-host/json-file-store.ts)", NOTHING, () => memoryDriver(() => new JsonFileStore(undefined)));

keyValueStoreContract("JsonFileStore in a file", { ...NOTHING, persistent: true, damageable: true }, () => fileDriver((file) => new JsonFileStore(file)));

keyValueStoreContract("XS host store (xs-host/host.ts through the XS child's services), in a file", { ...NOTHING, persistent: true, damageable: true }, () =>
  fileDriver((file) => overXsHost(file, () => hostStore)),
);

keyValueStoreContract("XS host store, in memory", NOTHING, () => memoryDriver(() => overXsHost(undefined, () => hostStore)));

keyValueStoreContract("Espruino Storage adapter (ports/espruino/hal.ts)", { ...NOTHING, persistent: true, refusesLongKeys: true }, () => {
  const files = new Map<string, Buffer>();
  return memoryDriver(() => storageOf(espruinoStorage(files)));
});

keyValueStoreContract(
  "Moddable Preference adapter (ports/moddable/preference-store.ts) over the NVS-limited Preference",
  { persistent: true, damageable: true, refusesLongKeys: true, refusesBigValues: true },
  () => fileDriver((file) => overXsHost(file, () => preferenceStoreOf(Preference))),
);

describe("JsonFileStore beyond the contract", () => {
  test("a file whose entries are not all strings keeps the strings and drops the rest", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-kv-"));
    try {
      const file = path.join(dir, "storage.json");
      fs.writeFileSync(file, JSON.stringify({ ids: "0102", n: 7, o: { a: 1 }, z: null }));
      const store = new JsonFileStore(file);
      expect(["ids", "n", "o", "z"].map((k) => store.get(k))).toEqual(["0102", undefined, undefined, undefined]);
      store.set("cfg", "x");
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ ids: "0102", cfg: "x" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
