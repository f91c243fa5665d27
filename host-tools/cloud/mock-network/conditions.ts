/**
 * Network conditions (loss, latency; network-wide, and per SIM over them) and per-SIM power modes (connected,
 * idle paging delay, eDRX ± HLCOM, PSM ± HLCOM).
 */

export interface Conditions {
  /** Probability 0..1 that a datagram (either direction) is lost. */
  loss: number;
  /** One-way latency added to every datagram, ms. */
  latencyMs: number;
  /** Time the SMSC waits for a DELIVER-REPORT before sending again, ms (docs/mock-network.md: 5000). */
  smsRetryMs: number;
  /** Resends of an unacknowledged SMS-DELIVER before the message fails (docs: 3). */
  smsMaxResends: number;
  /** How long the SMSC keeps an undelivered MT SMS for a detached SIM, ms. Default 24 h. */
  smsValidityMs: number;
}

export const DEFAULT_CONDITIONS: Conditions = { loss: 0, latencyMs: 0, smsRetryMs: 5000, smsMaxResends: 3, smsValidityMs: 86_400_000 };

/** A SIM's own loss, latency and loss seed; null = the network-wide value (loss draws: the network's generator). */
export interface SimConditions {
  loss: number | null;
  latencyMs: number | null;
  seed: number | null;
}

export const NO_SIM_CONDITIONS: SimConditions = { loss: null, latencyMs: null, seed: null };

/**
 * A seeded generator of numbers in [0, 1) (mulberry32: 32-bit state, passes the usual statistical
 * batteries), so that a loss pattern can be replayed: the same seed and the same traffic lose the same
 * datagrams. Written out here because the mock needs nothing more than these few lines.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The conditions in force: network-wide values, and per SIM over them. Loss draws come from Math.random, or
 * from a seeded generator — the network's, or the SIM's own when it has a seed — so that a run replays.
 */
export class ConditionTable {
  value: Conditions;
  private readonly sims = new Map<string, { c: SimConditions; rng: (() => number) | null }>();
  private rng: () => number = Math.random;
  /** The seed of the network-wide generator (null: Math.random). */
  seed: number | null = null;

  constructor(initial: Partial<Conditions>) {
    this.value = { ...DEFAULT_CONDITIONS, ...initial };
  }

  /** Network-wide values; `seed` (null: Math.random) restarts the network's loss generator. */
  set(c: Partial<Conditions> & { seed?: number | null }): void {
    const { seed, ...rest } = c;
    this.value = { ...this.value, ...rest };
    if (seed === undefined) return;
    this.seed = seed;
    this.rng = seed === null ? Math.random : seededRandom(seed);
  }

  /** A SIM's own values (null clears one, absent keeps it); setting `seed` restarts the SIM's generator. */
  setSim(sid: string, c: Partial<SimConditions>): SimConditions {
    const cur = this.sims.get(sid) ?? { c: { ...NO_SIM_CONDITIONS }, rng: null };
    const next: SimConditions = { ...cur.c, ...c };
    const rng = c.seed !== undefined ? (c.seed === null ? null : seededRandom(c.seed)) : cur.rng;
    if (next.loss === null && next.latencyMs === null && next.seed === null) this.sims.delete(sid);
    else this.sims.set(sid, { c: next, rng });
    return next;
  }

  ofSim(sid: string): SimConditions {
    return this.sims.get(sid)?.c ?? NO_SIM_CONDITIONS;
  }

  removeSim(sid: string): void {
    this.sims.delete(sid);
  }

  /** Whether the next datagram of this SIM is lost (its own loss, else the network's; one draw of its generator). */
  lost(sid: string): boolean {
    const s = this.sims.get(sid);
    const loss = s?.c.loss ?? this.value.loss;
    if (loss <= 0) return false;
    return (s?.rng ?? this.rng)() < loss;
  }

  /** One-way latency for this SIM's datagrams, ms (its own, else the network's). */
  latencyOf(sid: string): number {
    return this.sims.get(sid)?.c.latencyMs ?? this.value.latencyMs;
  }
}

export type PowerMode = "connected" | "idle" | "edrx" | "psm";

export interface Power {
  mode: PowerMode;
  /** eDRX with HLCOM: IP data is buffered until the next paging window (else dropped). */
  hlcom: boolean;
  /** LTE idle: delay before the paged device receives MT traffic, ms. Default 800. */
  pagingDelayMs: number;
  /** eDRX cycle, ms: paging windows at since + k·cycle. Default 20480. */
  edrxCycleMs: number;
  /** PSM: the periodic TAU timer (T3412), ms: the device wakes at since + k·tau. Default 60000. */
  psmTauMs: number;
  /** PSM: how long it stays reachable (idle, paged) after each wake (T3324 active time), ms. Default 10000. */
  psmActiveMs: number;
  /** When the mode was set (epoch ms on the cloud's clock; eDRX windows are counted from here). */
  since: number;
}

export const DEFAULT_POWER: Omit<Power, "since"> = { mode: "connected", hlcom: false, pagingDelayMs: 800, edrxCycleMs: 20480, psmTauMs: 60_000, psmActiveMs: 10_000 };

/**
 * How MT traffic fares now: delivered after `delayMs`, or dropped (eDRX or PSM sleep without HLCOM, IP only;
 * SMS always waits in the SMSC).
 */
export function mtFate(power: Power, kind: "ip" | "sms", nowMs: number): { drop: boolean; delayMs: number; reason?: string } {
  if (power.mode === "connected") return { drop: false, delayMs: 0 };
  if (power.mode === "idle") return { drop: false, delayMs: power.pagingDelayMs };
  if (power.mode === "psm") {
    const tau = Math.max(1, power.psmTauMs);
    const at = (nowMs - power.since) % tau;
    // In the active time after a wake the device is in idle mode: paged like an idle one.
    if (at < power.psmActiveMs) return { drop: false, delayMs: power.pagingDelayMs };
    if (kind === "ip" && !power.hlcom) return { drop: true, delayMs: 0, reason: "psm-no-hlcom" };
    return { drop: false, delayMs: tau - at };
  }
  const cycle = Math.max(1, power.edrxCycleMs);
  const untilWindow = (cycle - ((nowMs - power.since) % cycle)) % cycle;
  if (kind === "ip" && !power.hlcom) return { drop: true, delayMs: 0, reason: "edrx-no-hlcom" };
  return { drop: false, delayMs: untilWindow };
}
