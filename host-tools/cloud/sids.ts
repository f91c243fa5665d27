/**
 * Resource SIDs: a two-letter prefix + 32 lowercase hex digits (34 characters), as every Twilio resource has.
 *
 * The mock's SIDs are time-ordered (as a UUIDv7 is), so a new row's key lands at the right-hand end of each
 * table's UNIQUE `sid` index instead of on a random page of it: with a million rows of history, random keys
 * made every insert dirty (and journal) a page nobody else was touching. The 32 digits are
 *   12  the wall clock in ms (real time, not the cloud's settable clock: the order must never go back)
 *    6  a per-process counter, so SIDs made in the same ms keep their order
 *   14  random, so SIDs from separate processes do not collide
 * Nothing may read meaning into a SID: clients treat it as opaque, as they do Twilio's.
 */
import { randomBytes } from "node:crypto";

const RANDOM_BYTES = 7;
// Random bytes are drawn 4 KiB at a time: a syscall per SID would be the costliest part.
let pool = randomBytes(4096);
let used = 0;
let counter = 0;
let lastMs = -1;
let msHex = "";

/** A new SID, e.g. `sid("HG")` → "HG0193…" (34 chars); later calls in this process give greater SIDs. */
export function newSid(prefix: string): string {
  if (!/^[A-Z]{2}$/.test(prefix)) throw new Error(`SID prefix must be two capital letters, got '${prefix}'`);
  const ms = Math.max(Date.now(), lastMs); // a wall clock set back keeps the last ms: the order never goes back
  if (ms !== lastMs) {
    lastMs = ms;
    msHex = ms.toString(16).padStart(12, "0").slice(-12);
  }
  counter = (counter + 1) & 0xffffff;
  if (used + RANDOM_BYTES > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += RANDOM_BYTES;
  return prefix + msHex + counter.toString(16).padStart(6, "0") + pool.toString("hex", used - RANDOM_BYTES, used);
}

/** True when `s` is a well-formed SID with this prefix (hex in either case, as the specs' patterns allow). */
export function isSid(s: string, prefix: string): boolean {
  return s.length === 34 && s.startsWith(prefix) && /^[0-9a-fA-F]{32}$/.test(s.slice(2));
}
