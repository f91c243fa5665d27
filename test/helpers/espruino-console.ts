/**
 * A virtual Espruino console for tests: the board end of a real pty pair (host-tools/virtual-modem/pty.ts),
 * so a client opens `path` as a serial port. Like Espruino's REPL it buffers a line until Enter
 * (CR or LF), clears it on Ctrl-C (`\x03`), does not echo a line that starts with DLE (`\x10`) nor
 * anything after `echo(0)`, and evaluates each line in a Node `vm` context prepared like
 * test/conformance/espruino-vm.ts (the globals Espruino lacks deleted), printing `=result` (echo on)
 * and `Uncaught Error: …` as Espruino does. The context has:
 *
 * - `require("Storage")`: ./espruino-storage.ts over `files` (bytes). Every name read is recorded in
 *   `storageReads`.
 * - `E.CRC32(data)` (CRC-32 of the 8-bit string, via node:zlib — independent of the host's code);
 * - `print`, `console.log`, `echo(on)`, `getTime()`, and `require("dgram")` recording bound ports;
 * - `Serial1`…`Serial3` recording `setup(baud, options)` in `serialSetups` and what is written to them in
 *   `serialWrites`, and the pins `D0`…`D39` (objects that print as their names), as on an ESP32;
 * - `setTimeout` / `clearTimeout` (cleared when the console closes);
 * - `load()`: after the current line, counts a reboot and runs `.bootcde` in a fresh context (its bytes
 *   decoded as UTF-8: Node strings are UTF-16 where Espruino's are 8-bit).
 *
 * Test hooks: `corruptWrite: n` flips a bit in the data of the n-th (0-based) write to `.bootcde`;
 * `silent: true` takes every byte and never answers.
 */
import vm from "node:vm";
import zlib from "node:zlib";
import { openPty, type PtyPair } from "../../host-tools/virtual-modem/pty.js";
import { BANNED_GLOBALS } from "../conformance/es5-check.js";
import { espruinoStorage, type EspruinoStorage } from "./espruino-storage.js";

export interface EspruinoConsoleOptions {
  corruptWrite?: number;
  silent?: boolean;
}

