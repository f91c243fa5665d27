/**
 * Flashing an Espruino board over its JavaScript console (the REPL on the board's serial port), as
 * an explicit plan that `simcmd flash --dry-run` prints and `flashEspruino` carries out:
 *
 *   1. open     the serial port;
 *   2. connect  Ctrl-C twice (`\x03`, clears a half-typed line), `echo(0)`, then a `print` of a marker
 *               the board must answer within `timeoutMs` (so a silent port fails before the upload);
 *   3. upload   the bundle's bytes, then the start line (below), to the Storage file `.bootcde`,
 *               `chunkSize` bytes per console line, each acknowledged before the next is sent:
 *               `\x10print("[simcmd:"+"<nonce> w <end> "+require("Storage").write(".bootcde",<chunk>,<offset>,<size>)+"]")`
 *               — Espruino's Storage.write(name, data, offset, size): the first write (offset 0)
 *               allocates `size` bytes, the others fill them in; it returns true when written. The
 *               board answers `[simcmd:<nonce> w <end> true]` (`<end>`: offset + chunk length), so
 *               the host never outruns the board's input buffer and knows the bytes written so far.
 *               `\x10` (DLE) turns echo off for the line. Each chunk is a JSON string literal of the
 *               bytes as 8-bit chars, bytes outside printable ASCII escaped (`\u00XX`), so every line
 *               is plain ASCII and the file holds exactly the bundle's bytes;
 *   4. verify   `E.CRC32(require("Storage").read(".bootcde"))` printed between markers, compared with
 *               the CRC-32 computed here (CRC-32/ISO-HDLC, host-tools/flash/crc32.ts) within `timeoutMs`;
 *   5. reboot   `load()`: the board restarts and runs `.bootcde` (or, with reboot off, `echo(1)`).
 *
 * The bundles only define a global (`simcmdAgent`, `simcmdModemAgent`); the start line after them is what
 * runs the agent at every boot. For the agent it is `simcmdAgent.start();` (its settings come from
 * `simcmd.json`, which `simcmd provision` writes). The modem agent (one bundle per modem family,
 * `modem-agent-<family>.js`) needs the board's UART: `modemStartLine` sets it up and starts the agent,
 * e.g. `Serial2.setup(115200,{rx:D16,tx:D17});simcmdModemAgent.start({serial:Serial2});`.
 *
 * Any `Uncaught …` or `ERROR: …` the board prints after connecting stops the flash at the step under
 * way. Every wait is bounded and the port is always closed. Failures are FlashError with the step.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ModemFamily } from "../../firmware/modems/capabilities.js";
import { crc32 } from "./crc32.js";

/**
 * The Espruino bundles `simcmd flash` uploads: dist/firmware/espruino/agent.js, and the modem agent
 * built for one family, dist/firmware/espruino/modem-agent-<family>.js.
 */
export const ESPRUINO_BUNDLES = ["agent", "modem-agent"] as const;
export type EspruinoBundle = (typeof ESPRUINO_BUNDLES)[number];

/** The modem's UART on the board, as the start line sets it up. */
export interface ModemUart {
  /** The Espruino Serial object, e.g. "Serial2". */
  serial: string;
  /** RX and TX pins, e.g. "D16" / "D17"; both or neither (neither: the port's default pins). */
  rx?: string;
  tx?: string;
  /** Bits per second. Default 115200 (BG96, SIM7080G and SARA-R4 all start at 115200). */
  baud?: number;
  /** APN of the data context. Default: the agent's ("super"). */
  apn?: string;
}

export const DEFAULT_UART_BAUD = 115200;

const SERIAL_NAME = /^Serial[1-9]$/;
const PIN_NAME = /^[A-Z]\d{1,2}$/;

/**
 * The start line of the modem agent: sets up the UART and starts the agent on it. Throws a TypeError
 * for a name that is not an Espruino Serial (Serial1…Serial9) or pin (a capital and one or two digits,
 * e.g. D16), for only one of rx/tx, or an APN that is not 1 to 100 printable ASCII characters without '"'
 * (27.007 §10.1.1 quotes it).
 */
