/** Network conditions (loss, latency) and per-SIM power modes (connected, idle paging delay, eDRX ± HLCOM). */

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

export type PowerMode = "connected" | "idle" | "edrx";

export interface Power {
  mode: PowerMode;
  /** eDRX with HLCOM: IP data is buffered until the next paging window (else dropped). */
  hlcom: boolean;
  /** LTE idle: delay before the paged device receives MT traffic, ms. Default 800. */
  pagingDelayMs: number;
  /** eDRX cycle, ms: paging windows at since + k·cycle. Default 20480. */
  edrxCycleMs: number;
  /** When the mode was set (epoch ms on the cloud's clock; eDRX windows are counted from here). */
  since: number;
}

export const DEFAULT_POWER: Omit<Power, "since"> = { mode: "connected", hlcom: false, pagingDelayMs: 800, edrxCycleMs: 20480 };

/** How MT traffic fares now: delivered after `delayMs`, or dropped (eDRX without HLCOM, IP only). */
export function mtFate(power: Power, kind: "ip" | "sms", nowMs: number): { drop: boolean; delayMs: number; reason?: string } {
  if (power.mode === "connected") return { drop: false, delayMs: 0 };
  if (power.mode === "idle") return { drop: false, delayMs: power.pagingDelayMs };
  const cycle = Math.max(1, power.edrxCycleMs);
  const untilWindow = (cycle - ((nowMs - power.since) % cycle)) % cycle;
  if (kind === "ip" && !power.hlcom) return { drop: true, delayMs: 0, reason: "edrx-no-hlcom" };
  return { drop: false, delayMs: untilWindow };
}
