/**
 * firmware/ports/moddable/uart.ts against ECMA-419 serials that behave as Moddable's do: the ESP32
 * one writes into a 128-byte FIFO and throws "output full" beyond its room; the Linux one throws
 * "would overflow" above 1024 bytes. Both announce their room with onWritable, later. Bytes come out
 * whole and in order; nothing is written beyond the room; a full queue is reported, never grown.
 */
import { describe, expect, test } from "@jest/globals";
import { MAX_PENDING, RETRY_MS, uartSerial, type Ecma419Serial, type Ecma419SerialOptions } from "../../firmware/ports/moddable/uart.js";
import { FakeClock } from "../helpers/fake-clock.js";

/** A serial with a transmit FIFO of `fifo` bytes; `drain()` empties it and announces the room, as the port would. */
function fifoSerial(fifo: number, failure: string) {
  const state = { options: null as Ecma419SerialOptions | null, sent: [] as number[], queued: 0, writes: [] as number[], rx: [] as number[], refused: 0 };
  class Serial implements Ecma419Serial {
    constructor(o: Ecma419SerialOptions) {
      state.options = o;
    }
    read(n: number): ArrayBuffer | undefined {
      if (state.rx.length === 0) return undefined;
      return Uint8Array.from(state.rx.splice(0, n)).buffer;
    }
    write(data: ArrayBuffer): void {
      const bytes = Array.from(new Uint8Array(data));
      if (state.queued + bytes.length > fifo) {
        state.refused++;
        throw new Error(failure);
      }
      state.writes.push(bytes.length);
      state.queued += bytes.length;
      state.sent.push(...bytes);
    }
  }
  /** The FIFO empties; the port says how much it takes now. */
  const drain = (): void => {
    state.queued = 0;
    state.options?.onWritable(fifo);
  };
  return { Serial, state, drain };
}

const text = (s: string): number[] => Array.from(Buffer.from(s, "latin1"));

describe("uartSerial over ECMA-419 serial", () => {
  test("ESP32-like 128-byte FIFO: a 600-byte write goes out in pieces no larger than the room, in order", () => {
    const clock = new FakeClock();
    const { Serial, state, drain } = fifoSerial(128, "output full");
    const errors: string[] = [];
    const port = uartSerial(Serial, { port: 2, receive: 16, transmit: 17, baud: 115200, clock, onError: (m) => errors.push(m) });
    expect(state.options).toMatchObject({ port: 2, receive: 16, transmit: 17, baud: 115200, format: "buffer" });
    const payload = Array.from({ length: 600 }, (_v, i) => i & 0xff);
    port.write(payload);
    expect(state.writes).toEqual([]); // no room announced yet
    for (let i = 0; i < 5; i++) drain();
    expect(state.sent).toEqual(payload);
    expect(Math.max(...state.writes)).toBeLessThanOrEqual(128);
    expect(state.refused).toBe(0);
    expect(errors).toEqual([]);
  });

  test("Linux-like: writes up to 1024 bytes at once; received bytes reach the receiver as numbers", () => {
    const clock = new FakeClock();
    const { Serial, state, drain } = fifoSerial(1024, "would overflow");
    const port = uartSerial(Serial, { port: 0, receive: 0, transmit: 0, baud: 115200, device: "/dev/pts/9", clock, onError: () => undefined });
    expect(state.options?.device).toBe("/dev/pts/9");
    drain();
    port.write(text("AT+CMGS=18\r"));
    expect(state.writes).toEqual([11]);
    const got: number[][] = [];
    port.setOnData((b) => got.push(b));
    state.rx.push(...text("\r\n> "));
    state.options?.onReadable(4);
    expect(got).toEqual([text("\r\n> ")]);
  });

  test("a write the port refuses anyway is tried again after RETRY_MS, byte by byte until the port announces room", () => {
    const clock = new FakeClock();
    const { Serial, state, drain } = fifoSerial(4, "output full");
    const port = uartSerial(Serial, { port: 1, receive: 3, transmit: 4, baud: 9600, clock, onError: () => undefined });
    state.options?.onWritable(8); // the port overstates its room once
    port.write(text("ATE0\r\n"));
    expect(state.refused).toBe(1);
    expect(state.sent).toEqual([]);
    clock.advance(RETRY_MS);
    expect(state.sent).toEqual(text("A"));
    drain();
    expect(state.sent).toEqual(text("ATE0\r"));
    drain();
    expect(state.sent).toEqual(text("ATE0\r\n"));
  });

  test("more than MAX_PENDING bytes waiting: the write is refused and reported, nothing queued beyond the cap", () => {
    const clock = new FakeClock();
    const { Serial, state, drain } = fifoSerial(128, "output full");
    const errors: string[] = [];
    const port = uartSerial(Serial, { port: 2, receive: 16, transmit: 17, baud: 115200, clock, onError: (m) => errors.push(m) });
    port.write(new Array<number>(MAX_PENDING).fill(0x41));
    port.write(text("AT\r"));
    expect(errors).toEqual([`serial: 3 bytes not sent: ${MAX_PENDING} bytes are still waiting for the UART`]);
    for (let i = 0; i < MAX_PENDING / 128; i++) drain();
    expect(state.sent.length).toBe(MAX_PENDING);
    port.write(text("AT\r"));
    drain();
    expect(state.sent.slice(-3)).toEqual(text("AT\r"));
  });
});
