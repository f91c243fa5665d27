/**
 * The AT command engine: a non-blocking queue with one command in flight, typed results, data
 * prompts, binary payloads and URC routing over an injected SerialPort and Clock. Callbacks
 * only; nothing blocks, nothing is called back from inside `send`. See docs/at-engine.md.
 */
import type { Clock } from "../hal/clock.js";
import type { SerialPort } from "../hal/serial.js";
import { contains, echoIndex, makeCommand, startsWith, takeOff, type AtCallback, type Command, type Flight } from "./command.js";
import { DEFAULT_DATA_TIMEOUT, DEFAULT_MAX_DATA, DEFAULT_MAX_LINE, DEFAULT_TIMEOUT, ESC, option, type AtEngineOptions, type SendOptions } from "./options.js";
import { atError, type AtError } from "./errors.js";
import { LineSplitter, bytesToLatin1, latin1ToBytes, type SplitterSink } from "./line-splitter.js";
import { parseFinal, toResult, type FinalCode } from "./results.js";
import { UrcRouter, prefixOf, type UrcHandler, type UrcOptions, type UrcRoute } from "./urc-router.js";

interface PendingUrc {
  route: UrcRoute;
  lines: string[];
  data: number[];
}

export class AtEngine {
  private serial: SerialPort;
  private clock: Clock;
  private timeout: number;
  private maxData: number;
  private dataTimeout: number;
  private onUnhandled: ((line: string) => void) | null;
  private onError: ((e: AtError) => void) | null;
  private splitter: LineSplitter;
  private router = new UrcRouter();
  private queue: Command[] = [];
  private flight: Flight | null = null;
  private urc: PendingUrc | null = null;
  /** Who the payload being read belongs to: "command", "urc" or "" (none). */
  private dataFor = "";
  private dataTimer = 0;
  /** Longest payload-header prefix being watched for (0: no watch). */
  private watchLength = 0;

  constructor(options: AtEngineOptions) {
    if (options.serial === undefined || options.clock === undefined) throw new TypeError('"serial" and "clock" are required');
    this.serial = options.serial;
    this.clock = options.clock;
    this.timeout = option(options.timeout, "timeout", DEFAULT_TIMEOUT);
    this.maxData = option(options.maxDataLength, "maxDataLength", DEFAULT_MAX_DATA);
    this.dataTimeout = option(options.dataTimeout, "dataTimeout", DEFAULT_DATA_TIMEOUT);
    this.onUnhandled = options.onUnhandled !== undefined ? options.onUnhandled : null;
    this.onError = options.onError !== undefined ? options.onError : null;
    const sink: SplitterSink = {
      line: (text: string) => this.handleLine(text),
      prompt: () => this.handlePrompt(),
      data: (bytes: number[]) => this.handleData(bytes),
      header: (open: number[]) => this.handleOpenHeader(open),
      error: (e: AtError) => this.report(e),
    };
    this.splitter = new LineSplitter(option(options.maxLineLength, "maxLineLength", DEFAULT_MAX_LINE), sink);
    this.serial.setOnData((bytes: number[]) => this.splitter.feed(bytes));
  }

  /**
   * Queues `command` (the whole line, "AT" included, without CR) and calls `cb` once with its
   * result. Commands run one at a time in order; `cb` is never called from inside `send`. A
   * callback may send more commands; it must not throw (the queue would stall until the next send).
   */
  send(command: string, options: SendOptions | null | undefined, cb: AtCallback): void {
    this.queue.push(makeCommand(command, options, cb, this.timeout));
    this.startNext();
  }

  /** Registers a URC handler for lines starting with `prefix` (replaces one for the same prefix). */
  onUrc(prefix: string, handler: UrcHandler, options?: UrcOptions): void {
    this.router.add(prefix, handler, options);
    this.watch();
  }

  /** Removes the URC handler for exactly `prefix`; false when there was none. */
  offUrc(prefix: string): boolean {
    const had = this.router.remove(prefix);
    this.watch();
    return had;
  }

