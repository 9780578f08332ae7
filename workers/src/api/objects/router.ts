/**
 * The router: the ingest queue's consumer. For each task it records that the task was routed,
 * then sends every pending delivery that heads its ordering scope. A delivery that waits behind
 * an earlier task of its key is sent when that task's delivery finishes (`advanceKeys`).
 *
 * Marking routed before looking for heads, while finishing marks done before looking for the
 * next routed task, guarantees that of the two racing sides at least one sends the next
 * delivery (possibly both: a duplicate, which consumers absorb).
 *
 * A batch costs two D1 round trips (mark routed and find heads; mark dispatched and update
 * statuses) and the queue sends.
 */
import { type Dispatchable, IS_HEAD, liveKeys, markDispatched, sendDeliveries } from "../queues/dispatch.ts";
import type { IngestMessage } from "../queues/messages.ts";
import { publishViews } from "./live-publish.ts";
import { changedViews, ownedViews, statusUpdate } from "./task-views.ts";

/** Fans out a batch from the ingest queue; every message is acked once its deliveries are sent. */
export async function routeBatch(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  const keys = [...new Set(batch.messages.map((m) => m.body.key).filter((k) => Number.isInteger(k)))];
  if (keys.length > 0) await routeTasks(env, keys);
  batch.ackAll();
}

/** Routes tasks by key (also used by replay and the repair alarm's catch-up). */
export async function routeTasks(env: Env, keys: readonly number[]): Promise<void> {
  const db = env.DB;
  const now = Date.now();
  const json = JSON.stringify(keys);
  const [, found] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `UPDATE tasks SET routed_at = COALESCE(routed_at, ?1), queued_at = COALESCE(queued_at, ?1)
         WHERE key IN (SELECT value FROM json_each(?2))`,
      )
      .bind(now, json),
    db
      .prepare(
        `SELECT d.task_key, d.subscription, d.kind, s.target, d.okey FROM deliveries d
         JOIN subscriptions s ON s.id = d.subscription AND s.deleted_at IS NULL
         JOIN tasks t ON t.key = d.task_key
         WHERE d.task_key IN (SELECT value FROM json_each(?1)) AND d.status = 'pending'
           AND t.cancelled_at IS NULL AND ${IS_HEAD}
         ORDER BY d.task_key`,
      )
      .bind(json),
  ]);
  const heads = (found?.results ?? []) as unknown as Dispatchable[];
  await sendDeliveries(env, heads);
  const changed = changedViews(
    await db.batch<Record<string, unknown>>([
      ...(heads.length > 0 ? [markDispatched(db, heads, now)] : []),
      ...statusUpdate(db, keys, now),
    ]),
  );
  const changedIds = new Set(changed.map((c) => c.view.id));
  const liveOnly = (await ownedViews(db, liveKeys(heads))).filter((v) => !changedIds.has(v.view.id));
  await publishViews(env, [...changed, ...liveOnly]);
  await advancePastLive(env, heads);
}

/**
 * `live` deliveries are delivered as they are dispatched, so the next task of their ordering
 * scope may go at once.
 */
async function advancePastLive(env: Env, dispatched: readonly Dispatchable[]): Promise<void> {
  await advanceKeys(
    env,
    dispatched.filter((d) => d.kind === "live").map(({ subscription, okey }) => ({ subscription, okey })),
  );
}

/** An ordering scope: one subscription's tasks sharing an ordering key. */
export interface OrderingScope {
  subscription: string;
  okey: string | null;
}

/**
 * After deliveries finished (delivered, dead or cancelled), sends the next pending delivery of
 * each of their ordering scopes whose task was already routed: one round trip for the lot.
 */
export async function advanceKeys(env: Env, scopes: readonly OrderingScope[]): Promise<void> {
  const distinct = new Map<string, { subscription: string; okey: string }>();
  for (const { subscription, okey } of scopes) {
    if (okey !== null) distinct.set(JSON.stringify([subscription, okey]), { subscription, okey });
  }
  if (distinct.size === 0) return;
  const results = await env.DB.batch<Dispatchable>(
    [...distinct.values()].map(({ subscription, okey }) =>
      env.DB.prepare(
        `SELECT d.task_key, d.subscription, d.kind, s.target, d.okey FROM deliveries d
         JOIN subscriptions s ON s.id = d.subscription AND s.deleted_at IS NULL
         JOIN tasks t ON t.key = d.task_key
         WHERE d.subscription = ?1 AND d.okey = ?2 AND d.status = 'pending'
           AND t.routed_at IS NOT NULL AND t.cancelled_at IS NULL AND ${IS_HEAD}
         ORDER BY d.task_key LIMIT 1`,
      ).bind(subscription, okey),
    ),
  );
  const next = results.flatMap((r) => r.results);
  if (next.length === 0) return;
  await sendDeliveries(env, next);
  await markDispatched(env.DB, next).run();
  await publishViews(env, await ownedViews(env.DB, liveKeys(next)));
  await advancePastLive(env, next);
}
