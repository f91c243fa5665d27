/**
 * Unsolicited result codes (V.250 §5.7.1 "unsolicited result codes"; 27.007 and 27.005 define
 * most of them: +CEREG 27.007 §10.1.22, +CMTI/+CMT/+CDS 27.005 §3.4.1) go to handlers registered
 * by line prefix. The router only matches; the engine decides when a line is unsolicited
 * (engine.ts, `route`) and gathers the extra lines or payload a URC announces.
 */
/**
 * How long the payload after a header is. Called with the header text so far (`complete`
 * false: the line is still open, called after each byte) or the whole line (`complete` true).
 * Return the payload length in octets (> 0) to have the engine read it raw next, 0 when the
 * header announces no payload, -1 when an open header is not finished yet.
 *
 *   +QIRD: 5<CR><LF>hello        complete line, then 5 octets   (BG96 AT+QIRD)
 *   +CARECV: 5,hello             open header "+CARECV: 5,"      (SIM7080 AT+CARECV)
 *   +USORF: 0,"1.2.3.4",7,5,"hello"  open header up to the quote (SARA-R4 AT+USORF)
 */
export type DataLength = (header: string, complete: boolean) => number;

/**
 * A URC handler. `lines[0]` is the line that matched the prefix; with `lines: n` in the options
 * it is followed by the next n-1 lines (e.g. the PDU after `+CMT: ,23`). `data` is the payload
 * read after the header when the options have `data`, else [].
 */
export type UrcHandler = (lines: string[], data: number[]) => void;

export interface UrcOptions {
  /**
   * Lines that make up the URC, the matching line included. Defaults to 1. Use 2 for the PDU-mode
   * +CMT, +CDS and +CBM (27.005 §3.4.1: `+CMT: [<alpha>],<length><CR><LF><pdu>`).
   */
  lines?: number;
  /** The URC carries a binary payload after (or inside) its first line. Default: none. */
  data?: DataLength;
}

export interface UrcRoute {
  prefix: string;
  handler: UrcHandler;
  lines: number;
  data: DataLength | null;
}

function prefixOf(bytes: number[], prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[i] !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

export class UrcRouter {
  private routes: UrcRoute[] = [];

  /** Registers `handler` for lines starting with `prefix`, replacing an earlier one for it. */
  add(prefix: string, handler: UrcHandler, options: UrcOptions | undefined): void {
    const lines = options !== undefined && options.lines !== undefined && options.lines > 1 ? options.lines : 1;
    const data = options !== undefined && options.data !== undefined ? options.data : null;
    this.remove(prefix);
    this.routes.push({ prefix: prefix, handler: handler, lines: lines, data: data });
  }

  /** Removes the handler for exactly `prefix`; false when there was none. */
  remove(prefix: string): boolean {
    for (let i = 0; i < this.routes.length; i++) {
      if ((this.routes[i] as UrcRoute).prefix === prefix) {
        this.routes.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** The route whose prefix starts `line`; the longest prefix wins. */
  match(line: string): UrcRoute | null {
    let best: UrcRoute | null = null;
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i] as UrcRoute;
      if (line.length < r.prefix.length || line.substring(0, r.prefix.length) !== r.prefix) continue;
      if (best === null || r.prefix.length > best.prefix.length) best = r;
    }
    return best;
  }

  /** The longest prefix of a route that reads a payload, 0 when none does (no open-line watch). */
  dataPrefixLength(): number {
    let n = 0;
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i] as UrcRoute;
      if (r.data !== null && r.prefix.length > n) n = r.prefix.length;
    }
    return n;
  }

  /** For an open line: the payload-reading route it starts with (longest prefix), or null. */
  openHeader(open: number[]): UrcRoute | null {
    let best: UrcRoute | null = null;
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i] as UrcRoute;
      if (r.data === null || !prefixOf(open, r.prefix)) continue;
      if (best === null || r.prefix.length > best.prefix.length) best = r;
    }
    return best;
  }
}

export { prefixOf };
