/** Resource SIDs: a two-letter prefix + 32 lowercase hex digits (34 characters), as every Twilio resource has. */
import { randomBytes } from "node:crypto";

// Random bytes are drawn 4 KiB at a time: one SID needs 16, and a syscall per SID is the costliest part.
let pool = randomBytes(4096);
let used = 0;

/** A new random SID, e.g. `sid("HG")` → "HG0123…" (34 chars). */
export function newSid(prefix: string): string {
  if (!/^[A-Z]{2}$/.test(prefix)) throw new Error(`SID prefix must be two capital letters, got '${prefix}'`);
  if (used + 16 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += 16;
  return prefix + pool.toString("hex", used - 16, used);
}

/** True when `s` is a well-formed SID with this prefix (hex in either case, as the specs' patterns allow). */
export function isSid(s: string, prefix: string): boolean {
  return s.length === 34 && s.startsWith(prefix) && /^[0-9a-fA-F]{32}$/.test(s.slice(2));
}
