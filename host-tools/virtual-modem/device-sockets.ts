/**
 * The device's UDP sockets: each device port is played by a real UDP socket on 127.0.0.1, and every
 * change of the set is announced to the network simulator by attaching again (docs/mock-network.md).
 * 100.64.0.1 stands for the SIM's `mo` address. Dialects keep their own view (ids, modes) on top.
 */
import type { Socket } from "node:dgram";
import { DEFAULT_MO_HOST } from "../../firmware/core/limits.js";
import { addressOf, bindLoopback, closeSocket, parseAddress } from "../device-host/udp.js";
import type { AttachInfo, NetworkLink } from "../device-host/network-link.js";
import type { VirtualModem } from "./virtual-modem.js";

export interface Datagram {
  data: Buffer;
  host: string;
  port: number;
}

export interface DeviceSocket {
  id: number;
  devicePort: number;
  udp: Socket;
  rx: Datagram[];
  /** Default destination (a "UDP" client socket, +CACFG REMOTEADDR). */
  remote?: { host: string; port: number };
  rxTotal: number;
  rxRead: number;
  txTotal: number;
  /** Called for each datagram queued; `wasEmpty` tells whether the queue was empty before. */
  onReceive?: (s: DeviceSocket, d: Datagram, wasEmpty: boolean) => void;
}

export class PortBusyError extends Error {}

export class DeviceSockets {
  private readonly map = new Map<number, DeviceSocket>();
  private info: AttachInfo | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private nextEphemeral = 49152;

  constructor(private readonly modem: VirtualModem, private readonly link: NetworkLink) {}

  get attachInfo(): AttachInfo | undefined {
    return this.info;
  }

  get(id: number): DeviceSocket | undefined {
    return this.map.get(id);
  }

  all(): DeviceSocket[] {
    return [...this.map.values()];
  }

  /** The lowest id in [from, to] not in use. */
  freeId(from: number, to: number): number | undefined {
    for (let i = from; i <= to; i++) if (!this.map.has(i)) return i;
    return undefined;
  }

  /** Opens socket `id` on `devicePort` (0: an ephemeral port) and attaches again. Throws PortBusyError. */
  async open(id: number, devicePort = 0): Promise<DeviceSocket> {
    let port = devicePort;
    if (port === 0) {
      while (this.all().some((s) => s.devicePort === this.nextEphemeral)) this.nextEphemeral++;
      port = this.nextEphemeral++;
    } else if (this.all().some((s) => s.devicePort === port)) throw new PortBusyError(`port ${port} in use`);
    const udp = await bindLoopback();
    const s: DeviceSocket = { id, devicePort: port, udp, rx: [], rxTotal: 0, rxRead: 0, txTotal: 0 };
    udp.on("message", (msg, rinfo) => this.receive(s, msg, rinfo.address, rinfo.port));
    this.map.set(id, s);
    await this.attach();
    return s;
  }

  async closeOne(id: number): Promise<void> {
    const s = this.map.get(id);
    if (s === undefined) return;
    this.map.delete(id);
    await closeSocket(s.udp);
    await this.attach();
  }

  /** The real address a device port is played by (for tests playing the network). */
  realAddress(devicePort: number): string | undefined {
    const s = this.all().find((x) => x.devicePort === devicePort);
    return s === undefined ? undefined : addressOf(s.udp);
  }

  /** (Re)attaches with the current port map; calls are serialised. */
  attach(): Promise<AttachInfo> {
    const run = async (): Promise<AttachInfo> => {
      const ports: Record<string, string> = {};
      for (const s of this.map.values()) ports[String(s.devicePort)] = addressOf(s.udp);
      const info = await this.link.attach({ ports, sms: this.modem.sms.address });
      this.info = info;
      this.modem.state.deviceIp = info.device_ip;
      this.modem.emit("attached", info);
      return info;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Sends a datagram from socket s. 100.64.0.1 goes to the SIM's `mo` address; loopback goes as is. */
  send(s: DeviceSocket, host: string, port: number, data: Buffer): boolean {
    if (!this.modem.state.registered) return false;
    let dest: { host: string; port: number } | undefined;
    if (host === DEFAULT_MO_HOST && this.info !== undefined) dest = parseAddress(this.info.mo);
    else if (host === "127.0.0.1" || host === "localhost") dest = { host: "127.0.0.1", port };
    s.txTotal += data.length;
    if (dest === undefined) return true; // an address the mock network does not know: lost, as UDP may be
    s.udp.send(data, dest.port, dest.host);
    return true;
  }

  /** Takes up to `max` bytes of the oldest datagram (the rest of it stays queued). */
  read(s: DeviceSocket, max = Infinity): Datagram | undefined {
    const d = s.rx[0];
    if (d === undefined) return undefined;
    if (d.data.length <= max) s.rx.shift();
    const part: Datagram = { ...d, data: d.data.subarray(0, Math.min(max, d.data.length)) };
    if (d.data.length > max) d.data = d.data.subarray(max);
    s.rxRead += part.data.length;
    return part;
  }

  pending(s: DeviceSocket): number {
    return s.rx.reduce((n, d) => n + d.data.length, 0);
  }

  private receive(s: DeviceSocket, msg: Buffer, address: string, port: number): void {
    if (!this.modem.state.registered || !this.map.has(s.id)) return; // out of coverage: the datagram is lost
    const mo = this.info !== undefined ? parseAddress(this.info.mo) : undefined;
    const fromMo = mo !== undefined && mo.port === port && (mo.host === address || mo.host === "localhost");
    const d: Datagram = { data: msg, host: fromMo ? DEFAULT_MO_HOST : address, port };
    const wasEmpty = s.rx.length === 0;
    s.rx.push(d);
    s.rxTotal += msg.length;
    this.modem.emit("datagram", s.devicePort, d);
    s.onReceive?.(s, d, wasEmpty);
  }

  /** Closes every socket (dialect reset), without attaching again. */
  async closeAll(): Promise<void> {
    const all = this.all();
    this.map.clear();
    await Promise.all(all.map((s) => closeSocket(s.udp)));
  }

  /** Closes everything and detaches from the network. */
  async close(): Promise<void> {
    await this.closeAll();
    await this.chain;
    try {
      await this.link.detach();
    } catch {
      // the cloud may be gone already
    }
  }
}
