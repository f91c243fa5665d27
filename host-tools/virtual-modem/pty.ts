/**
 * A pseudo-terminal for the virtual modem without a native add-on such as node-pty: a `socat` child process joins
 * its stdio to a new pty (`pty,raw,echo=0,link=…`), or, without socat, a small Python `pty` helper
 * does the same. The emulator reads and writes the child's stdio; any serial client opens the slave
 * path (`/dev/pts/N`). Closing the pair (or the death of this process, which closes the pipes) ends
 * the child, so no process is left behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";

export interface PtyPair {
  /** The slave device a serial client opens, e.g. /dev/pts/7. */
  path: string;
  /** A stable symlink to `path` in a private temporary directory. */
  link: string;
  /** Which helper made the pty. */
  helper: "socat" | "python3";
  /** The master side: bytes written here appear on the slave, bytes the client writes come out here. */
  stream: Duplex;
  /** Ends the helper process and removes the link; resolves when the process has exited. */
  close(): Promise<void>;
}

export interface PtyOptions {
  /** "auto" (default): socat when installed, else python3. */
  helper?: "auto" | "socat" | "python3";
  /** How long to wait for the helper to report the pty (default 5000 ms). */
  timeoutMs?: number;
}

export class PtyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PtyUnavailableError";
  }
}

// Opens a pty, holds the slave open (so a client closing it never gives the master EIO), puts it
// in raw mode, prints the slave path, then relays stdin → master and master → stdout until stdin ends.
const PYTHON_HELPER = `
import os, sys, pty, tty, select
m, s = pty.openpty()
tty.setraw(s)
name = os.ttyname(s)
link = sys.argv[1]
try:
    os.symlink(name, link)
except OSError:
    pass
sys.stderr.write("PTY is " + name + "\\n"); sys.stderr.flush()
fin = sys.stdin.fileno(); fout = sys.stdout.fileno()
while True:
    r, _, _ = select.select([fin, m], [], [])
    if fin in r:
        d = os.read(fin, 4096)
        if not d:
            break
        os.write(m, d)
    if m in r:
        try:
            d = os.read(m, 4096)
        except OSError:
            continue
        os.write(fout, d)
`;

function spawnHelper(kind: "socat" | "python3", link: string): ChildProcess {
  if (kind === "socat") {
    // -d -d: notices on stderr ("PTY is /dev/pts/N", "starting data transfer loop"); -t 0: exit at once on EOF.
    return spawn("socat", ["-d", "-d", "-t", "0", "STDIO", `pty,raw,echo=0,link=${link}`], { stdio: ["pipe", "pipe", "pipe"] });
  }
  return spawn("python3", ["-u", "-c", PYTHON_HELPER, link], { stdio: ["pipe", "pipe", "pipe"] });
}

function tryHelper(kind: "socat" | "python3", dir: string, timeoutMs: number): Promise<PtyPair> {
  const link = join(dir, "modem");
  const child = spawnHelper(kind, link);
  return new Promise((resolve, reject) => {
    let log = "";
    let done = false;
    const fail = (msg: string, missing = false): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(missing ? new PtyUnavailableError(msg) : new Error(msg));
    };
    const timer = setTimeout(() => fail(`${kind} did not open a pty within ${timeoutMs} ms: ${log.trim()}`), timeoutMs);
    child.once("error", (e: NodeJS.ErrnoException) => fail(e.code === "ENOENT" ? `${kind} is not installed` : `${kind}: ${e.message}`, e.code === "ENOENT"));
    child.once("exit", (code, signal) => fail(`${kind} exited (${code ?? signal}) before the pty was ready: ${log.trim()}`));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (done) return;
      log += chunk;
      const m = /PTY is (\/dev\/\S+)/.exec(log);
      // socat links and starts relaying only after it says so; the Python helper is ready once it names the pty.
      if (m === null || (kind === "socat" && !log.includes("starting data transfer loop"))) return;
      done = true;
      clearTimeout(timer);
      resolve(makePair(kind, child, m[1] as string, link, dir));
    });
  });
}

function makePair(helper: "socat" | "python3", child: ChildProcess, path: string, link: string, dir: string): PtyPair {
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  child.removeAllListeners("exit"); // the start-up failure handler
  const exited = new Promise<void>((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res();
    else child.once("exit", () => res());
  });
  stdin.on("error", () => undefined); // EPIPE after the helper ended: the close() path reports nothing
  const stream = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (stdin.destroyed || !stdin.writable) return cb();
      stdin.write(chunk, () => cb());
    },
    read() {
      stdout.resume();
    },
  });
  stdout.on("data", (d: Buffer) => {
    if (!stream.push(d)) stdout.pause();
  });
  stdout.on("end", () => stream.push(null));
  let closing: Promise<void> | undefined;
  return {
    path,
    link,
    helper,
    stream,
    close() {
      closing ??= (async () => {
        stdin.end();
        const kill = setTimeout(() => child.kill("SIGTERM"), 200);
        await exited;
        clearTimeout(kill);
        stream.destroy();
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** Creates a pty pair. Throws PtyUnavailableError when neither socat nor python3 can be started. */
export async function openPty(options: PtyOptions = {}): Promise<PtyPair> {
  const want = options.helper ?? "auto";
  const timeoutMs = options.timeoutMs ?? 5000;
  const order: ("socat" | "python3")[] = want === "auto" ? ["socat", "python3"] : [want];
  const missing: string[] = [];
  for (const kind of order) {
    const dir = mkdtempSync(join(tmpdir(), "simcmd-modem-"));
    try {
      return await tryHelper(kind, dir, timeoutMs);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (!(e instanceof PtyUnavailableError)) throw e;
      missing.push(kind);
    }
  }
  throw new PtyUnavailableError(
    `cannot create a pseudo-terminal: ${missing.join(" and ")} not found. Install socat (apt-get install socat) or python3.`,
  );
}
