/**
 * Cancelling a task: its pending deliveries are tombstoned (consumers skip them at claim), its
 * status becomes `cancelled`, and the next task of each of its ordering keys moves up: at once
 * for a delivery with no attempt running (never claimed, or waiting out a retry backoff after a
 * reported failure), and for one with attempts claimed and not reported (`attempts` over
 * `reported`) once the last of them reports (delivery-ops), or the repair alarm re-routes the
 * key's next task 15 minutes after the cancel if none ever does (repair.ts), so the next task
 * of its key does not start beside it. Deliveries already made stay made.
 */

import type { EdgeTaskStatus } from "@errand/core";
import { publishViews } from "./live-publish.ts";
import { advanceKeys } from "./router.ts";
import { isFinalStatus } from "./task-status.ts";
import { refreshStatus } from "./task-views.ts";

/** What cancelling found: done, already final, or no such task. */
export type CancelOutcome = "cancelled" | "already_final" | "not_found";

/** Cancels the task with this key. */
export async function cancelTask(env: Env, key: number): Promise<CancelOutcome> {
  const task = await env.DB.prepare("SELECT status FROM tasks WHERE key = ?")
    .bind(key)
    .first<{ status: EdgeTaskStatus }>();
  if (!task) return "not_found";
  if (isFinalStatus(task.status)) return "already_final";
  const now = Date.now();
  const [, tombstoned] = await env.DB.batch<{
    subscription: string;
    okey: string | null;
    attempts: number;
    reported: number;
  }>([
    env.DB.prepare(
      "UPDATE tasks SET cancelled_at = COALESCE(cancelled_at, ?2), updated_at = ?2 WHERE key = ?1",
    ).bind(key, now),
    env.DB.prepare(
      `UPDATE deliveries SET status = 'cancelled', updated_at = ?2 WHERE task_key = ?1 AND status = 'pending'
       RETURNING subscription, okey, attempts, reported`,
    ).bind(key, now),
  ]);
  await advanceKeys(
    env,
    (tombstoned?.results ?? []).filter((d) => d.reported === d.attempts),
  );
  await publishViews(env, await refreshStatus(env.DB, [key]));
  return "cancelled";
}
