/**
 * Where a downlink request stands, and the one rule for how it moves. A request is stored `accepted` (or
 * `retry`, waiting to be sent again after a platform failure); the platform takes it (`queued`), sends it
 * (`sent`), the device gets it (`delivered`) and answers (`succeeded` / `failed`); or it ends `expired`
 * (expires_at passed first) or `rejected` (the bridge refused it). The last five are final.
 *
 * Statuses only move forward (`RANK`): a platform's callbacks may arrive late or out of order (`sent` after
 * `delivered`), and the device's reply may overtake them; a later event of a lower rank changes nothing.
 * Every status but `accepted` and `retry` is published as `{prefix}/devices/{device}/down/{status}`.
 */

/** A request's status in the store (`downlinks.status`). */
export type DownlinkStatus = "accepted" | "retry" | "queued" | "sent" | "delivered" | "succeeded" | "failed" | "expired" | "rejected";

/** The statuses published as `down/{status}` events. */
export type DownEventStatus = Exclude<DownlinkStatus, "accepted" | "retry">;

/** The statuses a platform reports for a request (its callbacks); `rejected` is the bridge's own. */
export type PlatformStatus = Exclude<DownEventStatus, "rejected">;

/** The statuses a request waits in for the downlink worker. */
export const WAITING: readonly DownlinkStatus[] = ["accepted", "retry"];

const RANK: Record<DownlinkStatus, number> = {
  accepted: 0, retry: 0, queued: 1, sent: 2, delivered: 3, succeeded: 4, failed: 4, expired: 4, rejected: 4,
};

const FINAL: ReadonlySet<string> = new Set<DownlinkStatus>(["succeeded", "failed", "expired", "rejected"]);

/** True for a status after which nothing changes (any text: a status read from a payload is checked too). */
export function isFinal(status: string): boolean {
  return FINAL.has(status);
}

/** True when a request in `from` may move to `to`: `from` is not final and `to` ranks higher. */
export function movesForward(from: DownlinkStatus, to: DownlinkStatus): boolean {
  return !isFinal(from) && RANK[to] > RANK[from];
}
