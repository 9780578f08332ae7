/**
 * The three steps of one delivery attempt, shared by the webhook sender and by edge consumers
 * (through `ConsumerApi`): claim (may it run now?), then complete or fail. Errand counts
 * attempts here, so platform redeliveries and Errand's own retries are one count.
 *
 * - `claimDelivery`: `skip` when the delivery is finished or its task cancelled; `wait` when an
 *   earlier task of its ordering key is still pending; else `run` with the task and the
 *   attempt number (counted now, so an attempt that crashes still counts).
 * - `completeDelivery`: marks it delivered (with the result, if any), updates the task's status
 *   and sends the next task of its key.
 * - `failDelivery`: retries with the policy's backoff (at least `retryAfterSeconds`), or marks
 *   it dead and sends it to the dead-letter queue.
 */
import { decideRetry, type JsonValue, type SerializedError } from "@errand/core";
import type { Claim, FailOutcome } from "@errand/edge";
import { deliveryPolicy } from "./delivery-policy.ts";
import { IS_HEAD } from "./dispatch.ts";
import { publishViews } from "./live-publish.ts";
import type { DeliveryMessage } from "./messages.ts";
import { advanceKey } from "./router.ts";
import { refreshStatus } from "./task-views.ts";

/** Seconds a delivery waiting behind an earlier task of its key is put back for. */
const WAIT_SECONDS = 1;

/** Claims a delivery for one attempt. */
export async function claimDelivery(env: Env, ref: DeliveryMessage): Promise<Claim> {
  const row = await env.DB.prepare(
    `SELECT t.id, t.topic, t.payload, t.subject, t.ordering_key, t.cancelled_at, d.status,
       ${IS_HEAD} AS head
     FROM deliveries d JOIN tasks t ON t.key = d.task_key
     WHERE d.task_key = ? AND d.subscription = ?`,
  )
    .bind(ref.task, ref.subscription)
    .first<{
      id: string;
      topic: string;
      payload: string;
      subject: string;
      ordering_key: string | null;
      cancelled_at: number | null;
      status: string;
      head: number;
    }>();
  if (!row) return { action: "skip", reason: "unknown" };
  if (row.status === "delivered" || row.status === "dead" || row.status === "cancelled") {
    return { action: "skip", reason: row.status };
  }
  if (row.cancelled_at !== null) return { action: "skip", reason: "cancelled" };
  if (row.head !== 1) return { action: "wait", delaySeconds: WAIT_SECONDS };
  const counted = await env.DB.prepare(
    `UPDATE deliveries SET attempts = attempts + 1, updated_at = ?3
     WHERE task_key = ?1 AND subscription = ?2 AND status = 'pending' RETURNING attempts`,
  )
    .bind(ref.task, ref.subscription, Date.now())
    .first<{ attempts: number }>();
  if (!counted) return { action: "skip", reason: "delivered" };
  return {
    action: "run",
    task: {
      id: row.id,
      topic: row.topic,
      payload: JSON.parse(row.payload) as JsonValue,
      subject: row.subject,
      ...(row.ordering_key === null ? {} : { orderingKey: row.ordering_key }),
      attempt: counted.attempts,
      deliveryId: `${ref.task}:${ref.subscription}`,
    },
  };
}

/** Records a successful attempt. Idempotent: a second completion changes nothing. */
export async function completeDelivery(env: Env, ref: DeliveryMessage, result?: JsonValue): Promise<void> {
  const done = await env.DB.prepare(
    `UPDATE deliveries SET status = 'delivered', result = ?3, last_error = NULL, updated_at = ?4
     WHERE task_key = ?1 AND subscription = ?2 AND status = 'pending' RETURNING okey`,
  )
    .bind(ref.task, ref.subscription, result === undefined ? null : JSON.stringify(result), Date.now())
    .first<{ okey: string | null }>();
  if (!done) return;
  await finished(env, ref, done.okey);
}

/** Records a failed attempt and decides between a retry and dead. */
export async function failDelivery(
  env: Env,
  ref: DeliveryMessage,
  error: SerializedError,
  retryAfterSeconds = 0,
): Promise<FailOutcome> {
  const row = await env.DB.prepare(
    "SELECT attempts, status FROM deliveries WHERE task_key = ? AND subscription = ?",
  )
    .bind(ref.task, ref.subscription)
    .first<{ attempts: number; status: string }>();
  if (row?.status !== "pending") return { action: "dead" };
  const lastError = JSON.stringify({ code: error.code, message: error.message });
  const decision = decideRetry(deliveryPolicy(env), Math.max(1, row.attempts), error);
  if (decision.retry) {
    await env.DB.prepare(
      "UPDATE deliveries SET last_error = ?3, updated_at = ?4 WHERE task_key = ?1 AND subscription = ?2",
    )
      .bind(ref.task, ref.subscription, lastError, Date.now())
      .run();
    return { action: "retry", delaySeconds: Math.max(Math.ceil(decision.delayMs / 1000), retryAfterSeconds) };
  }
  const dead = await env.DB.prepare(
    `UPDATE deliveries SET status = 'dead', last_error = ?3, updated_at = ?4
     WHERE task_key = ?1 AND subscription = ?2 AND status = 'pending' RETURNING okey`,
  )
    .bind(ref.task, ref.subscription, lastError, Date.now())
    .first<{ okey: string | null }>();
  if (dead) {
    const message: DeliveryMessage = { ...ref, error: { code: error.code, message: error.message } };
    await env.DEAD_LETTER_QUEUE.send(message);
    await finished(env, ref, dead.okey);
  }
  return { action: "dead" };
}

async function finished(env: Env, ref: DeliveryMessage, okey: string | null): Promise<void> {
  await advanceKey(env, ref.subscription, okey);
  await publishViews(env, await refreshStatus(env.DB, [ref.task]));
}
