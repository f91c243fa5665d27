/**
 * A private Mosquitto broker for fault tests: its own port and persistence file, so a test can stop
 * it (SIGTERM: Mosquitto saves its persistent sessions) and start it again without touching the
 * machine's shared broker on 1883. Readiness is Mosquitto's own "running" log line.
 */
import os from "node:os";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../helpers/free-port.js";

export class MosquittoProcess {
  private proc: ChildProcess | null = null;
  private constructor(readonly dir: string, readonly port: number) {}

  private tls = false;

  /** mqtt:// or, with a TLS listener, mqtts:// (the certificate is for 127.0.0.1). */
  get url(): string {
    return `${this.tls ? "mqtts" : "mqtt"}://127.0.0.1:${this.port}`;
  }

  /**
   * Picks a free port, writes the config (persistence on, no queue limit) and starts the broker. `acl`:
   * the lines of an ACL file (Mosquitto's `topic [read|write|readwrite|deny] <filter>`); `tls`: PEM files
   * for a TLS listener; `passwordFile`: a mosquitto_passwd file (then anonymous clients are refused).
   */
  static async start(dir: string, o: { acl?: string[]; tls?: { ca: string; cert: string; key: string }; passwordFile?: string } = {}): Promise<MosquittoProcess> {
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, "mosquitto.conf"),
      [
        `listener ${port} 127.0.0.1`,
        ...(o.tls ? [`cafile ${o.tls.ca}`, `certfile ${o.tls.cert}`, `keyfile ${o.tls.key}`] : []),
        ...(o.passwordFile ? ["allow_anonymous false", `password_file ${o.passwordFile}`] : ["allow_anonymous true"]),
        // Started as root, Mosquitto switches to the `mosquitto` user, which cannot write its persistence
        // file into our 0700 temp dir: sessions were then silently not restored after a restart.
        `user ${os.userInfo().username}`,
        "persistence true",
        `persistence_location ${dir}/`,
        "max_queued_messages 0", // keep every QoS 1 message for an offline persistent session
        "max_inflight_messages 0",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        ...(o.acl ? [`acl_file ${path.join(dir, "acl")}`] : []),
      ].join("\n") + "\n",
    );
    if (o.acl) fs.writeFileSync(path.join(dir, "acl"), o.acl.join("\n") + "\n");
    const m = new MosquittoProcess(dir, port);
    m.tls = o.tls !== undefined;
    await m.restart();
    return m;
  }

  /** Starts the broker (again); resolves once it logs that it is running. */
  restart(): Promise<void> {
    const proc = spawn("mosquitto", ["-c", path.join(this.dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = proc;
    return new Promise((resolve, reject) => {
      let log = "";
      proc.stderr?.on("data", (d: Buffer) => {
        log += d.toString();
        if (log.includes("running")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${log}`)));
    });
  }

  /** Stops it as an operator would (SIGTERM: sessions are saved); resolves when it has exited. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc === null || proc.exitCode !== null) return;
    proc.removeAllListeners("exit");
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    await exited;
  }
}
