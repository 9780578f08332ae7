/**
 * Storing accepted tasks: one D1 batch (a transaction) writes the tasks, one delivery row per
 * subscription of their topic and the status of tasks that have nothing to wait for, so a 2xx
 * means every row exists.
 */
import type { WireTask } from "@errand/core";
import type { ExistingTask } from "./ingest-plan.ts";

/** A task ready to store. */
export interface NewTask {
  task: WireTask;
  payloadHash: string;
}

/** Stored tasks, to be queued: their keys and delays. */
export interface StoredTask {
  key: number;
  id: string;
  delaySeconds: number;
}

/** What ingest must know before planning: colliding stored tasks, and which topics exist. */
export interface IngestFacts {
  /** Tasks of the tenant and subject whose id or dedup key is among those asked about. */
  existing: ExistingTask[];
  knownTopics: Set<string>;
}

/** Looks up, in one round trip, the stored tasks these items may collide with and their topics. */
export async function ingestFacts(
  db: D1Database,
  tenant: string,
  subject: string,
  items: { ids: readonly string[]; dedupKeys: readonly string[]; topics: readonly string[] },
): Promise<IngestFacts> {
  const [tasks, topics] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        // Two index seeks, not one OR (which reads every task of the subject).
        `SELECT id, dedup_key, payload_hash FROM tasks
         WHERE tenant = ?1 AND subject = ?2 AND id IN (SELECT value FROM json_each(?3))
         UNION ALL
         SELECT id, dedup_key, payload_hash FROM tasks
         WHERE tenant = ?1 AND subject = ?2 AND dedup_key IN (SELECT value FROM json_each(?4))`,
      )
      .bind(tenant, subject, JSON.stringify(items.ids), JSON.stringify(items.dedupKeys)),
    db
      .prepare("SELECT name FROM topics WHERE tenant = ? AND name IN (SELECT value FROM json_each(?))")
      .bind(tenant, JSON.stringify([...new Set(items.topics)])),
  ]);
  const rows = (tasks?.results ?? []) as unknown as {
    id: string;
    dedup_key: string | null;
    payload_hash: string;
  }[];
  return {
    existing: rows.map((r) => ({ id: r.id, dedupKey: r.dedup_key, payloadHash: r.payload_hash })),
    knownTopics: new Set(((topics?.results ?? []) as unknown as { name: string }[]).map((r) => r.name)),
  };
}

/**
 * Stores tasks with their deliveries in one transaction. A task whose id or dedup key was
 * stored by a concurrent request meanwhile is skipped (left out of the returned list).
 */
export async function storeTasks(
  db: D1Database,
  tenant: string,
  subject: string,
  batchId: string,
  tasks: readonly NewTask[],
  now = Date.now(),
): Promise<StoredTask[]> {
  const rows = tasks.map(({ task, payloadHash }) => ({
    id: task.id,
    topic: task.topic,
    p: JSON.stringify(task.payload),
    h: payloadHash,
    o: task.orderingKey ?? null,
    d: task.dedupKey ?? null,
    s: task.delaySeconds ?? 0,
  }));
  const [inserted] = await db.batch<{ key: number; id: string; delay_seconds: number }>([
    db
      .prepare(
        `INSERT INTO tasks (tenant, subject, id, topic, payload, payload_hash, ordering_key, dedup_key,
           delay_seconds, status, batch_id, accepted_at, updated_at)
         SELECT ?1, ?2, value ->> '$.id', value ->> '$.topic', value ->> '$.p', value ->> '$.h',
           value ->> '$.o', value ->> '$.d', value ->> '$.s', 'accepted', ?3, ?4, ?4
         FROM json_each(?5) WHERE true ORDER BY key
         ON CONFLICT DO NOTHING
         RETURNING key, id, delay_seconds`,
      )
      .bind(tenant, subject, batchId, now, JSON.stringify(rows)),
    db
      .prepare(
        `INSERT INTO deliveries (task_key, subscription, kind, result_from, okey, updated_at)
         SELECT t.key, s.id, s.kind, s.result_from,
           CASE WHEN t.ordering_key IS NOT NULL AND tp.ordering = 'key' THEN json_array(t.subject, t.ordering_key) END,
           ?2
         FROM tasks t
         JOIN topics tp ON tp.tenant = t.tenant AND tp.name = t.topic
         JOIN subscriptions s ON s.tenant = t.tenant AND s.topic = t.topic AND s.deleted_at IS NULL
         WHERE t.batch_id = ?1 ORDER BY t.key`,
      )
      .bind(batchId, now),
    db
      .prepare(
        `UPDATE tasks SET status = 'delivered' WHERE batch_id = ?1 AND NOT EXISTS
           (SELECT 1 FROM deliveries d WHERE d.task_key = tasks.key AND d.kind <> 'live')`,
      )
      .bind(batchId),
  ]);
  return (inserted?.results ?? [])
    .map((r) => ({ key: r.key, id: r.id, delaySeconds: r.delay_seconds }))
    .sort((a, b) => a.key - b.key);
}

/** Records that the ingest queue took these tasks. */
export function markQueued(db: D1Database, keys: readonly number[], now = Date.now()): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE tasks SET queued_at = COALESCE(queued_at, ?1),
         status = CASE WHEN status = 'accepted' THEN 'queued' ELSE status END, updated_at = ?1
       WHERE key IN (SELECT value FROM json_each(?2))`,
    )
    .bind(now, JSON.stringify(keys));
}
