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
 *   it dead, recording its dead letter in the same transaction ({@link markDead}), and puts it on
 *   the dead-letter queue.
 */
import { decideRetry, type JsonValue, type SerializedError } from "@errand/core";
import type { WireError } from "@errand/core/wire";
import type { Claim, FailOutcome } from "@errand/edge";
import { deliveryPolicy } from "../queues/delivery-policy.ts";
import { IS_HEAD } from "../queues/dispatch.ts";
import type { DeliveryMessage } from "../queues/messages.ts";
import { publishViews } from "./live-publish.ts";
import { advanceKeys, type OrderingScope } from "./router.ts";
import { changedViews, statusUpdate } from "./task-views.ts";

/** Seconds a delivery waiting behind an earlier task of its key is put back for. */
const WAIT_SECONDS = 1;

/** Claims a delivery for one attempt (see {@link claimDeliveries}). */
export async function claimDelivery(env: Env, ref: DeliveryMessage): Promise<Claim> {
  const [claim] = await claimDeliveries(env, [ref]);
  return claim ?? { action: "skip", reason: "unknown" };
}

/**
 * Claims deliveries in one D1 round trip: one statement counts an attempt for each delivery
 * that is pending, heads its key, has attempts left and whose task is not cancelled; one read
 * gathers what the answers need. A head delivery with no attempts left (its consumer kept
 * dying without reporting) is marked dead instead of run again.
 */
export async function claimDeliveries(env: Env, refs: readonly DeliveryMessage[]): Promise<Claim[]> {
  if (refs.length === 0) return [];
  const now = Date.now();
  const maxAttempts = deliveryPolicy(env).maxAttempts;
  const json = JSON.stringify(refs.map((r) => ({ task: r.task, subscription: r.subscription })));
  const [counted, read] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare(
      `UPDATE deliveries AS d SET attempts = attempts + 1, updated_at = ?2
       WHERE (d.task_key, d.subscription) IN (SELECT value ->> '$.task', value ->> '$.subscription' FROM json_each(?1))
         AND d.status = 'pending' AND d.attempts < ?3 AND ${IS_HEAD}
         AND NOT EXISTS (SELECT 1 FROM tasks c WHERE c.key = d.task_key AND c.cancelled_at IS NOT NULL)
       RETURNING task_key, subscription, attempts`,
    ).bind(json, now, maxAttempts),
    env.DB.prepare(
      // Whether it heads its key matters only to a pending delivery out of attempts (it dies
      // here): the head test's subqueries run for that one alone.
      `SELECT d.task_key, d.subscription, t.id, t.topic, t.payload, t.tenant, t.subject, t.ordering_key, t.cancelled_at,
         d.status, d.attempts, CASE WHEN d.status = 'pending' AND d.attempts >= ?2 THEN ${IS_HEAD} ELSE 0 END AS out_of_attempts
       FROM deliveries d JOIN tasks t ON t.key = d.task_key
       WHERE (d.task_key, d.subscription) IN (SELECT value ->> '$.task', value ->> '$.subscription' FROM json_each(?1))`,
    ).bind(json, maxAttempts),
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
  // A pending delivery answered `dead` is out of attempts: it dies here.
  const exhausted = new Map<string, DeliveryMessage>();
  const claims = refs.map((ref) => {
    const id = `${ref.task}:${ref.subscription}`;
    const row = rows.get(id);
    const claim = toClaim(ref, row, attempts.get(id));
    if (claim.action === "skip" && claim.reason === "dead" && row?.status === "pending")
      exhausted.set(id, ref);
    return claim;
  });
  for (const ref of exhausted.values()) {
    await markDead(
      env,
      ref,
      { code: "attempts_exhausted", message: `No outcome was reported after ${maxAttempts} attempts.` },
      { notify: true },
    );
  }
  return claims;
}

interface ClaimRow {
  task_key: number;
  subscription: string;
  id: string;
  topic: string;
  payload: string;
  tenant: string;
  subject: string;
  ordering_key: string | null;
  cancelled_at: number | null;
  status: string;
  attempts: number;
  /** 1 when it is pending, heads its key and has no attempts left. */
  out_of_attempts: number;
}

function toClaim(ref: DeliveryMessage, row: ClaimRow | undefined, attempts: number | undefined): Claim {
  if (!row) return { action: "skip", reason: "unknown" };
  if (row.status === "delivered" || row.status === "dead" || row.status === "cancelled") {
    return { action: "skip", reason: row.status };
  }
  if (row.cancelled_at !== null) return { action: "skip", reason: "cancelled" };
  if (attempts === undefined && row.out_of_attempts === 1) return { action: "skip", reason: "dead" };
  if (attempts === undefined) return { action: "wait", delaySeconds: WAIT_SECONDS };
  return {
    action: "run",
    task: {
      id: row.id,
      topic: row.topic,
      payload: JSON.parse(row.payload) as JsonValue,
      tenant: row.tenant,
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
    // A cancelled delivery whose attempts ran on held its key until the last of them reports
    // (cancel.ts); a stale copy's report beyond the attempts claimed counts nothing.
    db
      .prepare(
        `UPDATE deliveries SET reported = reported + 1 FROM json_each(?1) AS j
         WHERE deliveries.task_key = j.value ->> '$.t' AND deliveries.subscription = j.value ->> '$.s'
           AND deliveries.status = 'cancelled' AND deliveries.okey IS NOT NULL
           AND deliveries.reported < deliveries.attempts
         RETURNING deliveries.subscription, deliveries.okey, deliveries.attempts, deliveries.reported`,
      )
      .bind(JSON.stringify(rows)),
    ...statusUpdate(
      db,
      items.map(({ ref }) => ref.task),
      now,
    ),
  ]);
  const released = ((results[1]?.results ?? []) as unknown as (OrderingScope & DeliveryCount)[]).filter(
    (d) => d.reported === d.attempts,
  );
  const scopes = [...(results[0]?.results ?? []), ...released] as unknown as OrderingScope[];
  await Promise.all([advanceKeys(env, scopes), publishViews(env, changedViews(results))]);
}

