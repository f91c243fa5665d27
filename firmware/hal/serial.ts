/**
 * The byte pipe to the modem's UART (one of the hardware seams in firmware/hal). Injected into the AT engine
 * (firmware/at), never opened by it: a port supplies the runtime's serial (Moddable
 * `embedded:io/serial`, Espruino `Serial2`, NodeMCU `uart`, Node `serialport`) behind this shape,
 * and tests supply a scripted fake.
 *
 * Bytes travel as `number[]` (0..255): the one byte container that exists on Node, XS, Espruino
 * and Lua alike (TypeScriptToLua maps only arrays to Lua tables; there is no Uint8Array in Lua).
 */
export interface SerialPort {
  /**
   * Queues `bytes` for transmission, in order, without blocking. The array may be reused by the
   * caller after the call returns: copy it if it is kept.
   */
  write(bytes: number[]): void;
  /**
   * Sets the one receiver of incoming bytes (replacing any earlier one). `cb` is called with
   * each chunk as it arrives; chunks may split lines, CR/LF pairs and payloads anywhere. The
   * receiver must not keep the array after it returns.
   */
  setOnData(cb: (bytes: number[]) => void): void;
}
