/**
 * A bridge in a child process (bridge-child.mjs on the built dist/) and the signed Super SIM uplink webhooks
 * the fault tests send it: what a real crash (SIGKILL) and a supervisor's restart look like.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { twilioSignature } from "../../host-tools/platform/signature.js";

const CHILD = fileURLToPath(new URL("./bridge-child.mjs", import.meta.url));

export interface BridgeChild {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Every child spawned, so a test's afterAll can kill what is left (killChildren). */
const children = new Set<ChildProcessWithoutNullStreams>();

/** Spawns the bridge child and resolves on its ready line (rejects if it exits first or after 10 s). */
export async function spawnBridgeChild(options: object): Promise<BridgeChild> {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ["pipe", "pipe", "pipe"] });
  children.add(proc);
  const exited = once(proc, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let out = "";
  let err = "";
  proc.stderr.on("data", (d: Buffer) => void (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge child: no ready line within 10 s\n${err}`)), 10_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      resolve(String((JSON.parse(out.slice(0, nl)) as { url: string }).url));
    };
    proc.stdout.on("data", onData);
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`bridge child exited before ready (code ${code}, signal ${signal})\n${err}`));
    });
  });
  return { proc, url, exited };
}

/** SIGKILLs every child still running and waits for each to exit. */
export async function killChildren(): Promise<void> {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = once(c, "exit");
      c.kill("SIGKILL");
      await exited;
    }
  }
  children.clear();
}

/** True once no process has this pid. */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface Account {
  accountSid: string;
  authToken: string;
}

/** The command SID of uplink `n` (unique per salt). */
export function commandSid(n: number, salt: string): string {
  return "HG" + (salt + n.toString(16)).padStart(32, "0").slice(-32);
}

/** A signed Fleet IP Commands MO webhook for event n from device `fault-dev`; its status, 0 = no response. */
export async function signedUplink(base: string, account: Account, n: number, salt: string): Promise<number> {
  const url = `${base}/webhooks/twilio/ip-commands`;
  const p = {
    AccountSid: account.accountSid, CommandSid: commandSid(n, salt), SimSid: "HS" + "b".repeat(32), SimUniqueName: "fault-dev", PayloadType: "binary",
    Payload: Buffer.from(`event ${n}`).toString("base64"), Direction: "from_sim", Status: "received",
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(account.authToken, url, p) },
      body: new URLSearchParams(p).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0; // connection reset / refused: not acknowledged, the platform would retry
  }
}

/** Posts the uplinks `ns` with `concurrency` in flight (a bounded loop); the status of each. */
export async function flood(base: string, account: Account, ns: number[], salt: string, concurrency = 32, onEach?: (done: number) => void): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < ns.length) {
      const n = ns[next++] as number;
      out.set(n, await signedUplink(base, account, n, salt));
      onEach?.(++done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
