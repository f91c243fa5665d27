/**
 * How every MQTT message of the bridge starts: a row of the SQLite outbox, written in the caller's
 * transaction (so it commits with whatever caused it) and published later by the outbox pump (outbox.ts).
 * A topic no broker would take (topics.ts `topicProblem`) goes straight to `dead_letters` with reason 0x90
 * (topic name invalid), counted and logged, never published.
 */
import type { Clock } from "../../firmware/hal/clock.js";
import type { Metrics } from "./metrics.js";
import type { Store } from "./store.js";
import { topicProblem } from "./topics.js";

/** Writes one message to the outbox; returns its payload as JSON. `kind` labels it in metrics and logs. */
export type Emit = (topic: string, payload: object, retain: boolean, kind: string) => string;

export interface EmitterDeps {
  store: Pick<Store, "addOutbox" | "addDeadLetter">;
  metrics: Pick<Metrics, "inc">;
  clock: Pick<Clock, "now">;
  log: (line: string) => void;
}

export function outboxEmitter({ store, metrics, clock, log }: EmitterDeps): Emit {
  return (topic, payload, retain, kind) => {
    const json = JSON.stringify(payload);
    const problem = topicProblem(topic);
    if (problem !== null) {
      store.addDeadLetter(topic, json, retain, kind, clock.now(), 0x90, problem);
      metrics.inc("simcmd_bridge_dead_letters_total", { kind, reason_code: "0x90" });
      log(`outbox: ${problem}; kept in dead_letters, not published`);
      return json;
    }
    store.addOutbox(topic, json, retain, kind, clock.now());
    return json;
  };
}
