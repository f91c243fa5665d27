/**
 * Time for device code (DESIGN.md §2 `firmware/hal`): injected, so tests drive it with a fake
 * clock (test/helpers/fake-clock.ts) instead of sleeping. Ports map it onto the runtime's timers
 * (Moddable `Timer.set`/`Timer.clear`, Espruino and Node `setTimeout`, NodeMCU `tmr`).
 */
export interface Clock {
  /** Milliseconds since an arbitrary, fixed origin; never decreases. */
  now(): number;
  /**
   * Calls `cb` once, `ms` milliseconds from now (0 = as soon as possible, never synchronously).
   * Returns an id for clearTimeout; ids are positive integers.
   */
  setTimeout(cb: () => void, ms: number): number;
  /** Cancels a pending timer. Unknown or already-fired ids are ignored. */
  clearTimeout(id: number): void;
}
