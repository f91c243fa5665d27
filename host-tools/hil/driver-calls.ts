/**
 * Promises over the drivers' callbacks, for the host-side scenario: `call` turns a Done callback
 * into a promise that rejects with a ModemCallError carrying the driver's typed ModemError, and
 * `Inbox` collects what handlers push (datagrams, SMS, status reports) with bounded waits.
 */
import type { Done, ModemError, Outcome } from "../../firmware/modems/index.js";

/** How long `Inbox.next` waits when not told: 5000 ms. */
export const DEFAULT_INBOX_WAIT_MS = 5000;

/** A driver call that ended with `{ok: false}`; `modem` is the driver's error, unchanged. */
export class ModemCallError extends Error {
  constructor(readonly modem: ModemError) {
    super(`${modem.kind} ${modem.command}: ${modem.message} (code ${modem.code})`);
    this.name = "ModemCallError";
  }
}

/** Runs a driver call; resolves with its value, rejects with a ModemCallError. */
export function call<T>(f: (cb: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    f((o) => (o.ok ? resolve(o.value) : reject(new ModemCallError(o.error))));
  });
}

/** Like call, but resolves with the outcome, failure included (for steps that expect one). */
export function callOutcome<T>(f: (cb: Done<T>) => void): Promise<Outcome<T>> {
  return new Promise((resolve) => f(resolve));
}

/** A queue of things pushed by callbacks, awaited with a bounded wait. */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: (() => void)[] = [];

  push = (x: T): void => {
    this.items.push(x);
    for (const w of this.waiters.splice(0)) w();
  };

  /**
   * The first item matching `pred` (taken out of the queue), waiting for it up to `timeoutMs`
   * (default 5000 ms); rejects with "no <what> within N ms".
   */
  async next(what: string, timeoutMs = DEFAULT_INBOX_WAIT_MS, pred: (x: T) => boolean = () => true): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.items.findIndex(pred);
      if (i >= 0) return this.items.splice(i, 1)[0] as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get length(): number {
    return this.items.length;
  }
}
