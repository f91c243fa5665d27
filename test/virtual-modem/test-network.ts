/** Plays the mock network with plain UDP sockets: the SIM's `mo` address and its SMSC (docs/mock-network.md). */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { StaticLink } from "../../host-tools/virtual-modem/index.js";

export interface Received {
  data: Buffer;
  from: RemoteInfo;
}

class Inbox {
  private items: Received[] = [];
  private waiters: ((r: Received) => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on("message", (data, from) => {
      const w = this.waiters.shift();
      if (w !== undefined) w({ data, from });
      else this.items.push({ data, from });
    });
  }
  next(timeoutMs = 5000): Promise<Received> {
    const it = this.items.shift();
    if (it !== undefined) return Promise.resolve(it);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== got);
        reject(new Error("timeout waiting for a datagram"));
      }, timeoutMs);
      const got = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push(got);
    });
  }
  get address(): string {
    const a = this.socket.address();
    return `${a.address}:${a.port}`;
  }
}

function bind(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.bind(0, "127.0.0.1", () => resolve(s));
  });
}

export class TestNetwork {
  private constructor(readonly mo: Inbox, readonly smsc: Inbox, readonly link: StaticLink) {}

  static async create(): Promise<TestNetwork> {
    const mo = new Inbox(await bind());
    const smsc = new Inbox(await bind());
    return new TestNetwork(mo, smsc, new StaticLink({ device_ip: "10.64.12.34", mo: mo.address, smsc: smsc.address }));
  }

  /** Sends an MT datagram from the `mo` socket to the real socket that plays `devicePort`. */
  toDevice(devicePort: number, data: Buffer): void {
    const a = this.link.last?.ports[String(devicePort)];
    if (a === undefined) throw new Error(`device port ${devicePort} is not attached`);
    const [host, port] = a.split(":");
    this.mo.socket.send(data, Number(port), host);
  }

  /** Sends one TPDU from the SMSC to the modem's SMS address. */
  toModemSms(tpdu: Buffer): void {
    const a = this.link.last?.sms;
    if (a === undefined) throw new Error("no sms address attached");
    const [host, port] = a.split(":");
    this.smsc.socket.send(tpdu, Number(port), host);
  }

  close(): void {
    this.mo.socket.close();
    this.smsc.socket.close();
  }
}