export function modemStartLine(u: ModemUart): string {
  if (!SERIAL_NAME.test(u.serial)) throw new TypeError(`the UART must be an Espruino Serial, Serial1 to Serial9, got '${u.serial}'`);
  if ((u.rx === undefined) !== (u.tx === undefined)) throw new TypeError("give both the RX and the TX pin, or neither (the UART's default pins)");
  for (const pin of [u.rx, u.tx]) {
    if (pin !== undefined && !PIN_NAME.test(pin)) throw new TypeError(`a pin is named like D16, got '${pin}'`);
  }
  if (u.apn !== undefined && !/^[\x21\x23-\x7e]{1,100}$/.test(u.apn)) throw new TypeError(`the APN must be 1 to 100 printable ASCII characters without '"', got ${JSON.stringify(u.apn)}`);
  const baud = u.baud ?? DEFAULT_UART_BAUD;
  const pins = u.rx !== undefined ? `,{rx:${u.rx},tx:${u.tx}}` : "";
  const apn = u.apn !== undefined ? `,apn:${JSON.stringify(u.apn)}` : "";
  return `${u.serial}.setup(${baud}${pins});simcmdModemAgent.start({serial:${u.serial}${apn}});`;
}

/** Defaults: Espruino's console baud rate, bytes of the bundle per console line, ms per reply. */
export const DEFAULT_BAUD = 9600;
export const DEFAULT_CHUNK_SIZE = 512;
export const DEFAULT_TIMEOUT_MS = 5000;
/** The Storage file Espruino runs at boot (what `save()` writes and `load()` runs). */
export const BOOT_FILE = ".bootcde";
/** The start line appended to each bundle when none is given (null: none). */
export const DEFAULT_START: Record<EspruinoBundle, string | null> = { agent: "simcmdAgent.start();", "modem-agent": null };

export type FlashStep = "bundle" | "open" | "connect" | "upload" | "verify" | "reboot";

/** A flash that failed, with the step it failed in. */
export class FlashError extends Error {
  constructor(
    readonly step: FlashStep,
    message: string,
  ) {
    super(message);
    this.name = "FlashError";
  }
}

export interface EspruinoFlashOptions {
  /** The package root (where dist/ is). */
  root: string;
  /** Which bundle. Default "agent". */
  bundle?: EspruinoBundle;
  /** The modem family of the modem-agent bundle (required for it, refused for the agent). */
  modem?: ModemFamily;
  /** The board's serial port, e.g. /dev/ttyACM0. */
  port: string;
  /** Baud rate. Default 9600. */
  baud?: number;
  /** Bytes of the bundle per console line. Default 512. */
  chunkSize?: number;
  /** How long to wait for each reply of the board (connect, each upload acknowledgement, verify), in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Run `load()` after a verified upload. Default true. */
  reboot?: boolean;
  /**
   * JavaScript run at boot after the bundle; null: none. Default: the agent's `simcmdAgent.start();`;
   * the modem agent has none (give `uart`, this, or null).
   */
  start?: string | null;
  /** The modem agent's UART: the start line is `modemStartLine(uart)`. Not with `start`. */
  uart?: ModemUart;
}

/** One step of the plan: what is sent, and the reply awaited. */
export interface PlanStep {
  step: FlashStep;
  /** The console lines sent (none for open). */
  send: string[];
  /** The reply awaited, if any: a marker line `[simcmd:<nonce> <what> …]` (`ack`: one per upload line). */
  expect?: "ready" | "ack" | "crc";
}

export interface EspruinoFlashPlan {
  target: "espruino";
  port: string;
  baud: number;
  /** What is uploaded: the bundle's bytes, then `\n<start>\n` when there is a start line. */
  bundle: { name: EspruinoBundle; modem: ModemFamily | null; file: string; bytes: number; crc32: number };
  /** The start line run at boot after the bundle, or null. */
  start: string | null;
  storageFile: typeof BOOT_FILE;
  chunkSize: number;
  chunks: number;
  timeoutMs: number;
  reboot: boolean;
  /** The marker's nonce: replies are `[simcmd:<nonce> ready]` and `[simcmd:<nonce> crc <n>]`. */
  nonce: string;
  steps: PlanStep[];
}

