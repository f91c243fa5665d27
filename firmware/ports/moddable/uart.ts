/**
 * The modem's UART on Moddable: an ECMA-419 `embedded:io/serial` instance (buffer format) behind
 * firmware/hal's SerialPort. The Serial class is injected (modem-main.ts passes Moddable's), so this
 * file names only the shape it uses.
 *
 * ECMA-419 serial does not queue: `write` takes what the port can accept now and throws otherwise
 * (the ESP32 implementation writes straight into the 128-byte hardware FIFO and throws "output
 * full"; the Linux one takes at most 1024 bytes and throws "would overflow" while a write is
 * pending). `onWritable(count)` says how many bytes the port takes now, after construction and
 * again after each write once it has room. So the adapter keeps a bounded queue and writes at most
 * that many bytes at a time; a write that throws anyway is tried again after `RETRY_MS`.
 */
import type { Clock } from "../../hal/clock.js";
import type { SerialPort } from "../../hal/serial.js";

/** The part of an ECMA-419 Serial instance used here. */
export interface Ecma419Serial {
  read(byteLength: number): ArrayBuffer | undefined;
  write(data: ArrayBuffer): void;
}

export interface Ecma419SerialOptions {
  port: number;
  receive: number;
  transmit: number;
  baud: number;
  /** Moddable on Linux: the tty to open (its serial ignores port and pins). */
  device?: string;
  format: "buffer";
  onReadable: (count: number) => void;
  onWritable: (count: number) => void;
}

export type Ecma419SerialClass = new (options: Ecma419SerialOptions) => Ecma419Serial;

export interface UartOptions {
  port: number;
  receive: number;
  transmit: number;
  baud: number;
  device?: string;
  clock: Clock;
  /** Bytes that could not be sent (queue full), one line each. */
  onError: (message: string) => void;
}

/** Bytes waiting for the port at most; more is refused (and reported), never buffered without bound. */
export const MAX_PENDING = 8192;
/** Wait before writing again after the port refused a write it had said it could take, ms. */
export const RETRY_MS = 20;

export function uartSerial(Serial: Ecma419SerialClass, o: UartOptions): SerialPort {
  let onData: ((bytes: number[]) => void) | null = null;
  let port: Ecma419Serial | null = null;
  const pending: number[] = [];
  /** What the port last said it can take, less what was written since. */
  let room = 0;
  let retry = 0;

  function flush(): void {
    while (port !== null && pending.length > 0 && room > 0) {
      const n = pending.length < room ? pending.length : room;
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = pending[i] as number;
      try {
        port.write(chunk.buffer);
      } catch (_e) {
        room = 0;
        if (retry === 0) {
          retry = o.clock.setTimeout(function (): void {
            retry = 0;
            room = 1;
            flush();
          }, RETRY_MS);
        }
        return;
      }
      pending.splice(0, n);
      room -= n;
    }
  }

  port = new Serial({
    port: o.port,
    receive: o.receive,
    transmit: o.transmit,
    baud: o.baud,
    device: o.device,
    format: "buffer",
    onReadable: function (count: number): void {
      if (port === null) return;
      const buf = port.read(count);
      if (buf === undefined) return;
      const view = new Uint8Array(buf);
      const bytes: number[] = [];
      for (let i = 0; i < view.length; i++) bytes.push(view[i] as number);
      if (onData !== null) onData(bytes);
    },
    onWritable: function (count: number): void {
      room = count;
      flush();
    },
  });

  return {
    write: function (bytes: number[]): void {
      if (pending.length + bytes.length > MAX_PENDING) {
        o.onError("serial: " + bytes.length + " bytes not sent: " + pending.length + " bytes are still waiting for the UART");
        return;
      }
      for (let i = 0; i < bytes.length; i++) pending.push(bytes[i] as number);
      flush();
    },
    setOnData: function (cb: (bytes: number[]) => void): void {
      onData = cb;
    },
  };
}