export class EspruinoConsole {
  /** Storage: file name → bytes. */
  readonly files = new Map<string, Buffer>();
  /** Names read from Storage (read, readJSON), in order, since the console opened. */
  readonly storageReads: string[] = [];
  /** Ports bound through require("dgram"). */
  readonly dgramBinds: number[] = [];
  /** Serial ports set up: `Serial2.setup(115200, {rx: D16, tx: D17})` → {port: "Serial2", baud: 115200, options: "{rx:D16,tx:D17}"}. */
  readonly serialSetups: { port: string; baud: unknown; options: string }[] = [];
  /** What was written to each serial port (8-bit strings). */
  readonly serialWrites = new Map<string, string>();
  /** Every byte received, as an 8-bit string. */
  received = "";
  /** Everything the console printed. */
  output = "";
  /** The lines evaluated, in order. */
  readonly lines: string[] = [];
  /** Writes to `.bootcde` (offsets). */
  readonly bootWrites: number[] = [];
  reboots = 0;
  /** The error `.bootcde` threw on the last load(), if any. */
  bootError: unknown;
  private context!: vm.Context;
  private echoOn = true;
  private line = "";
  private rebootWaiters: (() => void)[] = [];
  private lineWaiters: { line: string; resolve: () => void }[] = [];
  private receiveWaiters: { text: string; resolve: () => void }[] = [];
  private serialWaiters: { port: string; text: string; resolve: () => void }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly pty: PtyPair,
    private readonly options: EspruinoConsoleOptions,
  ) {
    this.context = this.freshContext();
    pty.stream.on("data", (d: Buffer) => this.receive(d.toString("latin1")));
  }

  static async open(options: EspruinoConsoleOptions = {}): Promise<EspruinoConsole> {
    return new EspruinoConsole(await openPty(), options);
  }

  /** The serial port to open, e.g. /dev/pts/7. */
  get path(): string {
    return this.pty.path;
  }

  /** Resolves once `load()` has rebooted the console `count` times in all. */
  rebooted(count = 1): Promise<void> {
    if (this.reboots >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.reboots >= count ? resolve() : this.rebootWaiters.push(check));
      this.rebootWaiters.push(check);
    });
  }

  /** Resolves once the bytes received so far include `text`. */
  receivedText(text: string): Promise<void> {
    if (this.received.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.receiveWaiters.push({ text, resolve }));
  }

  /** Resolves once the console has evaluated `line` (now or later). */
  evaluated(line: string): Promise<void> {
    if (this.lines.includes(line)) return Promise.resolve();
    return new Promise((resolve) => this.lineWaiters.push({ line, resolve }));
  }

  /** Evaluates code in the console's current context (as if typed, without echo). */
  evaluate(code: string): unknown {
    return vm.runInContext(code, this.context);
  }

  /** Resolves once `text` has been written to the serial port `port` (e.g. "Serial2"). */
  serialWritten(port: string, text: string): Promise<void> {
    if ((this.serialWrites.get(port) ?? "").includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.serialWaiters.push({ port, text, resolve }));
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return this.pty.close();
  }

  private print(text: string): void {
    this.output += text;
    this.pty.stream.write(Buffer.from(text, "latin1"));
  }

  private receive(text: string): void {
    this.received += text;
    const done = this.receiveWaiters.filter((w) => this.received.includes(w.text));
    this.receiveWaiters = this.receiveWaiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
    if (this.options.silent) return;
    for (const c of text) {
      if (c === "\x03") this.line = "";
      else if (c === "\r" || c === "\n") {
        const line = this.line;
        this.line = "";
        if (line !== "") this.run(line);
      } else this.line += c;
    }
  }

  private run(raw: string): void {
    const quiet = raw.startsWith("\x10");
    const line = quiet ? raw.slice(1) : raw;
    const echo = this.echoOn && !quiet;
    this.lines.push(line);
    if (echo) this.print(line + "\r\n");
    try {
      const result = vm.runInContext(line, this.context, { filename: "console" });
      if (echo && this.echoOn) this.print(`=${typeof result === "string" ? JSON.stringify(result) : String(result)}\r\n>`);
    } catch (e) {
      this.print(uncaught(e));
    }
    const done = this.lineWaiters.filter((w) => w.line === line);
    this.lineWaiters = this.lineWaiters.filter((w) => w.line !== line);
    for (const w of done) w.resolve();
  }

  private freshContext(): vm.Context {
    const context = vm.createContext({
      print: (...a: unknown[]) => this.print(a.map(String).join(" ") + "\r\n"),
      console: { log: (...a: unknown[]) => this.print(a.map(String).join(" ") + "\r\n") },
      echo: (on: unknown) => void (this.echoOn = Boolean(on)),
      getTime: () => Date.now() / 1000,
      load: () => void setImmediate(() => this.boot()),
      E: { CRC32: (data: unknown) => zlib.crc32(Buffer.from(String(data), "latin1")) },
      require: (name: string) => (name === "Storage" ? this.storage() : name === "dgram" ? this.dgram() : undefined),
      setTimeout: (cb: () => void, ms: number) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          cb();
        }, ms);
        this.timers.add(t);
        return t;
      },
      clearTimeout: (t: NodeJS.Timeout) => {
        clearTimeout(t);
        this.timers.delete(t);
      },
      ...this.serialPorts(),
      ...pins(),
    });
    vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
    return context;
  }

  private boot(): void {
    this.context = this.freshContext();
    this.echoOn = true;
    this.reboots++;
    this.bootError = undefined;
    const code = this.files.get(".bootcde");
    if (code !== undefined) {
      try {
        vm.runInContext(code.toString("utf8"), this.context, { filename: ".bootcde" });
      } catch (e) {
        this.bootError = e;
        this.print(uncaught(e));
      }
    }
    const waiters = this.rebootWaiters;
    this.rebootWaiters = [];
    for (const w of waiters) w();
  }

  private storage(): EspruinoStorage {
    return espruinoStorage(this.files, {
      onRead: (name) => void this.storageReads.push(name),
      onWrite: (name, bytes, offset) => {
        if (name !== ".bootcde" || offset === undefined) return;
        if (this.bootWrites.length === this.options.corruptWrite && bytes.length > 0) bytes[0] = (bytes[0] as number) ^ 0x01;
        this.bootWrites.push(offset);
      },
    });
  }

  private serialPorts(): Record<string, object> {
    const ports: Record<string, object> = {};
    for (const name of ["Serial1", "Serial2", "Serial3"]) {
      ports[name] = {
        setup: (baud: unknown, options?: Record<string, unknown>) => {
          const o = options === undefined ? "" : "{" + Object.entries(options).map(([k, v]) => `${k}:${String(v)}`).join(",") + "}";
          this.serialSetups.push({ port: name, baud, options: o });
        },
        on: () => undefined,
        write: (data: unknown) => {
          this.serialWrites.set(name, (this.serialWrites.get(name) ?? "") + String(data));
          const done = this.serialWaiters.filter((w) => w.port === name && (this.serialWrites.get(name) ?? "").includes(w.text));
          this.serialWaiters = this.serialWaiters.filter((w) => !done.includes(w));
          for (const w of done) w.resolve();
        },
      };
    }
    return ports;
  }

  private dgram() {
    const binds = this.dgramBinds;
    return {
      createSocket: () => ({
        on: () => undefined,
        bind: (port: number) => void binds.push(port),
        send: () => undefined,
        close: () => undefined,
      }),
    };
  }
}

/** The ESP32's pins D0…D39, each printing as its name. */
function pins(): Record<string, object> {
  const out: Record<string, object> = {};
  for (let i = 0; i < 40; i++) out[`D${i}`] = { toString: () => `D${i}` };
  return out;
}

/** How Espruino's console reports an uncaught exception. */
function uncaught(e: unknown): string {
  const err = e as { name?: unknown; message?: unknown };
  const name = typeof err?.name === "string" ? err.name : "Error";
  return `Uncaught ${name}: ${typeof err?.message === "string" ? err.message : String(e)}\r\n`;
}