export interface EspruinoFlashResult {
  target: "espruino";
  port: string;
  bundle: EspruinoBundle;
  modem: ModemFamily | null;
  bytes: number;
  chunks: number;
  crc32: number;
  rebooted: boolean;
}

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };

/**
 * A JavaScript string literal of bytes taken as 8-bit chars, in plain ASCII: printable ASCII as is, `"`,
 * `\` and the usual control characters by their escapes, every other byte as `\xHH`. Never `\uXXXX`:
 * Espruino builds with Unicode support (ESPR_UNICODE_SUPPORT) turn `"\u00b1"` into the two UTF-8 octets
 * of U+00B1 (checked on a Linux build of 2v29, which writes them both to Storage), where `"\xb1"` is the
 * one octet on every build.
 */
export function byteStringLiteral(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    const e = ESCAPES[b];
    if (e !== undefined) out += e;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += "\\x" + b.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/**
 * Builds the plan; reads the bundle (FlashError "bundle" when it has not been built). Throws a
 * TypeError for options that do not go together (a modem family for the agent, none for the modem
 * agent, both `start` and `uart`, a bad UART — see modemStartLine).
 */
export function planEspruinoFlash(o: EspruinoFlashOptions): EspruinoFlashPlan {
  const name = o.bundle ?? "agent";
  if (name === "modem-agent" && o.modem === undefined) throw new TypeError("the modem-agent bundle is built per modem family: name it (bg96, sim7080 or sara-r4)");
  if (name !== "modem-agent" && (o.modem !== undefined || o.uart !== undefined)) throw new TypeError("a modem family and UART are for the modem-agent bundle");
  if (o.uart !== undefined && o.start !== undefined) throw new TypeError("give the start line or the UART it sets up, not both");
  const rel = `dist/firmware/espruino/${name === "modem-agent" ? `modem-agent-${o.modem}` : name}.js`;
  const file = path.join(o.root, rel);
  if (!fs.existsSync(file)) throw new FlashError("bundle", `${rel} is not built: run \`npm run build\` first`);
  const start = o.uart !== undefined ? modemStartLine(o.uart) : o.start === undefined ? DEFAULT_START[name] : o.start;
  const data = start === null ? fs.readFileSync(file) : Buffer.concat([fs.readFileSync(file), Buffer.from(`\n${start}\n`, "utf8")]);
  const chunkSize = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const crc = crc32(data);
  const nonce = randomBytes(4).toString("hex");
  // The markers are split in the command ("[simcmd:"+"…") so an echo of the command never matches the reply.
  const marker = (what: string) => `"[simcmd:"+"${nonce} ${what}`;
  const upload: string[] = [];
  for (let off = 0; off < data.length || off === 0; off += chunkSize) {
    const chunk = data.subarray(off, off + chunkSize);
    const write = `require("Storage").write(${JSON.stringify(BOOT_FILE)},${byteStringLiteral(chunk)},${off},${data.length})`;
    upload.push(`\x10print(${marker(`w ${off + chunk.length} `)}"+${write}+"]")\n`);
    if (data.length === 0) break;
  }
  const reboot = o.reboot ?? true;
  return {
    target: "espruino",
    port: o.port,
    baud: o.baud ?? DEFAULT_BAUD,
    bundle: { name, modem: name === "modem-agent" ? (o.modem ?? null) : null, file, bytes: data.length, crc32: crc },
    start,
    storageFile: BOOT_FILE,
    chunkSize,
    chunks: upload.length,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    reboot,
    nonce,
    steps: [
      { step: "open", send: [] },
      { step: "connect", send: ["\x03", "\x03", "echo(0)\n", `\x10print(${marker("ready]")}")\n`], expect: "ready" },
      { step: "upload", send: upload, expect: "ack" },
      { step: "verify", send: [`\x10print(${marker("crc ")}"+E.CRC32(require("Storage").read(${JSON.stringify(BOOT_FILE)}))+"]")\n`], expect: "crc" },
      { step: "reboot", send: [reboot ? "\x10load()\n" : "\x10echo(1)\n"] },
    ],
  };
}

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

/** The plan as a person reads it (what --dry-run prints). */
export function describeEspruinoPlan(p: EspruinoFlashPlan): string {
  const show = (s: string) => JSON.stringify(s);
  const first = p.steps[2]?.send[0] ?? "";
  const lines = [
    `flash espruino: ${path.relative(process.cwd(), p.bundle.file) || p.bundle.file} (${p.bundle.bytes} bytes, CRC-32 ${hex(p.bundle.crc32)}) to Storage ${show(p.storageFile)} on ${p.port} at ${p.baud} baud`,
    `  at boot, after the bundle: ${p.start === null ? "nothing (no start line: the bundle only defines its global)" : show(p.start)}`,
    `  1. open ${p.port} at ${p.baud} baud`,
    `  2. connect: send ${p.steps[1]!.send.map(show).join(", ")}; wait up to ${p.timeoutMs} ms for [simcmd:${p.nonce} ready]`,
    `  3. upload: ${p.chunks} chunk${p.chunks === 1 ? "" : "s"} of up to ${p.chunkSize} bytes, one line each, each answered before the next: ${show(`\x10print("[simcmd:"+"${p.nonce} w <end> "+require("Storage").write(${JSON.stringify(BOOT_FILE)},<chunk as a JSON string>,<offset>,${p.bundle.bytes})+"]")\n`)}`,
    `     the board answers [simcmd:${p.nonce} w <end> true] (end: offset + chunk length) within ${p.timeoutMs} ms`,
    `     the first: ${show(first.length > 120 ? first.slice(0, 117) + "…" : first)}`,
    `  4. verify: send ${show(p.steps[3]!.send[0] ?? "")}; wait up to ${p.timeoutMs} ms for [simcmd:${p.nonce} crc N] with N = ${p.bundle.crc32} (${hex(p.bundle.crc32)})`,
    `  5. ${p.reboot ? "reboot: send \"\\u0010load()\\n\" (the board runs the new .bootcde)" : "no reboot: send \"\\u0010echo(1)\\n\""}`,
    `  6. close ${p.port}`,
  ];
  return lines.join("\n") + "\n";
}

interface Port {
  write(data: string, cb: (e?: Error | null) => void): void;
  drain(cb: (e?: Error | null) => void): void;
  close(cb: (e?: Error | null) => void): void;
  on(event: "data", cb: (d: Buffer) => void): void;
  isOpen: boolean;
}

/**
 * How a flash is going: each step as it starts and ends, and during the upload the bytes the board has
 * acknowledged so far (`done` of `total`).
 */
export type FlashProgress =
  | { step: FlashStep; state: "start" | "done" }
  | { step: "upload"; state: "progress"; done: number; total: number };

/** Carries the plan out; resolves with what was flashed or rejects with a FlashError. */
export async function flashEspruino(p: EspruinoFlashPlan, onProgress: (e: FlashProgress) => void = () => undefined): Promise<EspruinoFlashResult> {
  const { SerialPort } = await import("serialport");
  onProgress({ step: "open", state: "start" });
  const port = new SerialPort({ path: p.port, baudRate: p.baud, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((e) => (e ? reject(new FlashError("open", `cannot open ${p.port}: ${e.message}`)) : resolve())),
  );
  onProgress({ step: "open", state: "done" });
  try {
    return await talk(port as unknown as Port, p, onProgress);
  } finally {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

async function talk(port: Port, p: EspruinoFlashPlan, onProgress: (e: FlashProgress) => void): Promise<EspruinoFlashResult> {
  let received = "";
  let from = 0; // where errors are looked for: after the connect reply
  let wake: () => void = () => undefined;
  port.on("data", (d) => {
    received += d.toString("latin1");
    wake();
  });
  const boardError = (): string | undefined => /(Uncaught [^\r\n]*|ERROR: [^\r\n]*)/.exec(received.slice(from))?.[1];
  const send = async (step: FlashStep, lines: string[]) => {
    for (const line of lines) {
      await new Promise<void>((resolve, reject) =>
        port.write(line, (e) => (e ? reject(new FlashError(step, `writing to ${p.port}: ${e.message}`)) : resolve())),
      );
    }
    await new Promise<void>((resolve, reject) => port.drain((e) => (e ? reject(new FlashError(step, `writing to ${p.port}: ${e.message}`)) : resolve())));
  };
  const await_ = (step: FlashStep, re: RegExp, checkErrors: boolean) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = () => undefined;
        reject(new FlashError(step, `${step}: no answer within ${p.timeoutMs} ms from ${p.port} (is an Espruino board there, at ${p.baud} baud?)`));
      }, p.timeoutMs);
      const check = () => {
        const err = checkErrors ? boardError() : undefined;
        const m = re.exec(received);
        if (err === undefined && m === null) return;
        clearTimeout(timer);
        wake = () => undefined;
        if (err !== undefined) reject(new FlashError(step, `${step}: the board reported: ${err.trim()}`));
        else resolve(m as RegExpExecArray);
      };
      wake = check;
      check();
    });

  const [, connect, upload, verify, reboot] = p.steps as [PlanStep, PlanStep, PlanStep, PlanStep, PlanStep];
  onProgress({ step: "connect", state: "start" });
  await send("connect", connect.send);
  const ready = await await_("connect", new RegExp(`\\[simcmd:${p.nonce} ready\\]`), false);
  from = ready.index + ready[0].length;
  onProgress({ step: "connect", state: "done" });
  // Each line is acknowledged with the end of the bytes written: the next goes once the board has taken it.
  onProgress({ step: "upload", state: "start" });
  const total = p.bundle.bytes;
  for (const line of upload.send) {
    await send("upload", [line]);
    const ack = await await_("upload", new RegExp(`\\[simcmd:${p.nonce} w (\\d+) ([^\\]]*)\\]`), true);
    received = received.slice(ack.index + ack[0].length);
    from = 0;
    const end = Number(ack[1]);
    if (ack[2] !== "true") throw new FlashError("upload", `upload: the board could not write bytes up to ${end} of ${total} to ${BOOT_FILE} (Storage.write answered ${ack[2]})`);
    onProgress({ step: "upload", state: "progress", done: end, total });
  }
  onProgress({ step: "upload", state: "done" });
  onProgress({ step: "verify", state: "start" });
  await send("verify", verify.send);
  const m = await await_("verify", new RegExp(`\\[simcmd:${p.nonce} crc ([^\\]]*)\\]`), true);
  const text = (m[1] ?? "").trim();
  const actual = /^-?\d+$/.test(text) ? Number(text) >>> 0 : undefined;
  if (actual === undefined) throw new FlashError("verify", `verify: the board answered '${text}' instead of a CRC-32 (expected ${p.bundle.crc32} = ${hex(p.bundle.crc32)})`);
  if (actual !== p.bundle.crc32) {
    throw new FlashError("verify", `verify: CRC-32 mismatch for ${BOOT_FILE}: expected ${p.bundle.crc32} (${hex(p.bundle.crc32)}), the board has ${actual} (${hex(actual)})`);
  }
  onProgress({ step: "verify", state: "done" });
  onProgress({ step: "reboot", state: "start" });
  await send("reboot", reboot.send);
  onProgress({ step: "reboot", state: "done" });
  return { target: "espruino", port: p.port, bundle: p.bundle.name, modem: p.bundle.modem, bytes: p.bundle.bytes, chunks: p.chunks, crc32: p.bundle.crc32, rebooted: p.reboot };
}
