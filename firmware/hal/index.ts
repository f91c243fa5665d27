/** Hardware abstraction interfaces shared by device code (types only: nothing runs here). */
export type { SerialPort } from "./serial.js";
export type { Clock } from "./clock.js";
export { MemoryStore, type KeyValueStore } from "./storage.js";
