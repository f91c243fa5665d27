/**
 * The virtual modem's core, independent of the dialect: the V.250 command state machine (echo, A/,
 * several commands on one line, numeric or verbose result codes, +CME/+CMS errors), data prompts,
 * URCs held back while a command runs, and faults on demand. The command sets live in
 * commands-general.ts (27.007), commands-sms.ts (27.005) and dialects/*.ts (sockets).
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { parseCommandLine, type AtCommand } from "./at-parser.js";
import { generalCommands } from "./commands-general.js";
import { smsCommands } from "./commands-sms.js";
import { DeviceSockets } from "./device-sockets.js";
import { createDialect } from "./dialects/index.js";
import { Faults } from "./faults.js";
import { ModemState, type Identity } from "./modem-state.js";
import type { NetworkLink } from "../device-host/network-link.js";
import { SmsService } from "./sms.js";
import { CME_TEXT, type CommandTable, type Dialect, type DialectName, type Final, type Line, type Prompt, type Reply, type Urc } from "./types.js";

const LF = 0x0a;
const CTRL_Z = 0x1a;
const ESC = 0x1b;

export interface VirtualModemOptions {
  dialect: DialectName;
  /** Where traffic goes: a CloudLink (the mock cloud) or a StaticLink (a test playing the network). */
  network: NetworkLink;
  identity?: Partial<Identity>;
  /** Messages each SMS storage ("SM", "ME") holds. Default 30. */
  smsCapacity?: number;
  /** Called with every line the modem receives and sends, for logs. */
  trace?: (direction: "rx" | "tx", text: string) => void;
}

type Mode = "command" | "busy" | "prompt";

export class VirtualModem extends EventEmitter {
  readonly dialect: Dialect;
  readonly state: ModemState;
  readonly sockets: DeviceSockets;
  readonly sms: SmsService;
  readonly faults: Faults;
  private readonly table: CommandTable;
  private stream: Duplex | undefined;
  private mode: Mode = "command";
  private lineBuf = "";
  private lastLine = "";
  private backlog: Buffer[] = [];
  private held: Urc[] = [];
  private prompt: { p: Prompt; data: Buffer[]; size: number } | undefined;
  private closed = false;

  constructor(readonly options: VirtualModemOptions) {
    super();
    this.state = new ModemState(this, options.identity);
    this.faults = new Faults(this);
    this.sockets = new DeviceSockets(this, options.network);
    this.sms = new SmsService(this, options.smsCapacity ?? 30);
    this.dialect = createDialect(options.dialect, this);
    this.state.resetSettings();
    this.table = { ...generalCommands, ...smsCommands, ...this.dialect.commands };
  }

  /** Binds the SMS endpoint and attaches to the network. */
  async start(): Promise<void> {
    await this.sms.start();
    await this.sockets.attach();
  }

  /** Connects the serial side: what a client writes to the port arrives here, and replies go back. */
  connect(stream: Duplex): void {
    this.stream = stream;
    stream.on("data", (d: Buffer) => this.input(d));
  }

  /** Detaches from the network and frees the UDP sockets (the stream belongs to the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dialect.reset();
    await this.sockets.close();
    await this.sms.close();
  }

  /** Writes raw bytes to the serial side. */
  write(bytes: string | Buffer): void {
    if (this.stream === undefined || this.closed) return;
    const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    this.options.trace?.("tx", b.toString("latin1"));
    this.stream.write(b);
  }

  /** Sends an unsolicited result code now, or after the command in progress. */
  urc(u: Urc): void {
    if (this.mode !== "command") this.held.push(u);
    else this.write(this.frameUrc(u));
  }

  /** Every AT command name this modem answers (for --help and tests). */
  commandNames(): string[] {
    return Object.keys(this.table).sort();
  }

  // ---- input ------------------------------------------------------------------------------------

  private input(d: Buffer): void {
    if (this.closed) return;
    this.options.trace?.("rx", d.toString("latin1"));
    if (this.mode === "busy") {
      this.backlog.push(d);
      return;
    }
    let echo = "";
    for (let i = 0; i < d.length; i++) {
      const b = d[i] as number;
      if (this.mode === "prompt") {
        const consumed = this.promptByte(d, i);
        i = consumed - 1;
        if (this.mode !== "prompt") {
          this.backlog.push(d.subarray(consumed));
          return;
        }
        continue;
      }
      if (this.state.settings.echo) echo += String.fromCharCode(b);
      if (b === this.state.settings.s3) {
        if (echo !== "") this.write(echo);
        const line = this.lineBuf;
        this.lineBuf = "";
        this.backlog.push(d.subarray(i + 1));
        void this.runLine(line);
        return;
      }
      if (b === LF) continue;
      if (b === this.state.settings.s5) {
        this.lineBuf = this.lineBuf.slice(0, -1);
        continue;
      }
      this.lineBuf += String.fromCharCode(b);
      if (/^\s*A\/$/i.test(this.lineBuf)) {
        if (echo !== "") this.write(echo);
        this.lineBuf = "";
        this.backlog.push(d.subarray(i + 1));
        void this.runLine(this.lastLine, true);
        return;
      }
    }
    if (echo !== "") this.write(echo);
  }

