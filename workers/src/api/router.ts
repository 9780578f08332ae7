/**
 * The router: the ingest queue's consumer. For each task it records that the task was routed,
 * then sends every pending delivery that heads its ordering scope. A delivery that waits behind
 * an earlier task of its key is sent when that task's delivery finishes (`advanceKey`).
 *
 * Marking routed before looking for heads, while finishing marks done before looking for the
 * next routed task, guarantees that of the two racing sides at least one sends the next
 * delivery (possibly both: a duplicate, which consumers absorb).
 */
import { type Dispatchable, dispatch, IS_HEAD } from "./dispatch.ts";
import { publishViews } from "./live-publish.ts";
import type { IngestMessage } from "./messages.ts";
import { ownedViews, refreshStatus } from "./task-views.ts";

/** Fans out a batch from the ingest queue; every message is acked once its deliveries are sent. */
export async function routeBatch(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  const keys = [...new Set(batch.messages.map((m) => m.body.key).filter((k) => Number.isInteger(k)))];
  if (keys.length > 0) await routeTasks(env, keys);
  batch.ackAll();
}

/** Routes tasks by key (also used by replay and the repair alarm's catch-up). */
export async function routeTasks(env: Env, keys: readonly number[]): Promise<void> {
  const now = Date.now();
  const json = JSON.stringify(keys);
  await env.DB.prepare(
    `UPDATE tasks SET routed_at = COALESCE(routed_at, ?1), queued_at = COALESCE(queued_at, ?1)
     WHERE key IN (SELECT value FROM json_each(?2))`,
  )
    .bind(now, json)
    .run();
  const heads = await env.DB.prepare(
    `SELECT d.task_key, d.subscription, d.kind, s.target FROM deliveries d
     JOIN subscriptions s ON s.id = d.subscription
     JOIN tasks t ON t.key = d.task_key
     WHERE d.task_key IN (SELECT value FROM json_each(?1)) AND d.status = 'pending'
       AND t.cancelled_at IS NULL AND ${IS_HEAD}
     ORDER BY d.task_key`,
  )
    .bind(json)
    .all<Dispatchable>();
  const live = await dispatch(env, heads.results, now);
  const changed = await refreshStatus(env.DB, keys);
  const changedKeys = new Set(changed.map((c) => c.view.id));
  const liveOnly = (await ownedViews(env.DB, live)).filter((v) => !changedKeys.has(v.view.id));
  await publishViews(env, [...changed, ...liveOnly]);
}

/**
 * After a delivery finished (delivered, dead or cancelled), sends the next pending delivery of
 * the same subscription and ordering key, if its task was already routed.
 */
export async function advanceKey(env: Env, subscription: string, okey: string | null): Promise<void> {
  if (okey === null) return;
  const next = await env.DB.prepare(
    `SELECT d.task_key, d.subscription, d.kind, s.target FROM deliveries d
     JOIN subscriptions s ON s.id = d.subscription
     JOIN tasks t ON t.key = d.task_key
     WHERE d.subscription = ?1 AND d.okey = ?2 AND d.status = 'pending'
       AND t.routed_at IS NOT NULL AND t.cancelled_at IS NULL AND ${IS_HEAD}
     ORDER BY d.task_key LIMIT 1`,
  )
    .bind(subscription, okey)
    .all<Dispatchable>();
  await dispatch(env, next.results);
}
