/**
 * Putting a subject object's deliveries on their way: `queue` deliveries on their declared
 * delivery queue (or one of several, for a target ending in `*`), `webhook` deliveries on the
 * webhook queue, up to 100 messages a send; `live` ones need no send (delivered as sent).
 */
import type { DeliveryRef } from "@errand/edge";
import { deliveryQueues, queueFor } from "../queues/delivery-queues.ts";
import type { DeliveryRow } from "./subject-schema.ts";

const MAX_SEND_BATCH = 100;

/**
 * Sends these deliveries of `object` (its id as hex, which every message names) and returns
 * the ones sent. A failed send is logged, not thrown: those deliveries stay in the object's
 * outbox, and its alarm sends them again. A `live` delivery due later is not sent yet.
 */
export async function sendDeliveries(
  env: Env,
  rows: readonly DeliveryRow[],
  object: string,
): Promise<DeliveryRow[]> {
  const queues = deliveryQueues(env);
  const byQueue = new Map<Queue, DeliveryRow[]>();
  const sent: DeliveryRow[] = [];
  const seen = new Set<string>();
  const now = Date.now();
  for (const row of rows) {
    const id = `${row.task_key}:${row.subscription}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (row.kind === "live") {
      if (row.due_at <= now) sent.push(row);
      continue;
    }
    const queue = row.kind === "webhook" ? env.WEBHOOK_QUEUE : queueFor(queues, row.target, object);
    if (!queue) {
      console.error(`errand-api: subscription ${row.subscription} names undeclared queue ${row.target}`);
      continue;
    }
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), row]);
  }
  await Promise.all(
    [...byQueue].map(async ([queue, list]) => {
      for (let i = 0; i < list.length; i += MAX_SEND_BATCH) {
        const chunk = list.slice(i, i + MAX_SEND_BATCH);
        try {
          await queue.sendBatch(
            chunk.map((row) => ({
              body: { task: row.task_key, subscription: row.subscription, object } satisfies DeliveryRef,
              delaySeconds: Math.max(0, Math.ceil((row.due_at - now) / 1000)),
            })),
          );
          sent.push(...chunk);
        } catch (error) {
          console.error("errand-api: a delivery send failed; the object's alarm sends it again", error);
        }
      }
    }),
  );
  return sent;
}