/**
 * Records a failed attempt and decides between a retry and dead. The attempt is counted as
 * reported first, in one transaction with the read, so a cancel from then on sees it stopped
 * (cancel.ts); a cancelled delivery's key moves on here when this was the last of its attempts
 * running. A report beyond the attempts claimed (a stale copy's) counts nothing and moves nothing.
 */
export async function failDelivery(
  env: Env,
  ref: DeliveryMessage,
  error: SerializedError,
  retryAfterSeconds = 0,
): Promise<FailOutcome> {
  // One transaction: the row as this report found it, then the report counted unless every
  // attempt claimed has reported already (a stale copy's report).
  const [before] = await env.DB.batch<DeliveryCount & { status: string }>([
    env.DB.prepare(
      "SELECT attempts, status, okey, reported FROM deliveries WHERE task_key = ?1 AND subscription = ?2",
    ).bind(ref.task, ref.subscription),
    env.DB.prepare(
      "UPDATE deliveries SET reported = reported + 1 WHERE task_key = ?1 AND subscription = ?2 AND reported < attempts",
    ).bind(ref.task, ref.subscription),
  ]);
  const row = before?.results[0];
  if (row?.status === "cancelled" && row.reported + 1 === row.attempts)
    await advanceKeys(env, [{ subscription: ref.subscription, okey: row.okey }]);
  if (row?.status !== "pending") return { action: "dead" };
  const lastError = { code: error.code, message: error.message };
  const decision = decideRetry(deliveryPolicy(env), Math.max(1, row.attempts), error);
  if (decision.retry) {
    // Cancelled since the first round trip: that cancel saw this attempt reported and moved the
    // key on itself.
    const still = await env.DB.prepare(
      `UPDATE deliveries SET last_error = ?3, updated_at = ?4
       WHERE task_key = ?1 AND subscription = ?2 AND status = 'pending' RETURNING status`,
    )
      .bind(ref.task, ref.subscription, JSON.stringify(lastError), Date.now())
      .first<{ status: string }>();
    if (still === null) return { action: "dead" };
    return { action: "retry", delaySeconds: Math.max(Math.ceil(decision.delayMs / 1000), retryAfterSeconds) };
  }
  await markDead(env, ref, lastError, { notify: true });
  return { action: "dead" };
}

/** A delivery's ordering scope and its attempts claimed and reported. */
interface DeliveryCount {
  okey: string | null;
  attempts: number;
  reported: number;
}

/**
 * Records the dead letter of a delivery that is dead, once per death: a second record of the same
 * death changes nothing, one after a replay and a new death renews it, and a delivery that is not
 * dead (replayed since) gets none.
 */
export function recordDeadLetter(db: D1Database, ref: DeliveryMessage, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO dead_letters (id, tenant, task_key, subscription, error, created_at)
       SELECT ?1, t.tenant, t.key, ?3, d.last_error, ?4 FROM tasks t
       JOIN deliveries d ON d.task_key = t.key AND d.subscription = ?3
       WHERE t.key = ?2 AND d.status = 'dead'
       ON CONFLICT (task_key, subscription) DO UPDATE SET error = excluded.error,
         created_at = excluded.created_at, replayed_at = NULL
       WHERE dead_letters.replayed_at IS NOT NULL`,
    )
    .bind(crypto.randomUUID(), ref.task, ref.subscription, now);
}

/**
 * Marks a pending delivery dead, records its dead letter and recomputes its task's status in
 * one transaction, so the dead letter cannot be lost between them; then moves its ordering key
 * on and tells live sessions. With `notify`, also puts the dead delivery on the dead-letter queue
 * (best-effort: its consumer finds it already recorded). Recording is idempotent: a delivery
 * that is not dead changes nothing, and a dead letter is only renewed after a replay.
 */
export async function markDead(
  env: Env,
  ref: DeliveryMessage,
  error: WireError,
  { notify = false } = {},
): Promise<void> {
  const db = env.DB;
  const now = Date.now();
  const lastError = JSON.stringify(error);
  const results = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `UPDATE deliveries SET status = 'dead', last_error = ?3, updated_at = ?4
         WHERE task_key = ?1 AND subscription = ?2 AND status = 'pending' RETURNING okey`,
      )
      .bind(ref.task, ref.subscription, lastError, now),
    recordDeadLetter(db, ref, now),
    ...statusUpdate(db, [ref.task], now),
  ]);
  const dead = (results[0]?.results ?? []) as unknown as { okey: string | null }[];
  if (dead.length > 0 && notify) {
    const message: DeliveryMessage = { ...ref, error };
    await env.DEAD_LETTER_QUEUE.send(message).catch((failure: unknown) => {
      console.error("errand-api: dead-letter queue send failed (the dead letter is recorded)", failure);
    });
  }
  await Promise.all([
    advanceKeys(
      env,
      dead.map(({ okey }) => ({ subscription: ref.subscription, okey })),
    ),
    publishViews(env, changedViews(results)),
  ]);
}
