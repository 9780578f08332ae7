/**
 * Storing accepted tasks: one D1 batch (a transaction, one round trip) reads what the ingest plan
 * needs and writes the tasks, one delivery row per subscription of their topic and the status of
 * tasks that have nothing to wait for, so a 2xx means every row exists.
 */
import type { WireTask } from "@errand/core/wire";
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

/** What ingest must know to plan: colliding stored tasks, and which topics exist. */
export interface IngestFacts {
  /** Tasks of the tenant and subject whose id or dedup key is among the candidates'. */
  existing: ExistingTask[];
  knownTopics: Set<string>;
}

/**
 * Stores an ingest request's candidates in one D1 batch (one transaction, one round trip), and
 * reads, in the same transaction and before writing, the facts that plan them (`planIngest`):
 * the stored tasks they collide with and which of their topics exist.
 *
 * The writes take exactly the tasks the plan accepts, without waiting for it: a candidate is
 * inserted only if its topic exists, and `ON CONFLICT DO NOTHING` skips one whose id or dedup
 * key is taken, whether by a stored task (which the facts report: a duplicate or an
 * `id_conflict`) or by an earlier candidate of the same request (which the plan also keeps
 * first). So pass only candidates the caller may publish, in request order. The stored tasks
 * come back in key order, with the deliveries of each (one per subscription of its topic) and
 * the status of those that have nothing to wait for written too, so a 2xx means every row exists.
 */
export async function storeIngest(
  db: D1Database,
  tenant: string,
  subject: string,
  batchId: string,
  candidates: readonly NewTask[],
  now = Date.now(),
): Promise<{ facts: IngestFacts; stored: StoredTask[] }> {
  const ids = candidates.map(({ task }) => task.id);
  const dedupKeys = candidates.flatMap(({ task }) => (task.dedupKey === undefined ? [] : [task.dedupKey]));
  const topics = [...new Set(candidates.map(({ task }) => task.topic))];
  const rows = candidates.map(({ task, payloadHash }) => ({
    id: task.id,
    topic: task.topic,
    p: JSON.stringify(task.payload),
    h: payloadHash,
    o: task.orderingKey ?? null,
    d: task.dedupKey ?? null,
    s: task.delaySeconds ?? 0,
  }));
  const [existing, known, inserted] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        // Two index seeks, not one OR (which reads every task of the subject).
        `SELECT id, dedup_key, payload_hash FROM tasks
         WHERE tenant = ?1 AND subject = ?2 AND id IN (SELECT value FROM json_each(?3))
         UNION ALL
         SELECT id, dedup_key, payload_hash FROM tasks
         WHERE tenant = ?1 AND subject = ?2 AND dedup_key IN (SELECT value FROM json_each(?4))`,
      )
      .bind(tenant, subject, JSON.stringify(ids), JSON.stringify(dedupKeys)),
    db
      .prepare("SELECT name FROM topics WHERE tenant = ? AND name IN (SELECT value FROM json_each(?))")
      .bind(tenant, JSON.stringify(topics)),
    db
      .prepare(
        `INSERT INTO tasks (tenant, subject, id, topic, payload, payload_hash, ordering_key, dedup_key,
           delay_seconds, status, batch_id, accepted_at, updated_at)
         SELECT ?1, ?2, value ->> '$.id', value ->> '$.topic', value ->> '$.p', value ->> '$.h',
           value ->> '$.o', value ->> '$.d', value ->> '$.s', 'accepted', ?3, ?4, ?4
         FROM json_each(?5)
         WHERE EXISTS (SELECT 1 FROM topics WHERE tenant = ?1 AND name = value ->> '$.topic')
         ORDER BY key
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
  const collisions = (existing?.results ?? []) as unknown as {
    id: string;
    dedup_key: string | null;
    payload_hash: string;
  }[];
  return {
    facts: {
      existing: collisions.map((r) => ({ id: r.id, dedupKey: r.dedup_key, payloadHash: r.payload_hash })),
      knownTopics: new Set(((known?.results ?? []) as unknown as { name: string }[]).map((r) => r.name)),
    },
    stored: ((inserted?.results ?? []) as unknown as { key: number; id: string; delay_seconds: number }[])
      .map((r) => ({ key: r.key, id: r.id, delaySeconds: r.delay_seconds }))
      .sort((a, b) => a.key - b.key),
  };
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
