/**
 * Platform health, like a security platform's "system asset" next to its device assets: one retained state per
 * platform the bridge calls, `{prefix}/bridge/{instance}/platforms/{platform}` =
 * `{platform, state: "normal" | "no_communication", reason, since, at}`, published (through the outbox) on
 * change only.
 *
 * Every API call reports its outcome. A platform is `no_communication` when it refuses the bridge's credentials
 * (HTTP 401/403), is not configured, cannot be reached (connection failure, timeout), or answers
 * `SERVER_ERROR_RUN` 5xx in a row; anything it answers otherwise (2xx, or a 4xx about the request itself)
 * makes it `normal` again. These failures are the platform's, not a device's: a downlink that fails for one of
 * them does not turn its device to `fault` (`platformProblem`).
 */
import type { Clock } from "../../firmware/hal/clock.js";
import { iso } from "../clock/node-clock.js";
import type { Emit } from "./emit.js";
import type { PlatformError } from "./platforms.js";
import type { Platform } from "./uplink.js";

/** 5xx answers in a row from one platform that make it `no_communication`. */
export const SERVER_ERROR_RUN = 3;

export type PlatformProblem = "credentials" | "not_configured" | "unreachable" | "server_error";

/** Why a failed call is the platform's problem rather than the request's or the device's; null: it is not. */
export function platformProblem(err: PlatformError): PlatformProblem | null {
  if (err.code === "not-configured") return "not_configured";
  if (err.status === 401 || err.status === 403) return "credentials";
  if (err.status === null) return err.retryable ? "unreachable" : null;
  return err.status >= 500 ? "server_error" : null;
}

interface Health {
  state: "normal" | "no_communication";
  /** What made it no_communication (null when normal): a change of kind is published, a new detail is not. */
  problem: PlatformProblem | null;
  reason: string | null;
  since: number;
  /** 5xx answers in a row. */
  run: number;
  /** Whether this state went out (the first answer after a start always does: a retained state may be stale). */
  published: boolean;
}

export class PlatformHealth {
  private readonly health = new Map<Platform, Health>();

  constructor(
    private readonly emit: Emit,
    private readonly tx: (f: () => void) => void,
    private readonly prefix: string,
    private readonly instance: string,
    private readonly clock: Clock,
  ) {}

  /** The outcome of one API call to `platform`: null = it answered (2xx). */
  observe(platform: Platform, err: PlatformError | null): void {
    const problem = err === null ? null : platformProblem(err);
    if (err === null || problem === null) {
      // 429 says the platform is there and busy: neither a server error nor a recovery
      if (err !== null && err.status === 429) return;
      this.set(platform, null, null, 0);
      return;
    }
    const head = [err.status !== null ? `HTTP ${err.status}` : "", err.code !== null && problem !== "not_configured" ? `code ${String(err.code)}` : ""].filter((x) => x !== "").join(", ");
    const detail = head === "" ? err.message : `${head}: ${err.message}`;
    if (problem !== "server_error") {
      const what = problem === "credentials" ? "credentials refused" : problem === "not_configured" ? "not configured" : "unreachable";
      this.set(platform, problem, `${what} (${detail})`, 0);
      return;
    }
    const h = this.health.get(platform);
    const run = (h?.run ?? 0) + 1;
    if (run >= SERVER_ERROR_RUN) this.set(platform, problem, `server errors: ${run} in a row (last ${detail})`, run);
    else if (h) h.run = run;
    else this.health.set(platform, { state: "normal", problem: null, reason: null, since: this.clock.now(), run, published: false });
  }

  /** The current state: undefined before the first call. */
  get(platform: Platform): { state: Health["state"]; reason: string | null } | undefined {
    const h = this.health.get(platform);
    return h && { state: h.state, reason: h.reason };
  }

  private set(platform: Platform, problem: PlatformProblem | null, reason: string | null, run: number): void {
    const h = this.health.get(platform);
    const state = problem === null ? "normal" : "no_communication";
    if (h !== undefined && h.published && h.problem === problem) {
      h.run = run;
      return;
    }
    const now = this.clock.now();
    const since = h !== undefined && h.published && h.state === state ? h.since : now;
    this.health.set(platform, { state, problem, reason, since, run, published: true });
    this.tx(() => this.emit(`${this.prefix}/bridge/${this.instance}/platforms/${platform}`, { platform, state, reason, since: iso(since), at: iso(now) }, true, "platform"));
  }
}
