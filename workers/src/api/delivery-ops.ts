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
import { advanceKeys, type OrderingScope } from "./router.ts";
import { changedViews, refreshStatus, statusUpdate } from "./task-views.ts";

/** Seconds a delivery waiting behind an earlier task of its key is put back for. */
const WAIT_SECONDS = 1;

/** Claims a delivery for one attempt (see {@link claimDeliveries}). */
export async function claimDelivery(env: Env, ref: DeliveryMessage): Promise<Claim> {
  const [claim] = await claimDeliveries(env, [ref]);
  return claim ?? { action: "skip", reason: "unknown" };
}

/**
 * Claims deliveries in one D1 round trip: one statement counts an attempt for each delivery
 * that is pending, heads its key and whose task is not cancelled; one read gathers what the
 * answers need.
 */
export async function claimDeliveries(env: Env, refs: readonly DeliveryMessage[]): Promise<Claim[]> {
  if (refs.length === 0) return [];
  const now = Date.now();
  const json = JSON.stringify(refs.map((r) => ({ task: r.task, subscription: r.subscription })));
  const [counted, read] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare(
      `UPDATE deliveries AS d SET attempts = attempts + 1, updated_at = ?2
       WHERE (d.task_key, d.subscription) IN (SELECT value ->> '$.task', value ->> '$.subscription' FROM json_each(?1))
         AND d.status = 'pending' AND ${IS_HEAD}
         AND NOT EXISTS (SELECT 1 FROM tasks c WHERE c.key = d.task_key AND c.cancelled_at IS NOT NULL)
       RETURNING task_key, subscription, attempts`,
    ).bind(json, now),
    env.DB.prepare(
      `SELECT d.task_key, d.subscription, t.id, t.topic, t.payload, t.subject, t.ordering_key, t.cancelled_at, d.status
       FROM deliveries d JOIN tasks t ON t.key = d.task_key
       WHERE (d.task_key, d.subscription) IN (SELECT value ->> '$.task', value ->> '$.subscription' FROM json_each(?))`,
    ).bind(json),
  ]);
  const attempts = new Map(
    (
      (counted?.results ?? []) as unknown as { task_key: number; subscription: string; attempts: number }[]
    ).map((row) => [`${row.task_key}:${row.subscription}`, row.attempts]),
  );
  const rows = new Map(
    ((read?.results ?? []) as unknown as ClaimRow[]).map((row) => [
      `${row.task_key}:${row.subscription}`,
      row,
    ]),
  );
  return refs.map((ref) => {
    const id = `${ref.task}:${ref.subscription}`;
    return toClaim(ref, rows.get(id), attempts.get(id));
  });
}

interface ClaimRow {
  task_key: number;
  subscription: string;
  id: string;
  topic: string;
  payload: string;
  subject: string;
  ordering_key: string | null;
  cancelled_at: number | null;
  status: string;
}

function toClaim(ref: DeliveryMessage, row: ClaimRow | undefined, attempts: number | undefined): Claim {
  if (!row) return { action: "skip", reason: "unknown" };
  if (row.status === "delivered" || row.status === "dead" || row.status === "cancelled") {
    return { action: "skip", reason: row.status };
  }
  if (row.cancelled_at !== null) return { action: "skip", reason: "cancelled" };
  if (attempts === undefined) return { action: "wait", delaySeconds: WAIT_SECONDS };
  return {
    action: "run",
    task: {
      id: row.id,
      topic: row.topic,
      payload: JSON.parse(row.payload) as JsonValue,
      subject: row.subject,
      ...(row.ordering_key === null ? {} : { orderingKey: row.ordering_key }),
      attempt: attempts,
      deliveryId: `${ref.task}:${ref.subscription}`,
    },
  };
}

/** Records a successful attempt. Idempotent: a second completion changes nothing. */
export async function completeDelivery(env: Env, ref: DeliveryMessage, result?: JsonValue): Promise<void> {
  await completeDeliveries(env, [{ ref, ...(result === undefined ? {} : { result }) }]);
}

/**
 * Records successful attempts and updates the tasks' statuses in one round trip (one
 * transaction), then sends the next task of each ordering key the finished deliveries held.
 */
export async function completeDeliveries(
  env: Env,
  items: readonly { ref: DeliveryMessage; result?: JsonValue }[],
): Promise<void> {
  if (items.length === 0) return;
  const db = env.DB;
  const now = Date.now();
  const rows = items.map(({ ref, result }) => ({
    t: ref.task,
    s: ref.subscription,
    r: result === undefined ? null : JSON.stringify(result),
  }));
  const results = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `UPDATE deliveries SET status = 'delivered', result = j.value ->> '$.r', last_error = NULL, updated_at = ?1
         FROM json_each(?2) AS j
         WHERE deliveries.task_key = j.value ->> '$.t' AND deliveries.subscription = j.value ->> '$.s'
           AND deliveries.status = 'pending'
         RETURNING deliveries.subscription, deliveries.okey`,
      )
      .bind(now, JSON.stringify(rows)),
    ...statusUpdate(
      db,
      items.map(({ ref }) => ref.task),
      now,
    ),
  ]);
  const scopes = (results[0]?.results ?? []) as unknown as OrderingScope[];
  await Promise.all([advanceKeys(env, scopes), publishViews(env, changedViews(results))]);
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
  await Promise.all([
    advanceKeys(env, [{ subscription: ref.subscription, okey }]),
    refreshStatus(env.DB, [ref.task]).then((views) => publishViews(env, views)),
  ]);
}