  /** Takes prompt data from d[i…]; returns the index after what it consumed. */
  private promptByte(d: Buffer, i: number): number {
    const pr = this.prompt as { p: Prompt; data: Buffer[]; size: number };
    if (pr.p.until === "ctrl-z") {
      let j = i;
      while (j < d.length && d[j] !== CTRL_Z && d[j] !== ESC) j++;
      pr.data.push(d.subarray(i, j));
      if (j === d.length) return j;
      this.finishPrompt(d[j] === ESC ? null : Buffer.concat(pr.data));
      return j + 1;
    }
    const take = Math.min(pr.p.until - pr.size, d.length - i);
    pr.data.push(d.subarray(i, i + take));
    pr.size += take;
    if (pr.size >= pr.p.until) this.finishPrompt(Buffer.concat(pr.data));
    return i + take;
  }

  private finishPrompt(data: Buffer | null): void {
    const p = (this.prompt as { p: Prompt }).p;
    this.prompt = undefined;
    this.mode = "busy";
    void (async () => {
      let reply: Reply;
      try {
        reply = await p.then(data);
      } catch (e) {
        this.emit("error", e);
        reply = { final: "ERROR" };
      }
      await this.respond([], reply);
    })();
  }

  // ---- execution --------------------------------------------------------------------------------

  private async runLine(line: string, repeat = false): Promise<void> {
    this.mode = "busy";
    if (line.trim() === "" && !repeat) return this.idle();
    let cmds: AtCommand[] | null;
    try {
      cmds = parseCommandLine(line);
    } catch {
      return this.respond([], { final: "ERROR" });
    }
    if (cmds === null) return this.respond([], { final: "ERROR" });
    this.lastLine = line;
    this.emit("command", line);
    if (this.faults.takeError()) return this.respond([], { final: "ERROR" });
    const lines: Line[] = [];
    const after: Urc[] = [];
    let final: Final = "OK";
    for (const cmd of cmds) {
      const h = this.table[cmd.name];
      let r: Reply;
      try {
        r = h === undefined ? { final: "ERROR" } : await h(cmd, this);
      } catch (e) {
        this.emit("error", e);
        r = { final: { cme: 100 } };
      }
      lines.push(...(r.lines ?? []));
      after.push(...(r.after ?? []));
      if (r.prompt !== undefined) {
        await this.faults.pause();
        if (lines.length > 0) this.write(this.frameLines(lines));
        this.prompt = { p: r.prompt, data: [], size: 0 };
        this.mode = "prompt";
        this.write(r.prompt.text);
        this.drainBacklog();
        return;
      }
      final = r.final;
      if (final !== "OK") break;
    }
    return this.respond(lines, { final, after });
  }

  private async respond(prefix: Line[], r: Reply): Promise<void> {
    await this.faults.pause();
    const lines = prefix.concat(r.lines ?? []);
    const mid = this.faults.takeMidResponseUrcs();
    let out = "";
    if (mid.length > 0 && lines.length > 0) {
      out += this.frameLines(lines.slice(0, 1)) + mid.map((u) => this.frameUrc(u)).join("") + this.frameLines(lines.slice(1));
    } else out += this.frameLines(lines) + mid.map((u) => this.frameUrc(u)).join("");
    this.write(Buffer.concat([Buffer.from(out, "latin1"), Buffer.from(this.frameFinal(r.final), "latin1")]));
    this.emit("response", r.final);
    for (const u of r.after ?? []) this.held.push(u);
    this.idle();
  }

  private idle(): void {
    this.mode = "command";
    const held = this.held;
    this.held = [];
    for (const u of held) this.write(this.frameUrc(u));
    this.drainBacklog();
  }

  private drainBacklog(): void {
    if (this.backlog.length === 0) return;
    const b = Buffer.concat(this.backlog);
    this.backlog = [];
    if (b.length > 0) this.input(b);
  }

  // ---- framing (V.250 §5.7: V1 "<CR><LF>text<CR><LF>", V0 "text<CR><LF>" and numeric codes) -----

  private lineText(l: Line): string {
    return typeof l === "string" ? l : l.toString("latin1");
  }

  private frameLines(lines: Line[]): string {
    if (lines.length === 0) return "";
    const body = lines.map((l) => this.lineText(l)).join("\r\n");
    return this.state.settings.verbose ? `\r\n${body}\r\n` : `${body}\r\n`;
  }

  frameUrc(u: Urc): string {
    return this.frameLines(typeof u === "string" ? [u] : u);
  }

  private frameFinal(f: Final): string {
    const s = this.state.settings;
    if (s.quiet) return "";
    let text: string;
    let code: string;
    if (f === "OK") [text, code] = ["OK", "0"];
    else if (f === "ERROR") [text, code] = ["ERROR", "4"];
    else if ("text" in f) [text, code] = [f.text, f.text];
    else if ("cms" in f) [text, code] = [`+CMS ERROR: ${f.cms}`, `+CMS ERROR: ${f.cms}`];
    else if (s.cmee === 0) [text, code] = ["ERROR", "4"];
    else {
      const t = s.cmee === 2 && CME_TEXT[f.cme] !== undefined ? CME_TEXT[f.cme] : String(f.cme);
      [text, code] = [`+CME ERROR: ${t}`, `+CME ERROR: ${t}`];
    }
    return s.verbose ? `\r\n${text}\r\n` : /^\d+$/.test(code) ? `${code}\r` : `${code}\r\n`;
  }
}
