/**
 * A simulated device with a cellular modem (docs/agent.md, "The modem path"): the virtual modem of
 * `family` on a real pty, attached to the mock cloud as the SIM (host-tools/virtual-modem), and the firmware
 * agent with the AT engine and the family's driver talking to it through that pty — inside the real
 * XS engine (dist/firmware/xs/modem-agent.js, HAL served by host-tools/runtimes/xs-child.ts) or, for
 * debugging, in this Node process. IP Commands arrive as the modem's socket URCs, SMS Commands as
 * +CMTI; replies leave through AT+QISEND / AT+CASEND / AT+USOST and AT+CMGS.
 *
 *   const device = await ModemDevice.start({ cloud, sim: "my-sim", modem: "bg96" });
 *   …
 *   await device.close();
 */
import { EventEmitter } from "node:events";
import path from "node:path";
import { ModemAgent, type ModemAgentStatus, type ModemTuning } from "../../firmware/agent/modem-agent.js";
import { utf16Text } from "../../firmware/core/text.js";
import type { ModemFamily } from "../../firmware/modems/capabilities.js";
import { modemDriver } from "../../firmware/modems/index.js";
import { startModem, type AttachInfo, type ModemHandle } from "../virtual-modem/index.js";
import { packageRoot } from "../runtimes/line-process.js";
import { XsRuntime } from "../runtimes/xs.js";
import type { DeviceInfo } from "./agent-runtime.js";
import { DEFAULT_DEVICE_PORT, type Handled } from "./device.js";
import { NodeClock } from "../clock/node-clock.js";
import { JsonFileStore } from "./json-file-store.js";
import { NodeSerial } from "./node-serial.js";

export const DEFAULT_APN = "super";
/** How long start() waits for the modem bring-up (init, registration, PDP, listener, SMS). */
export const DEFAULT_READY_TIMEOUT_MS = 30000;

export interface ModemDeviceOptions {
  cloud: { url: string; accountSid: string; authToken: string };
  /** The SIM the modem holds: its SID or unique name. */
  sim: string;
  /** The modem family: the virtual modem's dialect and the driver's. */
  modem: ModemFamily;
  /** Where the agent runs. Default "xs". */
  runtime?: "xs" | "node";
  /** Device port for IP Commands. Default 6969. */
  devicePort?: number;
  /** APN of the PDP context. Default "super". */
  apn?: string;
  /** Persistent storage (executed ids, config) as a JSON file. Default: memory only. */
  storage?: string;
  info?: Partial<DeviceInfo>;
  maxIds?: number;
  /** Driver timings (poll interval, timeouts). Default: the driver's. */
  tuning?: ModemTuning;
  readyTimeoutMs?: number;
  /** Every byte the virtual modem receives and sends. */
  trace?: (direction: "rx" | "tx", text: string) => void;
}

/** The agent's side: XS behind its child process, or ModemAgent in this process. */
interface Runner {
  status(): Promise<ModemAgentStatus>;
  close(): Promise<void>;
}

export class ModemDevice extends EventEmitter<{ handled: [Handled]; log: [string]; state: [string]; error: [Error] }> {
  /** The agent's last state ("starting", "ready", "retrying", "stopped"). */
  state = "stopped";
  /** Its log lines (errors, state changes), the last 200. */
  readonly logs: string[] = [];
  #runner: Runner | undefined;
  #closed = false;

  private constructor(
    readonly options: ModemDeviceOptions,
    readonly modem: ModemHandle,
  ) {
    super();
  }

  /** Starts the virtual modem (attaching the SIM) and the agent; resolves once the modem is up. */
  static async start(options: ModemDeviceOptions): Promise<ModemDevice> {
    const modem = await startModem({
      dialect: options.modem,
      cloud: { url: options.cloud.url, sim: options.sim, accountSid: options.cloud.accountSid, authToken: options.cloud.authToken },
      ...(options.trace === undefined ? {} : { trace: options.trace }),
    });
    const device = new ModemDevice(options, modem);
    try {
      await device.#boot();
    } catch (e) {
      await device.close();
      throw e;
    }
    return device;
  }

  /** What the network said when the modem attached (device_ip, the mo and smsc addresses). */
  get attachment(): AttachInfo {
    return this.modem.modem.sockets.attachInfo ?? { device_ip: "0.0.0.0", mo: "" };
  }

