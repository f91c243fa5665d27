/**
 * The XS host protocol between an xsnap worker (the xs-host entries) and its Node host
 * (host-tools/runtimes/xs-child.ts): JSON in both directions, types only. The Node side's line protocol
 * (its parent, XsRuntime) is host-tools/runtimes/xs-protocol.ts, which re-exports these.
 *
 * XS under xsnap has no timers, storage or I/O of its own. The worker asks the host through xsnap's
 * synchronous `issueCommand` (a HostCommand, answered with a HostAnswer); the host calls into the worker's
 * `handleCommand` on its own account when bytes arrive or a timer fires (a HostDelivery), queued behind
 * the command in progress.
 */
import type { Transport } from "../../agent/agent.js";

/** What the worker reports to the host's parent (written as `{"event": {…}}` lines). */
export type WorkerEvent =
  | { event: "log"; message: string }
  | { event: "handled"; transport: Transport; executed: boolean }
  | { event: "state"; state: string };

/** A request of the worker to its host (issueCommand). */
export type HostCommand =
  /** → {value}: the stored string, null when the key has none. */
  | { op: "storage.get"; key: string }
  /** → {ok: true}; the store is written through (persistent when the host has a file). */
  | { op: "storage.set"; key: string; value: string }
  /** → {ok: true}; unknown keys are ignored. */
  | { op: "storage.remove"; key: string }
  /** → {ok: true} | {error}: opens the tty the host was given (`--serial`); bytes then arrive as HostDelivery. */
  | { op: "serial.open" }
  /** → {ok: true} | {error} (not open): bytes to the tty, as hex. */
  | { op: "serial.write"; hex: string }
  /** → {ok: true}: calls back with {op: "timer", id} after `ms` (replacing a pending timer of that id). */
  | { op: "timer.set"; id: number; ms: number }
  /** → {ok: true}: cancels it; unknown ids are ignored. */
  | { op: "timer.clear"; id: number }
  /** → {ok: true}: passed on to the parent. */
  | ({ op: "event" } & WorkerEvent);

/** The host's answer to a HostCommand. */
export type HostAnswer = { ok: true } | { value: string | null } | { error: string };

/** What the host hands the worker's handleCommand on its own account (not a reply to anything). */
export type HostDelivery =
  /** Bytes that arrived on the tty, as hex. */
  | { op: "serial"; hex: string }
  /** The timer set with this id is due. */
  | { op: "timer"; id: number };
