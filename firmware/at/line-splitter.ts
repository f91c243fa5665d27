/**
 * Turns the modem's byte stream into lines, prompts and binary payloads, one byte at a time, so
 * chunks may be split anywhere (inside CR LF, a header or a payload) with the same outcome.
 *
 * Framing (V.250 §5.7.1): responses are <S3><S4>text<S3><S4>, S3 = CR, S4 = LF by default
 * (V.250 §6.2.1, §6.2.2). A line ends at LF, or at a CR followed by anything but LF (an echoed
 * command ends in a lone S3, V.250 §5.2.1, and some modems run echo and response together).
 * Carriage returns are never part of a line; a CR-only terminator is seen when the next byte
 * arrives. NUL bytes outside payloads are dropped (SARA-R4 sends "\0\0" after a reboot:
 * FreeRTOS/FreeRTOS-Cellular-Interface PR #75).
 *
 * Two modes besides plain lines, both set by the owner (the engine) while a byte is handled:
 * - data: the next N octets are a payload, delivered whole and unexamined (CR/LF included).
 *   Requested after a complete line (`readData`) or in the middle of one (`SplitterSink.header`
 *   returns N); in the second case the rest of that line, up to LF, is dropped (the closing quote
 *   of `+USORF: 0,"ip",port,5,"hello"`).
 * - prompt: when armed, the prompt byte (">" for +CMGS, 27.005 §3.5.1) at the start of a line is
 *   reported at once (no CR/LF follows it) and one following space is skipped.
 */
import { atError, type AtError } from "./errors.js";

const CR = 13;
const LF = 10;

/** Receives what the splitter finds. Called synchronously from `feed`. */
export interface SplitterSink {
  /** A non-empty line, without CR/LF, as an 8-bit byte string (one char per octet). */
  line(text: string): void;
  /** The armed prompt byte arrived at the start of a line. */
  prompt(): void;
  /** A payload requested by `readData` or `header` is complete. */
  data(bytes: number[]): void;
  /**
   * Only while `watchHeaders` is true: called after each byte added to the open line. Return
   * N > 0 to read N octets as a payload now (the open line is then the payload's header and is
   * cleared, not reported through `line`), 0 to be asked again after the next byte, -1 when this
   * line holds no payload (not asked again until the line ends).
   */
  header(open: number[]): number;
  /** The bytes broke a limit (see errors.ts). */
  error(e: AtError): void;
}

/** Octets as an 8-bit string: one char per octet (what Espruino and Lua strings are). */
export function bytesToLatin1(bytes: number[], start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** An 8-bit string as octets (chars above 255 keep their low 8 bits). */
export function latin1ToBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 255);
  return out;
}

export class LineSplitter {
  /** When true, `sink.header` sees every byte of the open line (the engine sets it). */
  watchHeaders = false;
  private sink: SplitterSink;
  private maxLine: number;
  private buf: number[] = [];
  private sawCR = false;
  /** Dropping the rest of a line: it was too long, or it held a payload. */
  private dropping = false;
  /** `sink.header` said this line holds no payload: stop asking until it ends. */
  private headerDone = false;
  private promptByte = -1;
  private skipSpace = false;
  private payload: number[] = [];
  private payloadLeft = 0;

  /** `maxLine`: longest line kept, in octets; longer ones are dropped and reported. */
  constructor(maxLine: number, sink: SplitterSink) {
    this.maxLine = maxLine;
    this.sink = sink;
  }

  feed(bytes: number[]): void {
    for (let i = 0; i < bytes.length; i++) this.push(bytes[i] as number);
  }

  /** Reads the next `n` octets (n > 0) as one payload, starting with the next byte handled. */
  readData(n: number): void {
    this.payload = [];
    this.payloadLeft = n;
  }

  /** True while a payload is being read. */
  readingData(): boolean {
    return this.payloadLeft > 0;
  }

  /** Stops a payload read; returns the octets read so far. Line mode resumes. */
  abortData(): number[] {
    const got = this.payload;
    this.payload = [];
    this.payloadLeft = 0;
    return got;
  }

  /** Arms (byte 0..255) or disarms (-1) prompt detection. */
  expectPrompt(byte: number): void {
    this.promptByte = byte;
  }

  /** Octets in the open (unterminated) line. */
  openLength(): number {
    return this.buf.length;
  }

  private push(b: number): void {
    if (this.payloadLeft > 0) {
      this.payload.push(b);
      this.payloadLeft--;
      if (this.payloadLeft === 0) {
        const done = this.payload;
        this.payload = [];
        this.sink.data(done);
      }
      return;
    }
    if (this.sawCR) {
      this.sawCR = false;
      this.endLine();
      if (b === LF) return; // CR LF: one terminator
      this.push(b); // a lone CR ended the line; `b` starts the next (or a payload)
      return;
    }
    if (b === CR) {
      this.sawCR = true;
      return;
    }
    if (b === LF) {
      this.endLine();
      return;
    }
    if (b === 0 || this.dropping) return;
    if (this.skipSpace) {
      this.skipSpace = false;
      if (b === 32) return;
    }
    if (this.buf.length >= this.maxLine) {
      this.dropping = true;
      this.buf = [];
      this.sink.error(atError("malformed", "line-too-long", "a line is longer than " + this.maxLine + " octets; dropped up to its LF"));
      return;
    }
    this.buf.push(b);
    if (this.promptByte >= 0 && this.buf.length === 1 && b === this.promptByte) {
      this.buf = [];
      this.promptByte = -1;
      this.skipSpace = true; // "> " (27.005 §3.5.1: <CR><LF><greater_than><space>)
      this.sink.prompt();
      return;
    }
    if (this.watchHeaders && !this.headerDone) {
      const n = this.sink.header(this.buf);
      if (n > 0) {
        this.buf = [];
        this.dropping = true; // the rest of this line follows the payload
        this.readData(n);
      } else if (n < 0) {
        this.headerDone = true;
      }
    }
  }

  private endLine(): void {
    const wasDropping = this.dropping;
    this.dropping = false;
    this.headerDone = false;
    if (wasDropping || this.buf.length === 0) {
      this.buf = [];
      return;
    }
    const text = bytesToLatin1(this.buf, 0, this.buf.length);
    this.buf = [];
    this.sink.line(text);
  }
}