  /** The agent's counters and state. */
  status(): Promise<ModemAgentStatus> {
    if (this.#runner === undefined) return Promise.reject(new Error("the device is not running"));
    return this.#runner.status();
  }

  #event(e: Record<string, unknown>): void {
    if (e["event"] === "handled") {
      this.emit("handled", { transport: e["transport"] === "sms" ? "sms" : "ip", executed: e["executed"] === true });
    } else if (e["event"] === "state" && typeof e["state"] === "string") {
      this.state = e["state"];
      this.emit("state", e["state"]);
    } else if (e["event"] === "log" && typeof e["message"] === "string") {
      this.logs.push(e["message"]);
      if (this.logs.length > 200) this.logs.shift();
      this.emit("log", e["message"]);
    }
  }

  async #boot(): Promise<void> {
    const o = this.options;
    const runtime = o.runtime ?? "xs";
    const info: DeviceInfo = { version: "0.1.0", runtime, modem: o.modem, ...o.info };
    const ready = this.#whenReady(o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    ready.catch(() => undefined);
    if (runtime === "node") this.#runner = await this.#startNode(info);
    else this.#runner = await this.#startXs(info);
    await ready;
  }

  #whenReady(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("state", onState);
        const last = this.logs.filter((l) => !l.startsWith("state ")).slice(-1)[0];
        reject(new Error(`the ${this.options.modem} modem did not come up within ${ms} ms (state ${this.state}${last === undefined ? "" : "; last error: " + last})`));
      }, ms);
      const onState = (s: string): void => {
        if (s !== "ready") return;
        clearTimeout(timer);
        this.off("state", onState);
        resolve();
      };
      this.on("state", onState);
    });
  }

  async #startXs(info: DeviceInfo): Promise<Runner> {
    const o = this.options;
    const xs = await XsRuntime.start({
      bundle: path.join(packageRoot(), "dist/firmware/xs/modem-agent.js"),
      serial: this.modem.port,
      onEvent: (e) => this.#event(e),
      ...(o.storage === undefined ? {} : { storage: o.storage }),
    });
    // The settings as a Moddable manifest's config names them (firmware/ports/shared/modem-settings.ts).
    const init = await xs.request({
      op: "init",
      modem: o.modem,
      version: info.version,
      devicePort: o.devicePort ?? DEFAULT_DEVICE_PORT,
      apn: o.apn ?? DEFAULT_APN,
      ...(o.maxIds === undefined ? {} : { maxIds: o.maxIds }),
      ...(o.tuning ?? {}),
    }).catch(async (e: unknown) => {
      await xs.close();
      throw e;
    });
    const err = (init as { error?: { code: string; message: string } }).error;
    if (err !== undefined) {
      await xs.close();
      throw new Error(`modem agent init: ${err.code}: ${err.message}`);
    }
    return {
      status: async () => (await xs.request({ op: "status" })) as ModemAgentStatus,
      close: () => xs.close(),
    };
  }

  async #startNode(info: DeviceInfo): Promise<Runner> {
    const o = this.options;
    const serial = await NodeSerial.open(this.modem.port);
    const clock = new NodeClock();
    const agent = new ModemAgent({
      serial,
      clock,
      storage: new JsonFileStore(o.storage),
      text: utf16Text,
      family: o.modem,
      driver: modemDriver(o.modem),
      info,
      devicePort: o.devicePort ?? DEFAULT_DEVICE_PORT,
      apn: o.apn ?? DEFAULT_APN,
      ...(o.maxIds === undefined ? {} : { maxIds: o.maxIds }),
      ...(o.tuning === undefined ? {} : { tuning: o.tuning }),
      onLog: (message) => this.#event({ event: "log", message }),
      onHandled: (transport, executed) => this.#event({ event: "handled", transport, executed }),
      onState: (state) => this.#event({ event: "state", state }),
    });
    agent.start();
    return {
      status: async () => agent.status(),
      close: async () => {
        agent.stop();
        clock.clearAll();
        await serial.close();
      },
    };
  }

  /** Stops the agent, then the virtual modem (which detaches the SIM). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#runner?.close().catch(() => undefined);
    await this.modem.close();
  }
}
