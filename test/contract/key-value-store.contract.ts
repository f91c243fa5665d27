/**
 * The KeyValueStore contract (firmware/hal/storage.ts), run against every implementation: what the agent's
 * executed-id memory and its settings may rely on, whichever board or host keeps them.
 *
 *   get(key)         the string last set for the key, or undefined when it has none (never null, never a
 *                    value of another key; keys naming Object.prototype members are ordinary keys)
 *   set(key, value)  the value is what get answers from then on; setting again replaces it
 *   remove(key)      get answers undefined from then on; unknown keys are ignored
 *   limits           keys of up to MAX_KEY_LENGTH characters and values of up to MAX_VALUE_BYTES bytes are
 *                    stored as given; beyond them a store either stores the value too or throws (leaving
 *                    what was stored before as it was): it never takes a value and loses it
 *   persistence      a persistent store reopened over the same storage answers what was set before
 *
 * Each implementation gives its traits (does it persist, can its storage be torn, which limits does it
 * enforce) and a driver: `open()` a store over empty storage, `reopen()` (persistent stores) a new store over
 * what the last one wrote, `damage()` (file-backed stores) leaves the storage as a torn write would,
 * `close()` removes what is left.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { MAX_KEY_LENGTH, MAX_VALUE_BYTES, type KeyValueStore } from "../../firmware/hal/storage.js";

export interface StoreTraits {
  /** What was set outlives the store (reopen gives it back). */
  persistent: boolean;
  /** The storage is a file that a torn write or a damaged flash can leave unreadable (damage). */
  damageable: boolean;
  /** Keys longer than MAX_KEY_LENGTH are refused with an exception (else stored). */
  refusesLongKeys: boolean;
  /** Values larger than MAX_VALUE_BYTES are refused with an exception (else stored). */
  refusesBigValues: boolean;
}

export interface StoreDriver {
  open(): KeyValueStore;
  /** A new store over the storage the last one used (a reboot, a restarted host). Persistent stores only. */
  reopen(): KeyValueStore;
  /** Leaves the storage as a torn write or a damaged flash would. Damageable stores only. */
  damage(): void;
  close(): void;
}

/** Every ASCII character, the ones JSON and file formats escape included. */
const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join("");

/** What get answers for `key`, or that it throws (a store that refuses a key may refuse to look it up). */
function lookUp(store: KeyValueStore, key: string): { value: string | undefined } | "throws" {
  try {
    return { value: store.get(key) };
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return "throws";
  }
}

/** Stores `value` under `key` or throws an Error; an exception must leave what get answered before. */
function setOrRefuse(store: KeyValueStore, key: string, value: string): "stored" | "refused" {
  const before = lookUp(store, key);
  try {
    store.set(key, value);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(lookUp(store, key)).toEqual(before);
    return "refused";
  }
  expect(store.get(key)).toBe(value);
  return "stored";
}

export function keyValueStoreContract(name: string, traits: StoreTraits, make: () => StoreDriver): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    let d: StoreDriver;
    const open = (): KeyValueStore => (d = make()).open();
    afterEach(() => d?.close());

    test("get of a key never set is undefined", () => {
      const store = open();
      expect(store.get("ids")).toBeUndefined();
      expect(store.get("a")).toBeUndefined();
    });

    test("set then get gives the value back; keys are independent", () => {
      const store = open();
      store.set("ids", "0a0b0c");
      store.set("cfg", '{"devicePort":6969}');
      expect(store.get("ids")).toBe("0a0b0c");
      expect(store.get("cfg")).toBe('{"devicePort":6969}');
      expect(store.get("id")).toBeUndefined();
      expect(store.get("ids2")).toBeUndefined();
    });

    test("setting again replaces the value, shorter or longer", () => {
      const store = open();
      store.set("k", "first value");
      store.set("k", "2nd");
      expect(store.get("k")).toBe("2nd");
      store.set("k", "a much longer third value");
      expect(store.get("k")).toBe("a much longer third value");
    });

    test("remove makes get undefined and leaves other keys; unknown keys are ignored", () => {
      const store = open();
      store.set("a", "1");
      store.set("b", "2");
      store.remove("a");
      expect(store.get("a")).toBeUndefined();
      expect(store.get("b")).toBe("2");
      expect(() => store.remove("a")).not.toThrow();
      expect(() => store.remove("never")).not.toThrow();
      store.set("a", "3");
      expect(store.get("a")).toBe("3");
    });

    // "__proto__" is left out: the plain object that is the only map on every device runtime cannot hold it
    // as a key, and no firmware key is one.
    test("keys that name Object.prototype members are ordinary keys", () => {
      const store = open();
      for (const k of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) expect(store.get(k)).toBeUndefined();
      store.set("toString", "t");
      store.set("constructor", "c");
      expect(store.get("toString")).toBe("t");
      expect(store.get("constructor")).toBe("c");
      expect(store.get("valueOf")).toBeUndefined();
      store.remove("toString");
      expect(store.get("toString")).toBeUndefined();
      expect(store.get("constructor")).toBe("c");
    });

    test("any ASCII value comes back as given, quotes, backslashes and control characters included", () => {
      const store = open();
      store.set("ascii", ASCII);
      store.set("json", '{"a":"\\"q\\"\\n"}\r\n');
      expect(store.get("ascii")).toBe(ASCII);
      expect(store.get("json")).toBe('{"a":"\\"q\\"\\n"}\r\n');
    });

    test(`a key of ${MAX_KEY_LENGTH} characters and a value of ${MAX_VALUE_BYTES} bytes are stored as given`, () => {
      const store = open();
      const key = "k".repeat(MAX_KEY_LENGTH - 1) + "z";
      const value = "0123456789abcdef".repeat(Math.ceil(MAX_VALUE_BYTES / 16)).slice(0, MAX_VALUE_BYTES);
      store.set(key, value);
      expect(store.get(key)).toBe(value);
      expect(store.get(key.slice(0, -1))).toBeUndefined();
    });

    test("beyond the limits a value is stored or refused with an exception, never taken and lost", () => {
      const store = open();
      const longKey = "k".repeat(MAX_KEY_LENGTH * 2 + 10);
      const bigValue = "v".repeat(MAX_VALUE_BYTES + 1);
      store.set("big", "small");
      expect(setOrRefuse(store, longKey, "x")).toBe(traits.refusesLongKeys ? "refused" : "stored");
      expect(setOrRefuse(store, "big", bigValue)).toBe(traits.refusesBigValues ? "refused" : "stored");
      expect(store.get("big")).toBe(traits.refusesBigValues ? "small" : bigValue);
    });

    // Registered only where they apply (a memory store has nothing to reopen), so no test is skipped.
    if (traits.persistent) test("reopened over the same storage, a persistent store answers what was set and removed before", () => {
      const first = open();
      first.set("ids", "0102");
      first.set("cfg", "x");
      first.set("gone", "y");
      first.remove("gone");
      first.set("cfg", "z");
      const again = d.reopen();
      expect(again.get("ids")).toBe("0102");
      expect(again.get("cfg")).toBe("z");
      expect(again.get("gone")).toBeUndefined();
      again.set("ids", "03");
      expect(d.reopen().get("ids")).toBe("03");
    });

    if (traits.damageable) test("damaged storage opens empty and works, as a reformatted flash would", () => {
      const first = open();
      first.set("ids", "0102");
      d.damage();
      const again = d.reopen();
      expect(again.get("ids")).toBeUndefined();
      again.set("ids", "03");
      expect(again.get("ids")).toBe("03");
      expect(d.reopen().get("ids")).toBe("03");
    });
  });
}
