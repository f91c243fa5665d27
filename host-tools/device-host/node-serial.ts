/**
 * The Node device hosts' serial HAL (the device behind the virtual modem, the XS child's host services,
 * `simcmd hil` and the contract suites): a SerialPort (firmware/hal/serial.ts) over the `serialport`
 * package on a real tty (a virtual modem's /dev/pts/N, or hardware). The rest of the Node HAL sits
 * beside it, each in its own module so a host loads only what it uses: json-file-store.ts (the
 * KeyValueStore), udp.ts (loopback sockets), network-link.ts (the attachment to the mock network); the
 * Clock is host-tools/clock/node-clock.ts.
 */
import { SerialPort as NodeSerialPort } from "serialport";
import type { SerialPort } from "../../firmware/hal/serial.js";

/** Baud rate when none is given: 115200, what BG96, SIM7080G and SARA-R4 use out of the box. */
export const DEFAULT_BAUD_RATE = 115200;

/** Most characters of serial traffic kept for one step's transcript (the oldest are dropped beyond). */
const TRANSCRIPT_KEEP = 16384;

/** Bytes as one transcript line's text: printable ASCII as is, everything else as \xNN. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** What a host wants to hear about an open port besides its bytes. */
export interface SerialEvents {
  /** Each error the port reports after it was opened (also kept as lastError). */
  onError?: (e: Error) => void;
  /** The port closed: by close(), or because the other end went away. */
  onClose?: () => void;
}

export class NodeSerial implements SerialPort {
  private receiver: ((bytes: number[]) => void) | null = null;
  /** Traffic since startTranscript(): chunks as written (">") and read ("<"), latin1. */
  private traffic: { dir: ">" | "<"; text: string }[] = [];
  private kept = 0;
  private dropped = 0;
  /** The last error the port reported after it was opened (e.g. the other end went away). */
  lastError: Error | null = null;

  private constructor(
    private readonly port: NodeSerialPort,
    events: SerialEvents,
  ) {
    port.on("data", (d: Buffer) => {
      this.record("<", d.toString("latin1"));
      this.receiver?.([...d]);
    });
    // Without a listener an 'error' event would be thrown; a broken line shows up as timeouts instead.
    port.on("error", (e: Error) => {
      this.lastError = e;
      events.onError?.(e);
    });
    const onClose = events.onClose;
    if (onClose !== undefined) port.on("close", () => onClose());
  }

  /** Opens `path` (8N1, no flow control); rejects with the `serialport` error when it cannot. */
  static open(path: string, baudRate = DEFAULT_BAUD_RATE, events: SerialEvents = {}): Promise<NodeSerial> {
    return new Promise((resolve, reject) => {
      const port = new NodeSerialPort({ path, baudRate }, (e) => (e ? reject(e) : resolve(new NodeSerial(port, events))));
    });
  }

  write(bytes: number[]): void {
    const b = Buffer.from(bytes);
    this.record(">", b.toString("latin1"));
    this.port.write(b);
  }

  setOnData(cb: (bytes: number[]) => void): void {
    this.receiver = cb;
  }

  /** Closes the port; resolves once it is closed (at once when it already was). */
  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  /** Starts a new transcript (each step of a run has its own). */
  startTranscript(): void {
    this.traffic = [];
    this.kept = 0;
    this.dropped = 0;
  }

  /**
   * The traffic since startTranscript(), one line per line on the wire: `> AT+CSQ` written, `< +CSQ: 15,0`
   * read; bytes outside printable ASCII as \xNN, the prompt `> ` as `< > `. At most the last 16 KiB.
   */
  transcript(): string {
    const merged: { dir: ">" | "<"; text: string }[] = [];
    for (const t of this.traffic) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.dir === t.dir) last.text += t.text;
      else merged.push({ ...t });
    }
    const lines = this.dropped > 0 ? [`… ${this.dropped} earlier characters not kept`] : [];
    for (const m of merged) for (const l of m.text.split(/\r\n|\r|\n/)) if (l !== "") lines.push(`${m.dir} ${printable(l)}`);
    return lines.join("\n");
  }

  private record(dir: ">" | "<", text: string): void {
    this.traffic.push({ dir, text });
    this.kept += text.length;
    while (this.kept > TRANSCRIPT_KEEP && this.traffic.length > 1) {
      const first = this.traffic.shift() as { text: string };
      this.kept -= first.text.length;
      this.dropped += first.text.length;
    }
  }
}
