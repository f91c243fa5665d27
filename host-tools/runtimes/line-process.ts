/**
 * A child process spoken to in newline-delimited JSON: one line out per request, one line back
 * per reply, in order. Shared by the XS and Lua runtimes. Many requests may be in flight; replies
 * are matched first-in first-out. When the child dies or writes garbage, every pending and later
 * request rejects with a message that names the child and quotes the end of its stderr.
 * A line `{"event": {…}}` is not a reply: it goes to `onEvent` (dropped when none is given).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The package root: the nearest directory above this file whose package.json is simcmd's. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, "utf8")) as { name?: string }).name === "simcmd") {
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("simcmd: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export class LineProcess {
  readonly #child: ChildProcess;
  readonly #label: string;
  readonly #pending: Pending[] = [];
  #buffer = "";
  #stderr = "";
  #failure: Error | undefined;
  #exited: Promise<void>;
  readonly #onEvent: ((event: Record<string, unknown>) => void) | undefined;

  constructor(label: string, command: string, args: string[], cwd: string, onEvent?: (event: Record<string, unknown>) => void) {
    this.#label = label;
    this.#onEvent = onEvent;
    this.#child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.#exited = new Promise((resolve) => this.#child.once("close", () => resolve()));
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => this.#onData(chunk));
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stderr!.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.stdin!.on("error", () => {}); // reported through "close" below
    this.#child.once("error", (e: NodeJS.ErrnoException) => {
      this.#fail(new Error(`${label}: cannot start ${command}: ${e.message}`, { cause: e }));
    });
    this.#child.once("close", (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      const tail = this.#stderr.trim();
      this.#fail(new Error(`${label} exited (${how})${tail === "" ? "" : ": " + tail}`));
    });
  }

  /** Sends one JSON value; resolves with the parsed reply line. */
  request(value: unknown): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#child.stdin!.write(JSON.stringify(value) + "\n");
    });
  }

  /** Waits for the next line the child writes unprompted (a readiness line). */
  nextLine(): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  /** Closes stdin (the child's cue to exit) and waits; kills it after `graceMs` (default 2000). */
  async close(graceMs = 2000): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin!.end();
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#fail(new Error(`${this.#label} is closed`));
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf("\n");
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      nl = this.#buffer.indexOf("\n");
      if (line.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        const err = new Error(`${this.#label} wrote a line that is not JSON: ${line.slice(0, 200)}`);
        this.#pending.shift()?.reject(err);
        continue;
      }
      if (parsed !== null && typeof parsed === "object" && "event" in parsed) {
        const e = (parsed as { event: unknown }).event;
        if (e !== null && typeof e === "object") this.#onEvent?.(e as Record<string, unknown>);
        continue;
      }
      const waiter = this.#pending.shift();
      if (waiter === undefined) {
        this.#fail(new Error(`${this.#label} wrote an unexpected line: ${line.slice(0, 200)}`));
        this.#child.kill();
        return;
      }
      waiter.resolve(parsed);
    }
  }

  #fail(error: Error): void {
    if (this.#failure === undefined) this.#failure = error;
    for (const p of this.#pending.splice(0)) p.reject(error);
  }
}
