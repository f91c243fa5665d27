/**
 * The record of recently executed command ids and their replies, so that an id seen again is
 * answered with the same reply and never executed twice (docs/agent.md, "Protocol") — across restarts too.
 *
 * Persisted as one storage key per entry (`id0`…`id<N-1>`, a ring, next slot in `idn`), each value
 * `<id hex>:<envelope t|c>:<reply hex>`: one reply of at most 1300 octets fits the 4000-byte limit
 * of Moddable's Preference.
 */
import { byteHex, hexToBytes } from "../core/hex.js";
import { textToUtf8, type TextCodec } from "../core/text.js";
import type { KeyValueStore } from "../hal/storage.js";

/** Entries kept. Default 16. */
export const DEFAULT_MAX_IDS = 16;

export interface Remembered {
  envelope: "text" | "cbor";
  /** The reply exactly as it was sent. */
  reply: number[];
}

function toHex(bytes: number[]): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += byteHex(bytes[i] as number);
  return s;
}

/** The reply an entry `<id hex>:<t|c>:<reply hex>` holds (its id already matched), or null when damaged. */
function rememberedOf(v: string, idHexLength: number): Remembered | null {
  const b = v.indexOf(":", idHexLength + 1);
  if (b < 0) return null;
  try {
    return { envelope: v.substring(idHexLength + 1, b) === "c" ? "cbor" : "text", reply: hexToBytes(v.substring(b + 1)) };
  } catch (_e) {
    return null; // a damaged entry is forgotten, not fatal
  }
}

export class DedupeRecord {
  store: KeyValueStore;
  max: number;
  text: TextCodec;
  /**
   * The ring as stored, one string per slot ("" when empty): a device keeps these few strings in RAM
   * rather than objects and number arrays (on Espruino every array element is a variable of its own).
   * Lookups compare the id's hex with each entry's prefix.
   */
  entries: string[];
  next: number;

  constructor(store: KeyValueStore, max: number, text: TextCodec) {
    this.store = store;
    this.max = max > 0 ? max : DEFAULT_MAX_IDS;
    this.text = text;
    this.entries = [];
    for (let i = 0; i < this.max; i++) {
      const v = store.get("id" + i);
      this.entries.push(v !== undefined && v.indexOf(":") > 0 ? v : "");
    }
    const n = store.get("idn");
    const parsed = n === undefined ? 0 : parseInt(n, 10);
    this.next = parsed >= 0 && parsed < this.max ? parsed : 0;
  }

  /** The reply already sent for `id`, or null. */
  find(id: string): Remembered | null {
    const key = toHex(textToUtf8(id, this.text)) + ":";
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i] as string;
      if (e.length > key.length && e.substring(0, key.length) === key) return rememberedOf(e, key.length - 1);
    }
    return null;
  }

  /** Records `id` and its reply, replacing the oldest entry when full. */
  remember(id: string, remembered: Remembered): void {
    const slot = this.next;
    const v = toHex(textToUtf8(id, this.text)) + ":" + (remembered.envelope === "cbor" ? "c" : "t") + ":" + toHex(remembered.reply);
    this.entries[slot] = v;
    this.store.set("id" + slot, v);
    this.next = (slot + 1) % this.max;
    this.store.set("idn", "" + this.next);
  }
}
