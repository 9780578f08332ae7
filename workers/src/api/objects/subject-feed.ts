/**
 * What a subject's object feeds to the tenant-wide views in D1, from its alarm: the task index
 * (admin reads by id of a token subject's task; the server subject's tasks need none, admin reads
 * look there first), its dead letters, and its stats; and the index rows and stats row it takes
 * back when tasks leave at retention or the object empties.
 */
import type { SubscriptionStats } from "@errand/core/wire";
import type { SubjectDb } from "./subject-schema.ts";
import { finishedBefore, removeTasks } from "./subject-tasks.ts";

/** Who an object belongs to, given by the calls that can create it. */
export interface SubjectIdentity {
  tenant: string;
  subject: string;
}

/** A subject's counts, as it feeds them to D1. */
export interface SubjectStats {
  topics: { topic: string; status: string; n: number }[];
  subscriptions: SubscriptionStats[];
  /** Attempts beyond each delivery's first, summed. */
  retries: number;
}

/** The object feeding: its storage, a way to run a transaction on it, and whose it is. */
export interface FeedTarget {
  env: Env;
  db: SubjectDb;
  transaction: <T>(fn: () => T) => T;
  identity: SubjectIdentity;
  /** The object's id, as hex. */
  object: string;
}

/** Rows fed per call, of index rows and of dead letters each. */
const FEED_BATCH = 1000;

/**
 * Brings the tenant-wide views up to date in one D1 batch (the stats row only `withStats`: it
 * scans the object), then marks what it fed. `more` when a batch was full (call again),
 * `failed` when D1 refused it (nothing marked: the next call sends it again), else `done`.
 */
export async function feedViews(target: FeedTarget, withStats: boolean): Promise<"done" | "more" | "failed"> {
  const { env, db, identity, object } = target;
  const unindexed =
    identity.subject === ""
      ? []
      : db.all<{ key: number; id: string; topic: string; accepted_at: number }>(
          "SELECT key, id, topic, accepted_at FROM tasks WHERE indexed = 0 LIMIT ?",
          FEED_BATCH,
        );
  const letters = db.all<{
    id: string;
    task_key: number;
    task_id: string;
    topic: string;
    subscription: string;
    error: string | null;
    created_at: number;
    replayed_at: number | null;
  }>(
    `SELECT l.id, l.task_key, t.id AS task_id, t.topic, l.subscription, l.error, l.created_at, l.replayed_at
     FROM dead_letters l JOIN tasks t ON t.key = l.task_key WHERE l.indexed = 0 LIMIT ?`,
    FEED_BATCH,
  );
  const statements: D1PreparedStatement[] = withStats
    ? [
        env.DB.prepare(
          `INSERT INTO subject_stats (tenant, object, subject, stats, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
           ON CONFLICT (tenant, object) DO UPDATE SET stats = excluded.stats, updated_at = excluded.updated_at`,
        ).bind(identity.tenant, object, identity.subject, JSON.stringify(subjectStats(db)), Date.now()),
      ]
    : [];
  if (unindexed.length > 0) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO task_index (tenant, id, subject, object, topic, accepted_at)
         SELECT ?1, value ->> '$.id', ?2, ?3, value ->> '$.topic', value ->> '$.at' FROM json_each(?4) WHERE true
         ON CONFLICT DO NOTHING`,
      ).bind(
        identity.tenant,
        identity.subject,
        object,
        JSON.stringify(unindexed.map((t) => ({ id: t.id, topic: t.topic, at: t.accepted_at }))),
      ),
    );
  }
  if (letters.length > 0) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO dead_letters (id, tenant, object, subject, task_key, task_id, topic, subscription, error,
           created_at, replayed_at)
         SELECT value ->> '$.id', ?1, ?2, ?3, value ->> '$.task_key', value ->> '$.task_id', value ->> '$.topic',
           value ->> '$.subscription', value ->> '$.error', value ->> '$.created_at', value ->> '$.replayed_at'
         FROM json_each(?4) WHERE true
         ON CONFLICT (object, task_key, subscription) DO UPDATE SET id = excluded.id, error = excluded.error,
           created_at = excluded.created_at, replayed_at = excluded.replayed_at`,
      ).bind(identity.tenant, object, identity.subject, JSON.stringify(letters)),
    );
  }
  if (statements.length === 0) return "done";
  try {
    await env.DB.batch(statements);
  } catch (error) {
    console.error("errand-api: feeding the tenant's views failed; the alarm tries again", error);
    return "failed";
  }
  target.transaction(() => {
    if (unindexed.length > 0)
      db.run(
        "UPDATE tasks SET indexed = 1 WHERE key IN (SELECT value FROM json_each(?))",
        JSON.stringify(unindexed.map((t) => t.key)),
      );
    if (letters.length > 0)
      db.run(
        "UPDATE dead_letters SET indexed = 1 WHERE id IN (SELECT value FROM json_each(?))",
        JSON.stringify(letters.map((l) => l.id)),
      );
  });
  return unindexed.length === FEED_BATCH || letters.length === FEED_BATCH ? "more" : "done";
}

/** A subject's counts per topic and per subscription, as `GET /v1/stats` sums them. */
export function subjectStats(db: SubjectDb): SubjectStats {
  const topics = db.all<{ topic: string; status: string; n: number }>(
    "SELECT topic, status, COUNT(*) AS n FROM tasks GROUP BY topic, status",
  );
  const subscriptions = db.all<SubscriptionStats>(
    `SELECT d.subscription, t.topic, d.kind,
       SUM(d.status = 'pending' AND d.sent_at IS NOT NULL) AS inFlight,
       SUM(d.status = 'pending' AND d.last_error IS NOT NULL) AS failed,
       SUM(d.status = 'pending') AS pending, SUM(d.status = 'delivered') AS delivered,
       SUM(d.status = 'dead') AS dead, SUM(d.status = 'cancelled') AS cancelled
     FROM deliveries d JOIN tasks t ON t.key = d.task_key GROUP BY d.subscription, t.topic, d.kind`,
  );
  const retries =
    db.first<{ n: number | null }>("SELECT SUM(MAX(attempts - 1, 0)) AS n FROM deliveries")?.n ?? 0;
  return { topics, subscriptions, retries };
}

/**
 * Removes finished tasks past retention (`before`), their task index rows in D1 first, so no
 * index row outlives its task for long (if that fails, nothing is removed and the next alarm
 * tries again). True when it removed any.
 */
export async function purgeExpired(target: FeedTarget, before: number): Promise<boolean> {
  const { env, db, identity } = target;
  const finished = finishedBefore(db, before);
  if (finished.length === 0) return false;
  if (identity.subject !== "") {
    try {
      await env.DB.prepare(
        "DELETE FROM task_index WHERE tenant = ? AND subject = ? AND id IN (SELECT value FROM json_each(?))",
      )
        .bind(identity.tenant, identity.subject, JSON.stringify(finished.map((t) => t.id)))
        .run();
    } catch (error) {
      console.error("errand-api: removing index rows failed; the next alarm tries again", error);
      return false;
    }
  }
  target.transaction(() =>
    removeTasks(
      db,
      finished.map((t) => t.key),
    ),
  );
  return true;
}

/** Drops an emptied object's stats row (best-effort: a failure is logged). */
export async function dropStats(target: FeedTarget): Promise<void> {
  await target.env.DB.prepare("DELETE FROM subject_stats WHERE tenant = ? AND object = ?")
    .bind(target.identity.tenant, target.object)
    .run()
    .catch((error: unknown) => console.warn("errand-api: dropping a subject's stats failed", error));
}
