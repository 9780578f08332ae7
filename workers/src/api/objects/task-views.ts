/**
 * Reading tasks as the API shows them (`TaskView`), and keeping each task's stored status in
 * step with its deliveries. The one place that turns rows into views.
 */
import type { EdgeTaskStatus, JsonValue } from "@errand/core";
import type { DeliveryStatus, DeliveryView, TaskView, WireError } from "@errand/core/wire";
import { RESULT_SQL, STATUS_SQL } from "./task-status.ts";

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

/** The internal key and topic of a task of `subject` (any subject's when undefined), or undefined. */
export async function findTask(
  db: D1Database,
  tenant: string,
  subject: string | undefined,
  id: string,
): Promise<{ key: number; topic: string } | undefined> {
  const row =
    subject === undefined
      ? await db
          .prepare(
            "SELECT key, topic FROM tasks WHERE tenant = ? AND id = ? ORDER BY subject <> '', key LIMIT 1",
          )
          .bind(tenant, id)
          .first<{ key: number; topic: string }>()
      : await db
          .prepare("SELECT key, topic FROM tasks WHERE tenant = ? AND subject = ? AND id = ?")
          .bind(tenant, subject, id)
          .first<{ key: number; topic: string }>();
  return row ?? undefined;
}

/**
 * Recomputes the status of these tasks from their deliveries and stores the ones that changed;
 * returns their views (for live sessions). One round trip.
 */
export async function refreshStatus(db: D1Database, keys: readonly number[]): Promise<OwnedView[]> {
  if (keys.length === 0) return [];
  return changedViews(await db.batch<Record<string, unknown>>(statusUpdate(db, keys)));
}

/**
 * Two statements that recompute these tasks' status and result from their deliveries
 * ({@link STATUS_SQL}), store the ones that changed, and read the changed tasks' deliveries.
 * Append them to a batch of the caller's own writes: being in its transaction they see those
 * writes, and no other write can slip in between the reading and the storing. Pass the batch's
 * results to {@link changedViews}.
 */
export function statusUpdate(
  db: D1Database,
  keys: readonly number[],
  now = Date.now(),
): [D1PreparedStatement, D1PreparedStatement] {
  const json = JSON.stringify([...new Set(keys)]);
  return [
    db
      .prepare(
        `UPDATE tasks SET status = n.next_status, result = n.next_result, updated_at = ?1
         FROM (SELECT t.key AS k, ${STATUS_SQL} AS next_status, ${RESULT_SQL} AS next_result
               FROM tasks t WHERE t.key IN (SELECT value FROM json_each(?2))) AS n
         WHERE tasks.key = n.k AND (tasks.status IS NOT n.next_status OR tasks.result IS NOT n.next_result)
         RETURNING ${TASK_COLUMNS}`,
      )
      .bind(now, json),
    // The changed tasks are the ones just stamped `now` (another write in the same millisecond
    // only adds rows that changedViews ignores).
    db
      .prepare(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE task_key IN
           (SELECT key FROM tasks WHERE key IN (SELECT value FROM json_each(?2)) AND updated_at = ?1)`,
      )
      .bind(now, json),
  ];
}

/** The views of the tasks whose status changed, from a batch ending in {@link statusUpdate}. */
export function changedViews(results: readonly D1Result<Record<string, unknown>>[]): OwnedView[] {
  return owned(
    (results.at(-2)?.results ?? []) as unknown as TaskRow[],
    groupByTask((results.at(-1)?.results ?? []) as unknown as DeliveryRow[]),
  );
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
  return owned(tasks.results, deliveries);
}

function owned(rows: readonly TaskRow[], deliveries: Map<number, DeliveryRow[]>): OwnedView[] {
  return rows.map((row) => ({
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

/** Deliveries per task, each task's in subscription-id byte order (SQLite's, as RESULT_SQL's). */
function groupByTask(rows: readonly DeliveryRow[]): Map<number, DeliveryRow[]> {
  const byTask = new Map<number, DeliveryRow[]>();
  for (const row of [...rows].sort(
    (a, b) => a.task_key - b.task_key || byteOrder(a.subscription, b.subscription),
  )) {
    const list = byTask.get(row.task_key) ?? [];
    list.push(row);
    byTask.set(row.task_key, list);
  }
  return byTask;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
