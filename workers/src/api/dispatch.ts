/**
 * Sending pending deliveries on their way: `queue` subscriptions onto their declared delivery
 * queue, `webhook` subscriptions onto the internal webhook queue, `live` subscriptions straight
 * to the tenant's live sessions (best-effort, delivered at once).
 */
import { deliveryQueues } from "./delivery-queues.ts";
import type { DeliveryMessage } from "./messages.ts";

/** One delivery ready to go. */
export interface Dispatchable {
  task_key: number;
  subscription: string;
  kind: "queue" | "webhook" | "live";
  target: string;
}

const MAX_SEND_BATCH = 100;

/**
 * Sends deliveries and records when; returns the task keys whose live deliveries were made
 * (their status views should be pushed).
 */
export async function dispatch(env: Env, rows: readonly Dispatchable[], now = Date.now()): Promise<number[]> {
  if (rows.length === 0) return [];
  const queues = deliveryQueues(env);
  const byQueue = new Map<Queue, DeliveryMessage[]>();
  const live: Dispatchable[] = [];
  for (const row of rows) {
    const message: DeliveryMessage = { task: row.task_key, subscription: row.subscription };
    if (row.kind === "live") {
      live.push(row);
      continue;
    }
    const queue = row.kind === "webhook" ? env.WEBHOOK_QUEUE : queues.get(row.target);
    if (!queue) {
      console.error(`errand-api: subscription ${row.subscription} names undeclared queue ${row.target}`);
      continue;
    }
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), message]);
  }
  for (const [queue, messages] of byQueue) {
    for (let i = 0; i < messages.length; i += MAX_SEND_BATCH) {
      await queue.sendBatch(messages.slice(i, i + MAX_SEND_BATCH).map((body) => ({ body })));
    }
  }
  const statements = rows.map((row) =>
    env.DB.prepare(
      `UPDATE deliveries SET dispatched_at = ?1, updated_at = ?1,
         status = CASE WHEN kind = 'live' AND status = 'pending' THEN 'delivered' ELSE status END,
         attempts = CASE WHEN kind = 'live' AND status = 'pending' THEN attempts + 1 ELSE attempts END
       WHERE task_key = ?2 AND subscription = ?3`,
    ).bind(now, row.task_key, row.subscription),
  );
  await env.DB.batch(statements);
  return live.map((row) => row.task_key);
}

/**
 * SQL (a WHERE fragment over deliveries `d`) that holds when `d` is the head of its ordering
 * scope: no earlier task's delivery to the same subscription and key is still pending.
 */
export const IS_HEAD = `(d.okey IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p
  WHERE p.subscription = d.subscription AND p.okey = d.okey AND p.status = 'pending' AND p.task_key < d.task_key))`;
