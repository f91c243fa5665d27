/**
 * UDP on loopback for the Node device hosts (the simulated device, the virtual modem's device sockets and
 * SMS endpoint): sockets bound to 127.0.0.1 on a free port, and the "host:port" addresses the mock cloud
 * hands out on attach.
 */
import { createSocket, type Socket } from "node:dgram";

/** "host:port" (IPv6 hosts may be bracketed) → parts. */
export function parseAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(a.slice(i + 1)) };
}

/** A socket's local address as "host:port". */
export function addressOf(s: Socket): string {
  const a = s.address();
  return `${a.address}:${a.port}`;
}

/** A UDP socket bound to 127.0.0.1 on a free port; later socket errors are ignored (sends report their own). */
export function bindLoopback(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      s.removeListener("error", reject);
      s.on("error", () => undefined);
      resolve(s);
    });
  });
}

/** Sends one datagram; resolves once it has left, rejects with the send error. */
export function sendTo(s: Socket, data: Uint8Array, to: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, to.port, to.host, (e) => (e ? reject(e) : resolve())));
}

/** Closes a socket; resolves once closed (at once when it already was). */
export function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
