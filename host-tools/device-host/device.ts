/**
 * A simulated device on the mock network (docs/mock-network.md): the firmware agent (XS or Node)
 * behind real UDP sockets — one for its device port (IP Commands) and one for SMS TPDUs —
 * attached to the mock cloud as a SIM. Commands are handled one at a time, in arrival order.
 *
 *   const device = await SimulatedDevice.start({ cloud, sim: "my-sim" });
 *   …
 *   await device.close();
 */
import type { Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { DEFAULT_DEVICE_PORT } from "../../firmware/core/limits.js";
import { startAgent, type AgentRuntime, type AgentRuntimeName, type DeviceInfo } from "./agent-runtime.js";
import { CloudLink, type AttachInfo } from "./network-link.js";
import { addressOf, bindLoopback, closeSocket, parseAddress, sendTo } from "./udp.js";

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

export class SimulatedDevice extends EventEmitter<{ handled: [Handled]; error: [Error] }> {
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly options: DeviceOptions,
    readonly agent: AgentRuntime,
    readonly ipSocket: Socket,
    readonly smsSocket: Socket,
    readonly attachment: AttachInfo,
    readonly link: CloudLink,
  ) {
    super();
    const mo = parseAddress(attachment.mo);
    const smsc = attachment.smsc === undefined ? undefined : parseAddress(attachment.smsc);
    ipSocket.on("message", (msg) => this.#enqueue(async () => {
      const r = await agent.ip(msg.toString("hex"));
      if (r.hex !== "") await sendTo(ipSocket, Buffer.from(r.hex, "hex"), mo);
      this.emit("handled", { transport: "ip", executed: r.executed });
    }));
    smsSocket.on("message", (msg) => this.#enqueue(async () => {
      if (smsc === undefined) return;
      const r = await agent.sms(msg.toString("hex"));
      await sendTo(smsSocket, Buffer.from(r.report, "hex"), smsc);
      for (const tpdu of r.replies) await sendTo(smsSocket, Buffer.from(tpdu, "hex"), smsc);
      if (r.replies.length > 0) this.emit("handled", { transport: "sms", executed: r.executed });
    }));
  }

  /** Starts the agent, binds the sockets and attaches the SIM. */
  static async start(options: DeviceOptions): Promise<SimulatedDevice> {
    const runtime = options.runtime ?? "xs";
    const info: DeviceInfo = { version: "0.1.0", runtime, modem: "none", ...options.info };
    const agent = await startAgent(runtime, info, options.storage, options.maxIds);
    const sockets: Socket[] = [];
    try {
      const ipSocket = await bindLoopback();
      sockets.push(ipSocket);
      const smsSocket = await bindLoopback();
      sockets.push(smsSocket);
      const devicePort = options.devicePort ?? DEFAULT_DEVICE_PORT;
      const { url, accountSid, authToken } = options.cloud;
      const link = new CloudLink({ url, sim: options.sim, accountSid, authToken });
      const attachment = await link.attach({ ports: { [String(devicePort)]: addressOf(ipSocket) }, sms: addressOf(smsSocket) });
      return new SimulatedDevice(options, agent, ipSocket, smsSocket, attachment, link);
    } catch (e) {
      await Promise.all(sockets.map(closeSocket));
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
    await this.link.detach().catch(() => undefined);
    await closeSocket(this.ipSocket);
    await closeSocket(this.smsSocket);
    await this.agent.close();
  }
}
