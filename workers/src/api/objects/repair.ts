/**
 * Repair: a Durable Object whose alarm re-sends what was stored but never queued (the send
 * failed, or the Worker died after answering) and re-routes tasks whose routing stopped half
 * way, and removes finished tasks older than `RETENTION_DAYS` (dead ones stay until replayed or
 * their dead letter is gone). `wrangler dev` never fires cron triggers, so an alarm it is:
 * armed by the first ingest of each isolate, it re-arms itself every `REPAIR_INTERVAL_SECONDS`.
 */
import { DurableObject } from "cloudflare:workers";
import { IS_HEAD } from "../queues/dispatch.ts";
import type { IngestMessage } from "../queues/messages.ts";
import { routeTasks } from "./router.ts";
import { markQueued } from "./task-store.ts";

const BATCH = 100;

/**
 * How long a cancelled delivery with attempts not reported keeps its ordering key from the
 * repair alarm: the longest a queue consumer invocation runs on Cloudflare (15 minutes), after
 * which no such attempt can still be running. Its report moves the key on sooner (cancel.ts).
 */
const CANCELLED_HOLD_MS = 15 * 60_000;

/** The single repair object (named "repair"). */
export class Repair extends DurableObject<Env> {
  /** Arms the alarm unless it is armed. */
  async ensureArmed(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + intervalMs(this.env));
  }

  override async alarm(): Promise<void> {
    try {
      await repairOnce(this.env, Date.now() - seconds(this.env.REPAIR_GRACE_SECONDS, 30) * 1000);
      await purgeFinished(this.env, Date.now() - seconds(this.env.RETENTION_DAYS, 7) * 86_400_000);
    } finally {
      await this.ctx.storage.setAlarm(Date.now() + intervalMs(this.env));
    }
  }
}

/**
 * Queues tasks accepted before `olderThan` that never reached the ingest queue, and re-routes
 * routed tasks with head deliveries never sent, except behind a cancelled delivery whose
 * attempt may still be running (held up to {@link CANCELLED_HOLD_MS}). Returns how many of each.
 */
export async function repairOnce(
  env: Env,
  olderThan: number,
  now = Date.now(),
): Promise<{ queued: number; rerouted: number }> {
  const unqueued = await env.DB.prepare(
    // Oldest first by accepted_at, so the partial index tasks_unqueued answers it (not a scan).
    `SELECT key, delay_seconds FROM tasks WHERE queued_at IS NULL AND cancelled_at IS NULL AND accepted_at < ?
     ORDER BY accepted_at LIMIT 500`,
  )
    .bind(olderThan)
    .all<{ key: number; delay_seconds: number }>();
  for (let i = 0; i < unqueued.results.length; i += BATCH) {
    const chunk = unqueued.results.slice(i, i + BATCH);
    await env.INGEST_QUEUE.sendBatch(
      chunk.map((t) => ({ body: { key: t.key } satisfies IngestMessage, delaySeconds: t.delay_seconds })),
    );
    await markQueued(
      env.DB,
      chunk.map((t) => t.key),
    ).run();
  }
  const stalled = await env.DB.prepare(
    `SELECT DISTINCT d.task_key FROM deliveries d JOIN tasks t ON t.key = d.task_key
     WHERE d.status = 'pending' AND d.dispatched_at IS NULL AND t.routed_at < ?1 AND t.cancelled_at IS NULL AND ${IS_HEAD}
       AND NOT EXISTS (SELECT 1 FROM deliveries c WHERE c.subscription = d.subscription AND c.okey = d.okey
         AND c.task_key < d.task_key AND c.status = 'cancelled' AND c.reported < c.attempts AND c.updated_at > ?2)
     LIMIT 500`,
  )
    .bind(olderThan, now - CANCELLED_HOLD_MS)
    .all<{ task_key: number }>();
  if (stalled.results.length > 0)
    await routeTasks(
      env,
      stalled.results.map((r) => r.task_key),
    );
  return { queued: unqueued.results.length, rerouted: stalled.results.length };
}

/**
 * Deletes delivered, succeeded and cancelled tasks (and their deliveries) last changed before
 * `before`, up to 1,000 a call. The partial index `tasks_finished` answers which, so a call reads
 * the tasks it removes, not every task stored. Returns how many tasks it removed and how many
 * rows it read.
 */
export async function purgeFinished(
  env: Env,
  before: number,
): Promise<{ removed: number; rowsRead: number }> {
  // The same terms as the index's WHERE, so that SQLite may use it.
  const finished = `SELECT key FROM tasks WHERE status IN ('delivered', 'succeeded', 'cancelled') AND updated_at < ?1 LIMIT 1000`;
  const results = await env.DB.batch([
    env.DB.prepare(`DELETE FROM deliveries WHERE task_key IN (${finished})`).bind(before),
    env.DB.prepare(`DELETE FROM tasks WHERE key IN (${finished})`).bind(before),
  ]);
  return {
    removed: results[1]?.meta.changes ?? 0,
    rowsRead: results.reduce((sum, result) => sum + (result.meta.rows_read ?? 0), 0),
  };
}

function intervalMs(env: Env): number {
  return seconds(env.REPAIR_INTERVAL_SECONDS, 30) * 1000;
}

function seconds(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
