/**
 * When may a context take over a task another owner is running? Pure, so the rule is tested
 * without browsers; the claim applies it inside its transaction.
 */

import type { Lease } from "./task-record.ts";

/** What the claimer knows about other owners, from one `navigator.locks.query()`. */
export interface Liveness {
  /**
   * Owners whose Web Lock was held when the query ran; `undefined` where the Web Locks API is
   * missing, and then the clock alone decides.
   */
  readonly liveOwners: ReadonlySet<string> | undefined;
  /** When the query ran (Unix ms). */
  readonly checkedAt: number;
  /**
   * How long past its expiry a lease whose owner is alive is still respected. An alive owner
   * renews its lease every third of `leaseMs`, but Chrome throttles a hidden tab's timers to once
   * a minute and freezes background tabs outright, so a late renewal is not proof of death.
   */
  readonly aliveGraceMs: number;
}

/**
 * Whether `lease` may be taken over at `now`:
 * - never before it expires;
 * - at once after it expired when its owner holds no Web Lock (the owner's page or worker is
 *   gone: Chromium releases a closed context's locks within milliseconds). An owner that
 *   claimed after the lock query ran may have taken its lock after the query, so it counts as
 *   alive;
 * - when the owner is alive, only `aliveGraceMs` after expiry: it is frozen or badly throttled,
 *   and its late completion will be refused by the fencing token.
 *
 * @example
 * ```ts
 * isAbandoned(task.lease, Date.now(), { liveOwners: new Set(), checkedAt: Date.now(), aliveGraceMs: 60_000 })
 * ```
 */
export function isAbandoned(lease: Lease, now: number, liveness: Liveness): boolean {
  if (now < lease.expiresAt) return false;
  const { liveOwners, checkedAt, aliveGraceMs } = liveness;
  if (liveOwners === undefined) return true;
  const provablyGone = !liveOwners.has(lease.owner) && lease.claimedAt < checkedAt;
  return provablyGone || now >= lease.expiresAt + aliveGraceMs;
}

/** The earliest time {@link isAbandoned} could turn true for `lease`, for the scheduler's timer. */
export function abandonableAt(lease: Lease, liveness: Liveness): number {
  const { liveOwners } = liveness;
  if (liveOwners === undefined || !liveOwners.has(lease.owner)) return lease.expiresAt;
  return lease.expiresAt + liveness.aliveGraceMs;
}
