/**
 * A simulated device on the mock network (docs/mock-network.md): the firmware agent (XS or Node)
 * behind real UDP sockets — one for its device port (IP Commands) and one for SMS TPDUs —
 * attached to the mock cloud as a SIM. Commands are handled one at a time, in arrival order.
 *
 *   const device = await SimulatedDevice.start({ cloud, sim: "my-sim" });
 *   …
 *   await device.close();
 */
import { createSocket, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { DEFAULT_DEVICE_PORT } from "../../firmware/core/limits.js";
import { startAgent, type AgentRuntime, type AgentRuntimeName, type DeviceInfo } from "./agent-runtime.js";

/** The UDP port the device listens on for IP Commands when none is given. */
export { DEFAULT_DEVICE_PORT };

export interface DeviceOptions {
  /** The mock cloud and the account whose SIM this device plays. */
  cloud: { url: string; accountSid: string; authToken: string };
  /** The SIM: its SID or unique name. */
  sim: string;
  /** Where the agent runs. Default "xs" (the bundle that ships). */
  runtime?: AgentRuntimeName;
  /** Device port for IP Commands. Default 6969. */
  devicePort?: number;
  /** Persistent storage (executed ids, config) as a JSON file. Default: memory only. */
  storage?: string;
  /** What `info` reports. Default: this package's version, the runtime, modem "none". */
  info?: Partial<DeviceInfo>;
  /** Executed ids remembered. Default 16. */
  maxIds?: number;
}

export interface Handled {
  transport: "ip" | "sms";
  executed: boolean;
}

interface AttachReply {
  device_ip: string;
  mo: string;
  smsc?: string;
}

function endpoint(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function bind(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve(socket.address().port);
    });
  });
}

export class SimulatedDevice extends EventEmitter<{ handled: [Handled]; error: [Error] }> {
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly options: DeviceOptions,
    readonly agent: AgentRuntime,
    readonly ipSocket: Socket,
    readonly smsSocket: Socket,
    readonly attachment: AttachReply,
  ) {
    super();
    const mo = endpoint(attachment.mo);
    const smsc = attachment.smsc === undefined ? undefined : endpoint(attachment.smsc);
    ipSocket.on("message", (msg) => this.#enqueue(async () => {
      const r = await agent.ip(msg.toString("hex"));
      if (r.hex !== "") await send(ipSocket, Buffer.from(r.hex, "hex"), mo);
      this.emit("handled", { transport: "ip", executed: r.executed });
    }));
    smsSocket.on("message", (msg) => this.#enqueue(async () => {
      if (smsc === undefined) return;
      const r = await agent.sms(msg.toString("hex"));
      await send(smsSocket, Buffer.from(r.report, "hex"), smsc);
      for (const tpdu of r.replies) await send(smsSocket, Buffer.from(tpdu, "hex"), smsc);
      if (r.replies.length > 0) this.emit("handled", { transport: "sms", executed: r.executed });
    }));
  }

  /** Starts the agent, binds the sockets and attaches the SIM. */
  static async start(options: DeviceOptions): Promise<SimulatedDevice> {
    const runtime = options.runtime ?? "xs";
    const info: DeviceInfo = { version: "0.1.0", runtime, modem: "none", ...options.info };
    const agent = await startAgent(runtime, info, options.storage, options.maxIds);
    const ipSocket = createSocket("udp4");
    const smsSocket = createSocket("udp4");
    try {
      const ipPort = await bind(ipSocket);
      const smsPort = await bind(smsSocket);
      const devicePort = options.devicePort ?? DEFAULT_DEVICE_PORT;
      const attachment = await cloudCall<AttachReply>(options, "attach", {
        ports: { [String(devicePort)]: `127.0.0.1:${ipPort}` },
        sms: `127.0.0.1:${smsPort}`,
      });
      return new SimulatedDevice(options, agent, ipSocket, smsSocket, attachment);
    } catch (e) {
      ipSocket.close();
      smsSocket.close();
      await agent.close();
      throw e;
    }
  }

  #enqueue(job: () => Promise<void>): void {
    this.#queue = this.#queue.then(job).catch((e: unknown) => {
      if (!this.#closed) this.emit("error", e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Detaches the SIM and stops the agent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await cloudCall(this.options, "detach", {}).catch(() => undefined);
    this.ipSocket.close();
    this.smsSocket.close();
    await this.agent.close();
  }
}

function send(socket: Socket, data: Buffer, to: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, to.port, to.host, (e) => (e ? reject(e) : resolve())));
}

async function cloudCall<T>(o: DeviceOptions, action: string, body: object): Promise<T> {
  const url = `${o.cloud.url}/_mock/sims/${encodeURIComponent(o.sim)}/${action}`;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Basic " + Buffer.from(`${o.cloud.accountSid}:${o.cloud.authToken}`).toString("base64"),
    },
    body: JSON.stringify(body),
  }).catch((e: unknown) => {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach the mock cloud at ${o.cloud.url} to ${action} SIM '${o.sim}': ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`mock cloud ${action} of SIM '${o.sim}' failed: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