  /**
   * Cancels the payload of the command in flight: when its prompt arrives, ESC is written instead
   * of the payload (27.005 §3.5.1). The command still ends with the modem's final result code.
   * False when no data command is waiting for its prompt (none in flight, or already answered).
   */
  cancel(): boolean {
    const f = this.flight;
    if (f === null || !f.awaitingPrompt) return false;
    f.cancelled = true;
    return true;
  }

  /** True while a command is in flight. */
  busy(): boolean {
    return this.flight !== null;
  }

  /** Commands waiting behind the one in flight. */
  queued(): number {
    return this.queue.length;
  }

  private startNext(): void {
    if (this.flight !== null || this.queue.length === 0) return;
    const cmd = this.queue.shift() as Command;
    const f = takeOff(cmd);
    this.flight = f;
    f.timer = this.clock.setTimeout(() => this.expire(f), cmd.timeout);
    if (f.awaitingPrompt) this.splitter.expectPrompt(cmd.prompt);
    this.watch();
    // V.250 §5.2.1: a command line is terminated by S3 (CR).
    this.serial.write(latin1ToBytes(cmd.text + "\r"));
  }

  private finish(f: Flight, code: FinalCode | null): void {
    if (this.flight !== f) return;
    this.flight = null;
    if (f.timer !== 0) this.clock.clearTimeout(f.timer);
    this.splitter.expectPrompt(-1);
    if (this.dataFor === "command") this.stopData("the command ended");
    this.watch();
    f.cmd.cb(code === null ? { kind: "timeout", lines: f.lines, data: f.data } : toResult(code, f.lines, f.data));
    this.startNext();
  }

  private expire(f: Flight): void {
    f.timer = 0;
    if (this.flight !== f) return;
    // A modem left waiting for a payload would swallow the next command: abort it (27.005 §3.5.1).
    if (f.awaitingPrompt) this.serial.write([ESC]);
    if (this.splitter.openLength() > 0 && !this.splitter.readingData()) {
      this.report(atError("incomplete", "unterminated-line", f.cmd.text + " timed out inside an unterminated line"));
    }
    this.finish(f, null);
  }

  private handleLine(text: string): void {
    let blank = true;
    for (let i = 0; i < text.length && blank; i++) if (text.charCodeAt(i) !== 32) blank = false;
    if (blank) return;
    const f = this.flight;
    const u = this.urc;
    if (u !== null) {
      // The next line completes a multi-line URC (27.005 §3.4.1: +CMT: …<CR><LF><pdu>), unless it
      // is the final result code of the command in flight (then the URC is short a line).
      if (f === null || parseFinal(text) === null) {
        u.lines.push(text);
        if (u.lines.length >= u.route.lines) this.deliverUrc();
        return;
      }
      this.deliverUrc();
    }
    if (f !== null) {
      // Echo (E1, V.250 §6.2.4): the command line or the payload, however often it comes back.
      if (echoIndex(f.echoes, text) >= 0) return;
      if (contains(f.cmd.okLines, text)) return this.finish(f, { kind: "ok" });
      if (contains(f.cmd.errorLines, text)) return this.finish(f, { kind: "error" });
      const code = parseFinal(text);
      if (code !== null) return this.finish(f, code);
      if (f.cmd.prefix !== "" && startsWith(text, f.cmd.prefix)) return this.collect(f, text);
    }
    const route = this.router.match(text);
    if (route !== null) return this.startUrc(route, text);
    // Without a prefix filter, any other line is the command's (e.g. the IMEI of AT+CGSN, the PDU
    // after +CMGR:); with one, only lines that do not look like another information response.
    if (f !== null && (f.cmd.prefix === "" || text.charCodeAt(0) !== 43)) return this.collect(f, text);
    if (this.onUnhandled !== null) this.onUnhandled(text);
  }

  private collect(f: Flight, text: string): void {
    f.lines.push(text);
    const d = f.cmd.data;
    if (d !== null && startsWith(text, d.prefix)) this.startData(d.length(text, true), "command");
  }

