/** A bounds-checked cursor over the octets of one PDU; every overrun is a typed "truncated" error. */
import { incomplete } from "../errors.js";

export class Reader {
  /** The input octets; only indexed and `length` read, never changed or kept. */
  bytes: number[];
  pos: number;
  /** One past the last octet of the PDU (the input may be a longer, reused buffer). */
  end: number;
  constructor(bytes: number[], pos: number, end: number) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }
  remaining(): number {
    return this.end - this.pos;
  }
  /** Reads one octet; `field` names it in the error when the input has ended. */
  u8(field: string): number {
    if (this.pos >= this.end) throw incomplete(field, this.pos);
    const b = this.bytes[this.pos] as number;
    this.pos++;
    return b;
  }
  /** Reads one octet; the error names it `field + part` (built only when the input has ended). */
  u8of(field: string, part: string): number {
    if (this.pos >= this.end) throw incomplete(field + part, this.pos);
    const b = this.bytes[this.pos] as number;
    this.pos++;
    return b;
  }
  /** Claims the next `n` octets without copying them; returns the offset of the first. */
  need(n: number, field: string): number {
    if (this.pos + n > this.end) throw incomplete(field, this.end);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  /** Reads `n` octets as a new array. */
  take(n: number, field: string): number[] {
    if (this.pos + n > this.end) throw incomplete(field, this.end);
    const out: number[] = [];
    const end = this.pos + n;
    for (let i = this.pos; i < end; i++) out.push(this.bytes[i] as number);
    this.pos = end;
    return out;
  }
}
