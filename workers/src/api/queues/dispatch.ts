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
  /** Its ordering scope's key, if any. */
  okey: string | null;
}

const MAX_SEND_BATCH = 100;

/** Puts `queue` and `webhook` deliveries on their queues, up to 100 messages per send. */
export async function sendDeliveries(env: Env, rows: readonly Dispatchable[]): Promise<void> {
  const queues = deliveryQueues(env);
  const byQueue = new Map<Queue, DeliveryMessage[]>();
  for (const row of rows) {
    if (row.kind === "live") continue;
    const queue = row.kind === "webhook" ? env.WEBHOOK_QUEUE : queues.get(row.target);
    if (!queue) {
      console.error(`errand-api: subscription ${row.subscription} names undeclared queue ${row.target}`);
      continue;
    }
    const list = byQueue.get(queue) ?? [];
    list.push({ task: row.task_key, subscription: row.subscription });
    byQueue.set(queue, list);
  }
  for (const [queue, messages] of byQueue) {
    for (let i = 0; i < messages.length; i += MAX_SEND_BATCH) {
      await queue.sendBatch(messages.slice(i, i + MAX_SEND_BATCH).map((body) => ({ body })));
    }
  }
}

/**
 * One statement recording that these deliveries were sent; `live` ones are delivered at once
 * (best-effort). Run it after {@link sendDeliveries}, alone or in the caller's batch.
 */
export function markDispatched(
  db: D1Database,
  rows: readonly Dispatchable[],
  now = Date.now(),
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE deliveries SET dispatched_at = ?1, updated_at = ?1,
         status = CASE WHEN kind = 'live' AND status = 'pending' THEN 'delivered' ELSE status END,
         attempts = CASE WHEN kind = 'live' AND status = 'pending' THEN attempts + 1 ELSE attempts END
       FROM json_each(?2) AS j
       WHERE deliveries.task_key = j.value ->> '$.t' AND deliveries.subscription = j.value ->> '$.s'`,
    )
    .bind(now, JSON.stringify(rows.map((r) => ({ t: r.task_key, s: r.subscription }))));
}

/** The task keys of the live deliveries among these rows. */
export function liveKeys(rows: readonly Dispatchable[]): number[] {
  return rows.filter((row) => row.kind === "live").map((row) => row.task_key);
}

/**
 * SQL (a WHERE fragment over deliveries `d`) that holds when `d` is the head of its ordering
 * scope: no earlier task's delivery to the same subscription and key is still pending, nor,
 * when the subscription halts on dead (`on_dead = 'halt'`), dead and not yet replayed.
 */
export const IS_HEAD = `(d.okey IS NULL OR (NOT EXISTS (SELECT 1 FROM deliveries p
  WHERE p.subscription = d.subscription AND p.okey = d.okey AND p.status = 'pending' AND p.task_key < d.task_key)
  AND NOT EXISTS (SELECT 1 FROM deliveries p JOIN subscriptions h ON h.id = p.subscription
  WHERE p.subscription = d.subscription AND p.okey = d.okey AND p.status = 'dead' AND p.task_key < d.task_key
    AND h.on_dead = 'halt')))`;