  private startUrc(route: UrcRoute, header: string): void {
    this.urc = { route: route, lines: [header], data: [] };
    if (route.data !== null && this.startData(route.data(header, true), "urc")) return;
    if (route.lines <= 1) this.deliverUrc();
  }

  private deliverUrc(): void {
    const u = this.urc as PendingUrc;
    this.urc = null;
    u.route.handler(u.lines, u.data);
  }

  /** Starts reading an announced payload; false when there is none or it is refused. */
  private startData(n: number, owner: string): boolean {
    if (n <= 0) return false;
    if (n > this.maxData) {
      this.report(atError("malformed", "data-too-long", "a payload of " + n + " octets exceeds maxDataLength " + this.maxData));
      return false;
    }
    this.dataFor = owner;
    this.splitter.readData(n);
    this.dataTimer = this.clock.setTimeout(() => {
      this.dataTimer = 0;
      this.stopData("it did not complete within " + this.dataTimeout + " ms");
    }, this.dataTimeout);
    return true;
  }

  private stopData(why: string): void {
    if (this.dataTimer !== 0) this.clock.clearTimeout(this.dataTimer);
    this.dataTimer = 0;
    const owner = this.dataFor;
    this.dataFor = "";
    const got = this.splitter.abortData();
    if (owner === "urc") this.urc = null; // a URC without its payload is not delivered
    this.report(atError("incomplete", "data-timeout", "payload abandoned after " + got.length + " octets: " + why));
  }

  private handleData(bytes: number[]): void {
    if (this.dataTimer !== 0) this.clock.clearTimeout(this.dataTimer);
    this.dataTimer = 0;
    const owner = this.dataFor;
    this.dataFor = "";
    const f = this.flight;
    if (owner === "command" && f !== null) {
      f.data.push(bytes);
    } else if (owner === "urc" && this.urc !== null) {
      this.urc.data = bytes;
      if (this.urc.lines.length >= this.urc.route.lines) this.deliverUrc();
    }
  }

  /**
   * Open-line watch (splitter): a payload that starts inside a header line. Returns the payload
   * length to read now, 0 to be asked again, -1 when this line holds none.
   */
  private handleOpenHeader(open: number[]): number {
    const f = this.flight;
    if (f !== null && f.cmd.data !== null && prefixOf(open, f.cmd.data.prefix)) {
      const text = bytesToLatin1(open, 0, open.length);
      const n = f.cmd.data.length(text, false);
      if (n < 0) return 0;
      if (n === 0) return -1;
      if (!this.startData(n, "command")) return -1;
      f.lines.push(text);
      return n;
    }
    const route = this.router.openHeader(open);
    if (route === null || route.data === null) return open.length >= this.watchLength ? -1 : 0;
    const text = bytesToLatin1(open, 0, open.length);
    const n = route.data(text, false);
    if (n < 0) return 0;
    if (n === 0 || !this.startData(n, "urc")) return -1;
    this.urc = { route: route, lines: [text], data: [] };
    return n;
  }

  private handlePrompt(): void {
    const f = this.flight;
    if (f === null || !f.awaitingPrompt) return;
    f.awaitingPrompt = false;
    if (f.cancelled) {
      this.serial.write([ESC]);
      return;
    }
    const out = (f.cmd.payload as number[]).slice(0);
    f.echoes.push(bytesToLatin1(out, 0, out.length)); // echoed payload (E1), without the terminator
    if (f.cmd.terminator >= 0) out.push(f.cmd.terminator);
    this.serial.write(out);
  }

  /** Turns the open-line watch on while a command or URC route expects payloads in headers. */
  private watch(): void {
    const f = this.flight;
    let n = this.router.dataPrefixLength();
    if (f !== null && f.cmd.data !== null && f.cmd.data.prefix.length > n) n = f.cmd.data.prefix.length;
    this.watchLength = n;
    this.splitter.watchHeaders = n > 0;
  }

  private report(e: AtError): void {
    if (this.onError !== null) this.onError(e);
  }
}
