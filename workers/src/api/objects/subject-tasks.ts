/**
 * A subject's tasks: storing an ingest batch (planned against what the object holds), keeping
 * each task's status in step with its deliveries, reading views, cancelling and purging. Runs
 * inside the subject object's transactions; deliveries' own transitions live in deliveries.ts.
 */
import type { JsonValue } from "@errand/core";
import type {
  DeliveryView,
  SubmitItem,
  SubmitItemResult,
  SubscriptionKind,
  TaskView,
  WireError,
} from "@errand/core/wire";
import { type Changes, cancelDeliveries } from "./deliveries.ts";
import { planIngest } from "./ingest-plan.ts";
import type { DeliveryRow, SubjectDb, TaskRow } from "./subject-schema.ts";
import { aggregateStatus, isFinalStatus } from "./task-status.ts";

/** A subscription as a task's delivery snapshots it at ingest. */
export interface SubscriptionSnapshot {
  id: string;
  kind: SubscriptionKind;
  target: string;
  resultFrom: boolean;
  onDead: "continue" | "halt";
}

/** What ingest knows of a topic: whether ordering keys apply, and its live subscriptions. */
export interface TopicSnapshot {
  ordering: "key" | "none";
  subscriptions: SubscriptionSnapshot[];
}

/** One ingest call: items the caller may publish to existing topics, with payload digests. */
export interface IngestInput {
  items: SubmitItem[];
  hashes: string[];
  topics: Record<string, TopicSnapshot>;
}

/**
 * Plans and stores an ingest batch: one result per item (accepted, duplicate by id or dedup key,
 * or `id_conflict`), the accepted tasks stored with one delivery per subscription of their
 * topic, due after their delay, in two statements. Every delivery is stored expecting news within
 * `graceMs` (the intent to send it: see deliveries.ts), so one whose send never happens is found
 * by the alarm. `indexed` says whether the tasks need the tenant's task index (not the server
 * subject's). Returns the results and the keys stored.
 */
export function storeIngest(
  db: SubjectDb,
  input: IngestInput,
  now: number,
  { graceMs, indexed }: { graceMs: number; indexed: boolean },
): { results: SubmitItemResult[]; stored: number[] } {
  const ids: string[] = [];
  const dedupKeys: string[] = [];
  for (const item of input.items) {
    if (!item.ok) continue;
    ids.push(item.task.id);
    if (item.task.dedupKey !== undefined) dedupKeys.push(item.task.dedupKey);
  }
  const existing = db.all<{ id: string; dedup_key: string | null; payload_hash: string }>(
    `SELECT id, dedup_key, payload_hash FROM tasks WHERE id IN (SELECT value FROM json_each(?))
     UNION ALL
     SELECT id, dedup_key, payload_hash FROM tasks WHERE dedup_key IN (SELECT value FROM json_each(?))`,
    JSON.stringify(ids),
    JSON.stringify(dedupKeys),
  );
  const plan = planIngest(input.items, {
    mayPublish: () => true,
    knownTopics: new Set(Object.keys(input.topics)),
    existing: existing.map((r) => ({ id: r.id, dedupKey: r.dedup_key, payloadHash: r.payload_hash })),
    hashes: new Map(input.hashes.map((hash, index) => [index, hash])),
  });
  const rows = plan.toStore.flatMap(({ task, payloadHash }) => {
    const topic = input.topics[task.topic];
    if (!topic) return [];
    const held = topic.subscriptions.some((s) => s.kind !== "live");
    return [
      {
        id: task.id,
        topic: task.topic,
        payload: JSON.stringify(task.payload),
        hash: payloadHash,
        okey: task.orderingKey ?? null,
        dedup: task.dedupKey ?? null,
        status: held ? "accepted" : "delivered",
      },
    ];
  });
  if (rows.length === 0) return { results: plan.results, stored: [] };
  const keys = db.all<{ key: number; id: string }>(
    `INSERT INTO tasks (id, topic, payload, payload_hash, ordering_key, dedup_key, status, accepted_at, updated_at, indexed)
     SELECT value ->> '$.id', value ->> '$.topic', value ->> '$.payload', value ->> '$.hash', value ->> '$.okey',
       value ->> '$.dedup', value ->> '$.status', ?1, ?1, ?2
     FROM json_each(?3) ORDER BY key RETURNING key, id`,
    now,
    indexed ? 0 : 1,
    JSON.stringify(rows),
  );
  const keyOf = new Map(keys.map((k) => [k.id, k.key]));
  const deliveries = plan.toStore.flatMap(({ task }) => {
    const topic = input.topics[task.topic];
    const key = keyOf.get(task.id);
    if (!topic || key === undefined) return [];
    const okey = task.orderingKey !== undefined && topic.ordering === "key" ? task.orderingKey : null;
    const due = now + (task.delaySeconds ?? 0) * 1000;
    return topic.subscriptions.map((s) => ({
      key,
      sub: s.id,
      kind: s.kind,
      target: s.target,
      from: s.resultFrom ? 1 : 0,
      onDead: s.onDead,
      okey,
      due,
      // A live delivery due later is looked at when it is due; anything else at once.
      expect: s.kind === "live" && due > now ? due : now + graceMs,
    }));
  });
  if (deliveries.length > 0) {
    db.run(
      `INSERT INTO deliveries (task_key, subscription, kind, target, result_from, on_dead, okey, due_at, expect_by, updated_at)
       SELECT value ->> '$.key', value ->> '$.sub', value ->> '$.kind', value ->> '$.target', value ->> '$.from',
         value ->> '$.onDead', value ->> '$.okey', value ->> '$.due', value ->> '$.expect', ?1
       FROM json_each(?2)`,
      now,
      JSON.stringify(deliveries),
    );
  }
  return { results: plan.results, stored: keys.map((k) => k.key).sort((x, y) => x - y) };
}

