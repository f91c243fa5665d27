/**
 * A wait with an upper bound: resolves true when one of `waiters` is called (the caller empties the list
 * when the awaited condition holds), false after `timeoutMs` ms. The bound is real time (Node's timer, not
 * the injected clock): it bounds a wait for real I/O — PUBACKs, platform calls — that a test's clock does not move.
 */
export function waitBounded(waiters: (() => void)[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    waiters.push(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
