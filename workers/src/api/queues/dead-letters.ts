/**
 * The dead-letter queue's consumer, the tenant's dead-letter list and replay. A message lands
 * on the dead-letter queue when the platform exhausted its redeliveries (a consumer kept
 * failing before it could report): the delivery is marked dead in its subject's object, which
 * records the dead letter (Errand's own give-ups are recorded where they happen and never
 * queued). Subject objects feed their dead letters to D1, where `GET /v1/dead-letters` reads
 * them across subjects (fresh within the feed interval, `FEED_SECONDS`).
 */

import { objectByHex } from "../objects/subject-ref.ts";
import type { DeliveryMessage } from "./messages.ts";

/** Marks each dead message's delivery dead in its object. */
export async function recordDeadLetters(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const body = message.body as Partial<DeliveryMessage>;
      const object = typeof body.object === "string" ? objectByHex(env, body.object) : undefined;
      if (!object || typeof body.task !== "number" || typeof body.subscription !== "string") {
        console.error("errand-api: dropping a dead-letter message that names no delivery", body);
        return;
      }
      if (body.error !== undefined) return;
      await object.markDead(
        { task: body.task, subscription: body.subscription, object: body.object as string },
        { code: "redeliveries_exhausted", message: "The queue gave up redelivering this delivery." },
      );
    }),
  );
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
      `SELECT id, task_id, topic, subscription, error, created_at, replayed_at FROM dead_letters
       WHERE tenant = ? ORDER BY created_at DESC LIMIT ?`,
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
 * count and is sent again (keeping its place in its key's sequence). A dead letter whose
 * subscription was deleted has nowhere to go and is not replayed.
 */
export async function replayDeadLetter(
  env: Env,
  tenant: string,
  id: string,
): Promise<"replayed" | "not_found" | "subscription_deleted"> {
  const letter = await env.DB.prepare(
    `SELECT l.object, l.task_key, l.subscription, s.deleted_at FROM dead_letters l
     JOIN subscriptions s ON s.id = l.subscription WHERE l.id = ? AND l.tenant = ?`,
  )
    .bind(id, tenant)
    .first<{ object: string; task_key: number; subscription: string; deleted_at: number | null }>();
  if (!letter) return "not_found";
  if (letter.deleted_at !== null) return "subscription_deleted";
  const object = objectByHex(env, letter.object);
  if (!object) return "not_found";
  const replayed = await object.replay(letter.task_key, letter.subscription);
  if (replayed) {
    await env.DB.prepare("UPDATE dead_letters SET replayed_at = ? WHERE id = ?").bind(Date.now(), id).run();
  }
  return "replayed";
}