/**
 * Recomputes the status and result of the changed tasks from their deliveries, stores the ones
 * that changed, and returns the views of every changed task (for live sessions).
 */
export function refresh(db: SubjectDb, changes: Changes, now: number): TaskView[] {
  if (changes.tasks.size === 0) return [];
  const keys = JSON.stringify([...changes.tasks]);
  const tasks = db.all<TaskRow>("SELECT * FROM tasks WHERE key IN (SELECT value FROM json_each(?))", keys);
  const deliveries = deliveriesOf(db, keys);
  const changed: { k: number; s: string; r: string | null }[] = [];
  const views = tasks.map((task) => {
    const own = deliveries.get(task.key) ?? [];
    const status = aggregateStatus(
      {
        cancelled: task.cancelled_at !== null,
        queued: task.status !== "accepted" || own.some((d) => d.sent_at !== null),
      },
      own.map((d) => ({
        kind: d.kind,
        status: d.status,
        resultFrom: d.result_from === 1,
        hasResult: d.result !== null,
      })),
    );
    const result = own.find(
      (d) => d.result_from === 1 && d.status === "delivered" && d.result !== null,
    )?.result;
    const next = { ...task, status, result: result ?? task.result };
    if (next.status !== task.status || next.result !== task.result)
      changed.push({ k: task.key, s: next.status, r: next.result });
    return toView(next, own);
  });
  if (changed.length > 0) {
    db.run(
      `UPDATE tasks SET status = j.value ->> '$.s', result = j.value ->> '$.r', updated_at = ?1
       FROM json_each(?2) AS j WHERE tasks.key = j.value ->> '$.k'`,
      now,
      JSON.stringify(changed),
    );
  }
  return views;
}

