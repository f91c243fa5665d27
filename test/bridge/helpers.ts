/** Bridge test helpers: an MQTT recorder with bounded waits, temp data dirs, webhook posting, a fake Twilio API. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

export interface Msg {
  topic: string;
  text: string;
  json: Record<string, unknown>;
  retain: boolean;
  dup?: boolean;
}

/** Records every message on `filters`; `waitFor` resolves once a predicate matches n messages (bounded). */
export class Recorder {
  readonly msgs: Msg[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const text = payload.toString("utf8");
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* presence is plain text */
      }
      this.msgs.push({ topic, text, json, retain: packet.retain, dup: packet.dup });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(url: string, filters: string[], o: IClientOptions = {}): Promise<Recorder> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...o });
    const r = new Recorder(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return r;
  }

  find(pred: (m: Msg) => boolean): Msg[] {
    return this.msgs.filter(pred);
  }

  async waitFor(pred: (m: Msg) => boolean, n = 1, timeoutMs = 10_000): Promise<Msg[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.find(pred);
      if (got.length >= n) return got;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.msgs.slice(-8).map((m) => `${m.topic} ${m.text.slice(0, 160)}`).join("\n  ");
        throw new Error(`only ${got.length}/${n} matching MQTT messages within ${timeoutMs} ms; last seen:\n  ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * A QoS 1 round trip on this connection: the broker handles packets of one connection in order, so once
   * this PUBACK arrives it has the PUBACKs of every message received before.
   */
  async settle(): Promise<void> {
    await this.client.publishAsync("simcmdtest/settle", "", { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export const topicIs = (t: string) => (m: Msg) => m.topic === t;

export function tempDir(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `simcmd-bridge-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** POSTs a form-encoded webhook. */
export async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Is something listening on host:port? */
export async function listening(port: number, host = "127.0.0.1"): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

let seq = 0;
/** A unique topic prefix per test (the shared Mosquitto keeps retained messages between runs). */
export function uniquePrefix(name: string): string {
  return `simcmdtest/${name}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** One scripted answer of FakeApi; status 0 closes the connection without an answer (a network failure). */
export interface FakeAnswer {
  status: number;
  body: object;
}

/**
 * A fake Twilio API: answers by a per-path script (`"POST /supersim/v1/IpCommands"`, the account SID written
 * `AC`), else by `fixed`, else 404; counts calls; `waitCalls` resolves once n calls to a path arrived (bounded).
 */
export class FakeApi {
  readonly calls: string[] = [];
  /** The form body of each call, in order (URL-decoded). */
  readonly forms: Record<string, string>[] = [];
  /** Answers per path, used in turn; the last one stays. */
  script: Record<string, FakeAnswer[]> = {};
  private waiters: (() => void)[] = [];
  private constructor(
    readonly server: Server,
    private readonly fixed: Record<string, FakeAnswer>,
  ) {}
  static async open(fixed: Record<string, FakeAnswer> = {}): Promise<FakeApi> {
    let self: FakeApi | null = null;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const api = self as FakeApi;
        api.forms.push(Object.fromEntries(new URLSearchParams(raw)));
        const path = (req.url ?? "").split("?")[0] as string;
        const key = `${req.method} ${path.replace(/AC[0-9a-f]{32}/, "AC")}`;
        api.calls.push(key);
        let r: FakeAnswer = api.fixed[key] ?? { status: 404, body: { code: 20404, message: "not found", status: 404 } };
        const q = api.script[key];
        if (q && q.length > 0) r = q.length > 1 ? (q.shift() as FakeAnswer) : (q[0] as FakeAnswer);
        if (r.status === 0) req.socket.destroy();
        else {
          res.writeHead(r.status, { "content-type": "application/json" });
          res.end(JSON.stringify(r.body));
        }
        for (const w of api.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    self = new FakeApi(server, fixed);
    return self;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async waitCalls(key: string, n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(key) < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.count(key)}/${n} calls to ${key}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  count(key: string): number {
    return this.calls.filter((c) => c === key).length;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
