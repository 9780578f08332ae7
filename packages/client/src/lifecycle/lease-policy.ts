/**
 * When may a context take over a task another owner is running? Pure, so the rule is tested
 * without browsers; the claim applies it inside its transaction.
 */

import type { Liveness } from "../browser/owner-lock.ts";
import type { Lease, TaskRecord } from "./task-record.ts";

/**
 * Whether `lease` may be taken over at `now`:
 * - at once when its owner holds no Web Lock, expired or not: the owner's page or worker is gone
 *   (Chromium releases a closed context's locks within milliseconds), so its tasks resume now,
 *   not a lease later (a reloaded tab's tasks ran again only after about 15 s). An owner that
 *   claimed after the lock query ran may have taken its lock after the query, so it counts as
 *   alive. The fencing token still refuses whatever the old owner might yet commit;
 * - never before it expires otherwise;
 * - when the owner is alive, only `aliveGraceMs` after expiry: it is frozen or badly throttled,
 *   and its late completion will be refused by the fencing token.
 *
 * @example
 * ```ts
 * isAbandoned(task.lease, Date.now(), { liveOwners: new Set(), checkedAt: Date.now(), aliveGraceMs: 60_000 })
 * ```
 */
export function isAbandoned(lease: Lease, now: number, liveness: Liveness): boolean {
  if (provablyGone(lease, liveness)) return true;
  if (now < lease.expiresAt) return false;
  const { liveOwners, aliveGraceMs } = liveness;
  return liveOwners === undefined || now >= lease.expiresAt + aliveGraceMs;
}

/** The earliest time {@link isAbandoned} could turn true for `lease`, for the scheduler's timer. */
export function abandonableAt(lease: Lease, liveness: Liveness): number {
  const { liveOwners } = liveness;
  if (provablyGone(lease, liveness)) return liveness.checkedAt;
  if (liveOwners === undefined || !liveOwners.has(lease.owner)) return lease.expiresAt;
  return lease.expiresAt + liveness.aliveGraceMs;
}

/** Whether the lock query saw no lock of an owner that held it before it claimed. */
function provablyGone(lease: Lease, { liveOwners, checkedAt }: Liveness): boolean {
  return liveOwners !== undefined && !liveOwners.has(lease.owner) && lease.claimedAt < checkedAt;
}

/**
 * Most takeovers of a never-started lease that a task gets refunded between two starts. A tab
 * that crashes while starting a task (before the start mark's commit) leaves a lease that looks
 * never started; past this many such takeovers in a row the next one is counted as an attempt.
 */
export const MAX_UNSTARTED_TAKEOVERS = 5;

/**
 * Whether taking over `task`'s lease refunds the attempt its claim counted: the attempt never
 * started (the task waited in its owner's claim window, and the owner's tab closed, froze or
 * failed to hand it back), so it lost nothing and must not bring the task closer to dead. A lease
 * without the mark (`started` absent) was written before the mark existed and counts as started.
 */
export function refundsTakeover(task: Pick<TaskRecord, "lease" | "unstartedTakeovers">): boolean {
  return task.lease?.started === false && (task.unstartedTakeovers ?? 0) < MAX_UNSTARTED_TAKEOVERS;
}