/** Views of the tasks with these ids, in the order asked; unknown ids left out. */
export function viewsByIds(db: SubjectDb, ids: readonly string[]): TaskView[] {
  if (ids.length === 0) return [];
  const tasks = db.all<TaskRow>(
    "SELECT * FROM tasks WHERE id IN (SELECT value FROM json_each(?))",
    JSON.stringify(ids),
  );
  const deliveries = deliveriesOf(db, JSON.stringify(tasks.map((t) => t.key)));
  const byId = new Map(tasks.map((t) => [t.id, toView(t, deliveries.get(t.key) ?? [])]));
  return ids.flatMap((id) => {
    const view = byId.get(id);
    return view ? [view] : [];
  });
}

/** A task's key and topic by id. */
export function findTask(db: SubjectDb, id: string): { key: number; topic: string } | undefined {
  return db.first<{ key: number; topic: string }>("SELECT key, topic FROM tasks WHERE id = ?", id);
}

/** What cancelling found. */
export type CancelOutcome = "cancelled" | "already_final" | "not_found";

/** Cancels a task: its pending deliveries are tombstoned and its status becomes `cancelled`. */
export function cancelTask(db: SubjectDb, key: number, now: number, changes: Changes): CancelOutcome {
  const task = db.first<TaskRow>("SELECT * FROM tasks WHERE key = ?", key);
  if (!task) return "not_found";
  if (isFinalStatus(task.status)) return "already_final";
  db.run(
    "UPDATE tasks SET cancelled_at = COALESCE(cancelled_at, ?), updated_at = ? WHERE key = ?",
    now,
    now,
    key,
  );
  cancelDeliveries(db, key, now, changes);
  return "cancelled";
}

/**
 * Delivered, succeeded and cancelled tasks last changed before `before`, up to `limit` (dead
 * ones stay until replayed). The partial index `tasks_finished` answers which, so this reads the
 * tasks it returns, not every task stored.
 */
export function finishedBefore(db: SubjectDb, before: number, limit = 1000): { key: number; id: string }[] {
  return db.all<{ key: number; id: string }>(
    `SELECT key, id FROM tasks WHERE status IN ('delivered', 'succeeded', 'cancelled') AND updated_at < ? LIMIT ?`,
    before,
    limit,
  );
}

/** Deletes tasks and their deliveries by key. */
export function removeTasks(db: SubjectDb, keys: readonly number[]): void {
  if (keys.length === 0) return;
  const json = JSON.stringify(keys);
  db.run("DELETE FROM deliveries WHERE task_key IN (SELECT value FROM json_each(?))", json);
  db.run("DELETE FROM tasks WHERE key IN (SELECT value FROM json_each(?))", json);
}

/** When the oldest finished task is due for removal, if any. */
export function oldestFinished(db: SubjectDb): number | undefined {
  return (
    db.first<{ at: number | null }>(
      "SELECT MIN(updated_at) AS at FROM tasks WHERE status IN ('delivered', 'succeeded', 'cancelled')",
    )?.at ?? undefined
  );
}

function deliveriesOf(db: SubjectDb, keysJson: string): Map<number, DeliveryRow[]> {
  const byTask = new Map<number, DeliveryRow[]>();
  const list = db.all<DeliveryRow>(
    "SELECT * FROM deliveries WHERE task_key IN (SELECT value FROM json_each(?)) ORDER BY task_key, subscription",
    keysJson,
  );
  for (const row of list) {
    const own = byTask.get(row.task_key) ?? [];
    own.push(row);
    byTask.set(row.task_key, own);
  }
  return byTask;
}

function toView(task: TaskRow, deliveries: readonly DeliveryRow[]): TaskView {
  const view: TaskView = {
    id: task.id,
    topic: task.topic,
    status: task.status,
    attempts: deliveries.reduce((most, d) => Math.max(most, d.attempts), 0),
    deliveries: deliveries.map(toDeliveryView),
  };
  if (task.result !== null) view.result = JSON.parse(task.result) as JsonValue;
  return view;
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  const view: DeliveryView = { subscription: row.subscription, status: row.status, attempts: row.attempts };
  if (row.last_error !== null) view.lastError = JSON.parse(row.last_error) as WireError;
  return view;
}
