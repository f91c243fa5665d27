/**
 * The record of recently executed command ids and their replies, so that an id seen again is
 * answered with the same reply and never executed twice (DESIGN.md §6) — across restarts too.
 *
 * Persisted as one storage key per entry (`id0`…`id<N-1>`, a ring, next slot in `idn`), each value
 * `<id hex>:<envelope t|c>:<reply hex>`: one reply of at most 1300 octets fits the 4000-byte limit
 * of Moddable's Preference.
 */
import { byteHex, hexToBytes } from "../core/hex.js";
import { textToUtf8, utf8ToText, type TextCodec } from "../core/text.js";
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

interface Entry {
  id: string;
  remembered: Remembered;
}

function parseEntry(v: string | undefined, text: TextCodec): Entry | null {
  if (v === undefined) return null;
  const a = v.indexOf(":");
  const b = a < 0 ? -1 : v.indexOf(":", a + 1);
  if (a < 0 || b < 0) return null;
  const env = v.substring(a + 1, b);
  try {
    return {
      id: utf8ToText(hexToBytes(v.substring(0, a)), text),
      remembered: { envelope: env === "c" ? "cbor" : "text", reply: hexToBytes(v.substring(b + 1)) },
    };
  } catch (_e) {
    return null; // a damaged entry is forgotten, not fatal
  }
}

export class DedupeRecord {
  store: KeyValueStore;
  max: number;
  text: TextCodec;
  /** In-memory copy of the ring; lookups scan every slot. */
  entries: (Entry | null)[];
  next: number;

  constructor(store: KeyValueStore, max: number, text: TextCodec) {
    this.store = store;
    this.max = max > 0 ? max : DEFAULT_MAX_IDS;
    this.text = text;
    this.entries = [];
    for (let i = 0; i < this.max; i++) this.entries.push(parseEntry(store.get("id" + i), text));
    const n = store.get("idn");
    const parsed = n === undefined ? 0 : parseInt(n, 10);
    this.next = parsed >= 0 && parsed < this.max ? parsed : 0;
  }

  /** The reply already sent for `id`, or null. */
  find(id: string): Remembered | null {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e !== null && e !== undefined && e.id === id) return e.remembered;
    }
    return null;
  }

  /** Records `id` and its reply, replacing the oldest entry when full. */
  remember(id: string, remembered: Remembered): void {
    const slot = this.next;
    this.entries[slot] = { id: id, remembered: remembered };
    this.store.set("id" + slot, toHex(textToUtf8(id, this.text)) + ":" + (remembered.envelope === "cbor" ? "c" : "t") + ":" + toHex(remembered.reply));
    this.next = (slot + 1) % this.max;
    this.store.set("idn", "" + this.next);
  }
}
