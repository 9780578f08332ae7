/**
 * The dead-letter queue's consumer, and replay. Messages arrive here two ways: Errand gave up
 * on a delivery (`error` set; the delivery was marked dead and its dead letter recorded in the
 * same transaction), or the platform exhausted a message's redeliveries (the delivery may still
 * read pending; it is marked dead and recorded here). Either way one row per (task,
 * subscription) records it for `GET /v1/dead-letters`.
 */

import { markDead, recordDeadLetter } from "../objects/delivery-ops.ts";
import { routeTasks } from "../objects/router.ts";
import type { DeliveryMessage, IngestMessage } from "./messages.ts";

/**
 * Records each dead message in D1. A delivery the platform gave up on is marked dead and
 * recorded here; one Errand gave up on was recorded when it died, so its message changes
 * nothing, even after a replay. An ingest message the router kept failing on clears its task's `queued_at`, so the
 * repair alarm queues the task again.
 */
export async function recordDeadLetters(
  batch: MessageBatch<DeliveryMessage | IngestMessage>,
  env: Env,
): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    if ("key" in body) {
      console.error(
        `errand-api: ingest message for task ${body.key} exhausted its redeliveries; repair requeues it`,
      );
      await env.DB.prepare(
        "UPDATE tasks SET queued_at = NULL WHERE key = ? AND routed_at IS NULL AND cancelled_at IS NULL",
      )
        .bind(body.key)
        .run();
      continue;
    }
    const ref = { task: body.task, subscription: body.subscription };
    if (body.error !== undefined) {
      // Errand's own give-up: the delivery died, and its dead letter was recorded, before this
      // message was sent. Recording again changes nothing (it records a death that a deploy
      // caught between the two); marking dead again would kill a delivery replayed since.
      await recordDeadLetter(env.DB, ref, Date.now()).run();
      continue;
    }
    await markDead(env, ref, {
      code: "redeliveries_exhausted",
      message: "The queue gave up redelivering this delivery.",
    });
  }
  batch.ackAll();
}

/** A dead letter as `GET /v1/dead-letters` lists it. */
export interface DeadLetterView {
  id: string;
  taskId: string;
  topic: string;
  subscription: string;
  error: { code: string; message: string } | null;
  deadAt: string;
  replayedAt?: string;
}

/** The tenant's dead letters, newest first. */
export async function listDeadLetters(
  db: D1Database,
  tenant: string,
  limit = 100,
): Promise<DeadLetterView[]> {
  const rows = await db
    .prepare(
      `SELECT l.id, t.id AS task_id, t.topic, l.subscription, l.error, l.created_at, l.replayed_at
       FROM dead_letters l JOIN tasks t ON t.key = l.task_key
       WHERE l.tenant = ? ORDER BY l.created_at DESC LIMIT ?`,
    )
    .bind(tenant, limit)
    .all<{
      id: string;
      task_id: string;
      topic: string;
      subscription: string;
      error: string | null;
      created_at: number;
      replayed_at: number | null;
    }>();
  return rows.results.map((r) => ({
    id: r.id,
    taskId: r.task_id,
    topic: r.topic,
    subscription: r.subscription,
    error: r.error === null ? null : (JSON.parse(r.error) as { code: string; message: string }),
    deadAt: new Date(r.created_at).toISOString(),
    ...(r.replayed_at === null ? {} : { replayedAt: new Date(r.replayed_at).toISOString() }),
  }));
}

/**
 * Replays a dead letter of the tenant: its delivery goes back to pending with a fresh attempt
 * count and is routed again (keeping its place in its key's sequence). A dead letter whose
 * subscription was deleted has nowhere to go and is not replayed.
 */
export async function replayDeadLetter(
  env: Env,
  tenant: string,
  id: string,
): Promise<"replayed" | "not_found" | "subscription_deleted"> {
  const letter = await env.DB.prepare(
    `SELECT l.task_key, l.subscription, s.deleted_at FROM dead_letters l JOIN subscriptions s ON s.id = l.subscription
     WHERE l.id = ? AND l.tenant = ?`,
  )
    .bind(id, tenant)
    .first<{ task_key: number; subscription: string; deleted_at: number | null }>();
  if (!letter) return "not_found";
  if (letter.deleted_at !== null) return "subscription_deleted";
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `UPDATE deliveries SET status = 'pending', attempts = 0, reported = 0, last_error = NULL, dispatched_at = NULL, updated_at = ?3
       WHERE task_key = ?1 AND subscription = ?2 AND status = 'dead'`,
    ).bind(letter.task_key, letter.subscription, now),
    env.DB.prepare("UPDATE dead_letters SET replayed_at = ? WHERE id = ?").bind(now, id),
  ]);
  await routeTasks(env, [letter.task_key]);
  return "replayed";
}
