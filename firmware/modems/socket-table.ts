/**
 * What the three UDP drivers share: the open sockets, the datagram handler, and the buffer-mode
 * drain (read until the modem has nothing left, one read at a time per socket).
 */
import type { Datagram, Done, ModemError, RxMode, UdpSocket } from "./capabilities.js";

interface Entry {
  socket: UdpSocket;
  /** A drain is running for this socket. */
  draining: boolean;
  /** Data was announced while draining: read again when the drain ends. */
  again: boolean;
}

export class SocketTable {
  private entries: Entry[] = [];
  private handler: ((d: Datagram) => void) | null = null;
  private onError: (e: ModemError) => void;

  constructor(onError: (e: ModemError) => void) {
    this.onError = onError;
  }

  setHandler(h: (d: Datagram) => void): void {
    this.handler = h;
  }

  add(id: number, localPort: number, mode: RxMode): UdpSocket {
    this.remove(id);
    const s: UdpSocket = { id: id, localPort: localPort, mode: mode };
    this.entries.push({ socket: s, draining: false, again: false });
    return s;
  }

  remove(id: number): void {
    for (let i = 0; i < this.entries.length; i++) {
      if ((this.entries[i] as Entry).socket.id === id) {
        this.entries.splice(i, 1);
        return;
      }
    }
  }

  clear(): void {
    this.entries = [];
  }

  get(id: number): UdpSocket | null {
    const e = this.entry(id);
    return e === null ? null : e.socket;
  }

  /** The lowest id in [from, to] not in use, or -1. */
  freeId(from: number, to: number): number {
    for (let id = from; id <= to; id++) if (this.entry(id) === null) return id;
    return -1;
  }

  deliver(d: Datagram): void {
    if (this.handler !== null) this.handler(d);
  }

  /** Buffer mode: data was announced for `id`; `read` it until it gives null. */
  drain(id: number, read: (s: UdpSocket, cb: Done<Datagram | null>) => void): void {
    const e = this.entry(id);
    if (e === null) return;
    if (e.draining) {
      e.again = true;
      return;
    }
    e.draining = true;
    e.again = false;
    const next = (): void => {
      read(e.socket, (o) => {
        if (!o.ok) {
          e.draining = false;
          this.onError(o.error);
          return;
        }
        if (o.value !== null) {
          this.deliver(o.value);
          return next();
        }
        e.draining = false;
        if (e.again && this.entry(id) === e) this.drain(id, read);
      });
    };
    next();
  }

  private entry(id: number): Entry | null {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i] as Entry;
      if (e.socket.id === id) return e;
    }
    return null;
  }
}
