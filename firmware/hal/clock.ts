/**
 * Time, injected wherever code waits: the one Clock interface of the project. Device code gets it from its
 * port (Moddable `Timer.set`/`Timer.clear`, Espruino `setTimeout`, the XS host's timers); host code (the
 * bridge, the mock cloud, the dashboard, the device hosts) gets host-tools/clock/node-clock.ts; tests give
 * either the fake clock (test/helpers/fake-clock.ts) and move time instead of sleeping. The contract suite
 * test/contract/clock.test.ts holds every implementation to the rules below.
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
