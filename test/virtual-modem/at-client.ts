/**
 * A serial client for the virtual modem's pty, through the Node `serialport` package (what the HIL runner
 * and host tools use). Everything is awaited on data with a bounded timeout; no sleeps.
 */
import { SerialPort } from "serialport";

export interface AtResult {
  /** Information lines (echo and empty lines removed). */
  lines: string[];
  final: string;
  /** Everything received for this command, latin1. */
  raw: string;
}

const FINAL = /\r\n(OK|ERROR|\+CME ERROR: [^\r]*|\+CMS ERROR: [^\r]*|SEND OK|SEND FAIL)\r\n/;

export class AtClient {
  rx = "";
  private waiters: (() => void)[] = [];
  private constructor(private readonly port: SerialPort) {
    port.on("data", (d: Buffer) => {
      this.rx += d.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(path: string): Promise<AtClient> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(new AtClient(port))));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  /** Current end of the received text, for waitFor(…, mark). */
  mark(): number {
    return this.rx.length;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (e) => (e ? reject(e) : this.port.drain(() => resolve())));
    });
  }

  /** Waits until the text received since `from` matches `re`; resolves to the match. */
  waitFor(re: RegExp, from = 0, timeoutMs = 5000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timeout waiting for ${re} in ${JSON.stringify(this.rx.slice(from))}`));
      }, timeoutMs);
      const check = (): void => {
        const m = re.exec(this.rx.slice(from));
        if (m !== null) {
          clearTimeout(timer);
          m.index += from;
          resolve(m);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Sends one command line and waits for its final result code. */
  async at(cmd: string, timeoutMs = 5000): Promise<AtResult> {
    const start = this.mark();
    await this.write(cmd + "\r");
    return this.result(start, cmd, timeoutMs);
  }

  /** Waits for the final result code of what was sent at `start`. */
  async result(start: number, cmd = "", timeoutMs = 5000): Promise<AtResult> {
    const m = await this.waitFor(FINAL, start, timeoutMs);
    const raw = this.rx.slice(start, m.index + m[0].length);
    const body = this.rx.slice(start, m.index);
    const lines = body.split("\r\n").filter((l) => l !== "" && l !== cmd && l !== cmd + "\r" && !l.startsWith(cmd + "\r"));
    return { lines, final: m[1] as string, raw };
  }

  /** Sends a command that prompts for data, the data, and waits for the final result code. */
  async atData(cmd: string, prompt: RegExp, data: string | Buffer, timeoutMs = 5000): Promise<AtResult> {
    const start = this.mark();
    await this.write(cmd + "\r");
    await this.waitFor(prompt, start, timeoutMs);
    await this.write(data);
    return this.result(start, cmd, timeoutMs);
  }
}
