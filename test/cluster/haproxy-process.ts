/**
 * A private HAProxy (Debian's package, /usr/sbin/haproxy; scripts/setup.sh installs it) in front of bridge
 * instances: its own config on free loopback ports, run in the foreground as a child of the test (never the
 * system service). Each server is health-checked on GET /healthz (200 = taking webhooks), every 200 ms; one
 * failed check takes it out, two good ones put it back.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export class HaproxyProcess {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, port: number, servers: { name: string; port: number }[]): Promise<HaproxyProcess> {
    const cfg = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(
      cfg,
      [
        "global",
        "  maxconn 2048",
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 30s",
        "  timeout server 30s",
        // a connection refused by a server that just died is tried on another (nothing was sent yet)
        "  retries 2",
        "  option redispatch",
        "frontend webhooks",
        `  bind 127.0.0.1:${port}`,
        "  default_backend bridges",
        "backend bridges",
        "  balance roundrobin",
        "  option httpchk GET /healthz",
        "  http-check expect status 200",
        "  default-server inter 200ms fall 1 rise 2",
        ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`),
      ].join("\n") + "\n",
    );
    const proc = spawn("/usr/sbin/haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    proc.stderr?.on("data", (d: Buffer) => void (log += d.toString()));
    const exited = once(proc, "exit").then(() => {
      throw new Error(`haproxy exited: ${log}`);
    });
    // listening once a connection to the frontend is accepted (bounded: 100 tries, each awaiting the connect outcome)
    for (let i = 0; ; i++) {
      const up = await Promise.race([
        new Promise<boolean>((resolve) => {
          const s = net.connect(port, "127.0.0.1");
          s.once("connect", () => (s.destroy(), resolve(true)));
          s.once("error", () => resolve(false));
        }),
        exited,
      ]);
      if (up) break;
      if (i >= 100) throw new Error(`haproxy not listening on ${port}: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return new HaproxyProcess(proc, port);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, "exit");
    this.proc.kill("SIGTERM");
    await exited;
  }
}
