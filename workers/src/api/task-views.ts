/**
 * Reading tasks as the API shows them (`TaskView`), and keeping each task's stored status in
 * step with its deliveries. The one place that turns rows into views.
 */
import type {
  DeliveryStatus,
  DeliveryView,
  EdgeTaskStatus,
  JsonValue,
  TaskView,
  WireError,
} from "@errand/core";
import { aggregateStatus } from "./task-status.ts";

interface TaskRow {
  key: number;
  tenant: string;
  subject: string;
  id: string;
  topic: string;
  status: EdgeTaskStatus;
  result: string | null;
  queued_at: number | null;
  routed_at: number | null;
  cancelled_at: number | null;
}

interface DeliveryRow {
  task_key: number;
  subscription: string;
  kind: "queue" | "webhook" | "live";
  result_from: number;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  result: string | null;
}

/** A task's view with whom it belongs to, for pushing to the right live sessions. */
export interface OwnedView {
  tenant: string;
  subject: string;
  view: TaskView;
}

const TASK_COLUMNS = "key, tenant, subject, id, topic, status, result, queued_at, routed_at, cancelled_at";
const DELIVERY_COLUMNS = "task_key, subscription, kind, result_from, status, attempts, last_error, result";

/**
 * Views of the tasks with these ids in a tenant. With `subject`, only that subject's tasks;
 * without, any subject's (a key with `read`), preferring the server subject's on a clash.
 */
export async function viewsByIds(
  db: D1Database,
  tenant: string,
  subject: string | undefined,
  ids: readonly string[],
): Promise<TaskView[]> {
  const rows =
    subject === undefined
      ? await db
          .prepare(
            `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))
             ORDER BY subject <> '', key`,
          )
          .bind(tenant, JSON.stringify(ids))
          .all<TaskRow>()
      : await db
          .prepare(
            `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = ? AND subject = ? AND id IN (SELECT value FROM json_each(?))`,
          )
          .bind(tenant, subject, JSON.stringify(ids))
          .all<TaskRow>();
  const byId = new Map<string, TaskRow>();
  for (const row of rows.results) if (!byId.has(row.id)) byId.set(row.id, row);
  const found = ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
  const deliveries = await deliveriesOf(
    db,
    found.map((r) => r.key),
  );
  return found.map((row) => toView(row, deliveries.get(row.key) ?? []));
}

/** The internal key of a task visible to the caller, or undefined. */
export async function findTaskKey(
  db: D1Database,
  tenant: string,
  subject: string | undefined,
  id: string,
): Promise<number | undefined> {
  const row =
    subject === undefined
      ? await db
          .prepare("SELECT key FROM tasks WHERE tenant = ? AND id = ? ORDER BY subject <> '', key LIMIT 1")
          .bind(tenant, id)
          .first<{ key: number }>()
      : await db
          .prepare("SELECT key FROM tasks WHERE tenant = ? AND subject = ? AND id = ?")
          .bind(tenant, subject, id)
          .first<{ key: number }>();
  return row?.key;
}

/**
 * Recomputes the status of these tasks from their deliveries, stores the ones that changed
 * and returns their views (for live sessions). Two round trips at most: the reads, then one
 * statement for every change.
 */
export async function refreshStatus(db: D1Database, keys: readonly number[]): Promise<OwnedView[]> {
  if (keys.length === 0) return [];
  return applyStatus(db, await db.batch<Record<string, unknown>>(statusReads(db, keys)));
}

/**
 * The reads {@link applyStatus} needs, so a caller can append them to a batch of its own writes
 * and save a round trip; pass the batch's last two results to {@link applyStatus}.
 */
export function statusReads(
  db: D1Database,
  keys: readonly number[],
): [D1PreparedStatement, D1PreparedStatement] {
  const json = JSON.stringify([...new Set(keys)]);
  return [
    db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE key IN (SELECT value FROM json_each(?))`).bind(json),
    db
      .prepare(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE task_key IN (SELECT value FROM json_each(?))`,
      )
      .bind(json),
  ];
}

/**
 * Given the results of {@link statusReads} (the last two of `results`), stores every status
 * that changed in one statement and returns the changed tasks' views.
 */
export async function applyStatus(
  db: D1Database,
  results: readonly D1Result<Record<string, unknown>>[],
  now = Date.now(),
): Promise<OwnedView[]> {
  const taskRows = (results.at(-2)?.results ?? []) as unknown as TaskRow[];
  const deliveries = groupByTask((results.at(-1)?.results ?? []) as unknown as DeliveryRow[]);
  const changed: OwnedView[] = [];
  const updates: { k: number; s: EdgeTaskStatus; r: string | null }[] = [];
  for (const row of taskRows) {
    const own = deliveries.get(row.key) ?? [];
    const status = aggregateStatus(
      { cancelled: row.cancelled_at !== null, queued: row.queued_at !== null || row.routed_at !== null },
      own.map((d) => ({
        kind: d.kind,
        status: d.status,
        resultFrom: d.result_from === 1,
        hasResult: d.result !== null,
      })),
    );
    const result = own.find((d) => d.result_from === 1 && d.status === "delivered")?.result ?? row.result;
    if (status === row.status && result === row.result) continue;
    updates.push({ k: row.key, s: status, r: result });
    changed.push({ tenant: row.tenant, subject: row.subject, view: toView({ ...row, status, result }, own) });
  }
  if (updates.length > 0) {
    await db
      .prepare(
        `UPDATE tasks SET status = j.value ->> '$.s', result = j.value ->> '$.r', updated_at = ?1
         FROM json_each(?2) AS j WHERE tasks.key = j.value ->> '$.k'`,
      )
      .bind(now, JSON.stringify(updates))
      .run();
  }
  return changed;
}

/** Views of tasks by internal key, with their owners. */
export async function ownedViews(db: D1Database, keys: readonly number[]): Promise<OwnedView[]> {
  if (keys.length === 0) return [];
  const tasks = await db
    .prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE key IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify([...new Set(keys)]))
    .all<TaskRow>();
  const deliveries = await deliveriesOf(
    db,
    tasks.results.map((t) => t.key),
  );
  return tasks.results.map((row) => ({
    tenant: row.tenant,
    subject: row.subject,
    view: toView(row, deliveries.get(row.key) ?? []),
  }));
}

async function deliveriesOf(db: D1Database, keys: readonly number[]): Promise<Map<number, DeliveryRow[]>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE task_key IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(keys))
    .all<DeliveryRow>();
  return groupByTask(rows.results);
}

function groupByTask(rows: readonly DeliveryRow[]): Map<number, DeliveryRow[]> {
  const byTask = new Map<number, DeliveryRow[]>();
  for (const row of [...rows].sort(
    (a, b) => a.task_key - b.task_key || a.subscription.localeCompare(b.subscription),
  )) {
    const list = byTask.get(row.task_key) ?? [];
    list.push(row);
    byTask.set(row.task_key, list);
  }
  return byTask;
}

function toView(row: TaskRow, deliveries: readonly DeliveryRow[]): TaskView {
  const view: TaskView = {
    id: row.id,
    topic: row.topic,
    status: row.status,
    attempts: deliveries.reduce((most, d) => Math.max(most, d.attempts), 0),
    deliveries: deliveries.map(toDeliveryView),
  };
  if (row.result !== null) view.result = JSON.parse(row.result) as JsonValue;
  return view;
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  const view: DeliveryView = { subscription: row.subscription, status: row.status, attempts: row.attempts };
  if (row.last_error !== null) view.lastError = JSON.parse(row.last_error) as WireError;
  return view;
}
