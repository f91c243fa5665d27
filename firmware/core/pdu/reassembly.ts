/**
 * Reassembly of concatenated short messages (3GPP TS 23.040 §9.2.3.24.1 / .8): parts may arrive
 * out of order or twice; a message whose parts stop arriving is given up after a timeout.
 * Pure: the caller passes the time, so tests need no clock and devices no timers.
 */
import type { Pdu } from "./types.js";

export interface ReassemblerOptions {
  /** Give up on a message this long after its first part arrived. Default: 120000 (ms). */
  timeoutMs?: number;
  /** Most messages held at once; the oldest is given up when another arrives. Default: 8. */
  maxPending?: number;
}

export const DEFAULT_REASSEMBLY_TIMEOUT_MS = 120000;
export const DEFAULT_MAX_PENDING = 8;

/** A whole message: its parts in order and the joined text or data. */
export interface Reassembled {
  parts: Pdu[];
  text?: string;
  data_hex?: string;
}

/** A message given up on: the parts that did arrive and the sequence numbers missing. */
export interface Abandoned {
  key: string;
  parts: Pdu[];
  missing: number[];
  reason: "timeout" | "evicted";
}

interface Pending {
  key: string;
  firstAt: number;
  total: number;
  /** parts[seq - 1], or null while missing. */
  parts: (Pdu | null)[];
  count: number;
}

function senderOf(p: Pdu): string {
  if (p.originator !== undefined) return "o:" + p.originator;
  if (p.destination !== undefined) return "d:" + p.destination;
  return "r:" + (p.recipient !== undefined ? p.recipient : "");
}

function join(parts: Pdu[]): Reassembled {
  const out: Reassembled = { parts: parts };
  let text = "";
  let data = "";
  let hasText = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as Pdu;
    if (p.text !== undefined) {
      text += p.text;
      hasText = true;
    }
    if (p.data_hex !== undefined) data += p.data_hex;
  }
  if (hasText) out.text = text;
  else out.data_hex = data;
  return out;
}

function missingOf(m: Pending): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.total; i++) if (m.parts[i] === null) out.push(i + 1);
  return out;
}

function present(m: Pending): Pdu[] {
  const out: Pdu[] = [];
  for (let i = 0; i < m.total; i++) {
    const p = m.parts[i];
    if (p !== null && p !== undefined) out.push(p);
  }
  return out;
}

export class Reassembler {
  timeoutMs: number;
  maxPending: number;
  pending: Pending[];
  constructor(options: ReassemblerOptions) {
    this.timeoutMs = options.timeoutMs !== undefined ? options.timeoutMs : DEFAULT_REASSEMBLY_TIMEOUT_MS;
    this.maxPending = options.maxPending !== undefined ? options.maxPending : DEFAULT_MAX_PENDING;
    this.pending = [];
  }

  /**
   * Adds a decoded part. Returns the whole message when this part completes it (a PDU without a
   * concatenation element is whole by itself), else null. A duplicate part is ignored.
   * Messages evicted to make room are reported through `abandoned`.
   */
  add(pdu: Pdu, nowMs: number, abandoned: Abandoned[]): Reassembled | null {
    const c = pdu.udh !== undefined ? pdu.udh.concat : undefined;
    if (c === undefined || c.total <= 1) return join([pdu]);
    const key = senderOf(pdu) + "|" + c.ref_bits + ":" + c.ref + "/" + c.total;
    let m: Pending | null = null;
    for (let i = 0; i < this.pending.length; i++) {
      if ((this.pending[i] as Pending).key === key) m = this.pending[i] as Pending;
    }
    if (m === null) {
      if (this.pending.length >= this.maxPending) {
        const old = this.pending.shift() as Pending;
        abandoned.push({ key: old.key, parts: present(old), missing: missingOf(old), reason: "evicted" });
      }
      const parts: (Pdu | null)[] = [];
      for (let i = 0; i < c.total; i++) parts.push(null);
      m = { key: key, firstAt: nowMs, total: c.total, parts: parts, count: 0 };
      this.pending.push(m);
    }
    if (m.parts[c.seq - 1] !== null) return null; // duplicate
    m.parts[c.seq - 1] = pdu;
    m.count++;
    if (m.count < m.total) return null;
    const done = m;
    this.pending = this.pending.filter(function (x) {
      return x !== done;
    });
    return join(present(done));
  }

  /** Gives up on every message older than the timeout; returns them. */
  expire(nowMs: number): Abandoned[] {
    const out: Abandoned[] = [];
    const keep: Pending[] = [];
    for (let i = 0; i < this.pending.length; i++) {
      const m = this.pending[i] as Pending;
      if (nowMs - m.firstAt >= this.timeoutMs) out.push({ key: m.key, parts: present(m), missing: missingOf(m), reason: "timeout" });
      else keep.push(m);
    }
    this.pending = keep;
    return out;
  }
}
