/**
 * The private SQLite of one subject's object ({@link Subject}): its tasks, their deliveries and
 * its dead letters, and the typed readers that turn rows into records. Only this object reads
 * or writes these tables; tenant-wide state (topics, subscriptions, keys) stays in D1.
 */
import type { EdgeTaskStatus } from "@errand/core";
import type { DeliveryStatus, SubscriptionKind } from "@errand/core/wire";

/**
 * Statements that create the schema; each is idempotent, so the object runs them on every start.
 *
 * - `tasks.key` grows in commit order: it orders the tasks of an ordering key, and delivery
 *   messages carry it. `indexed` says whether the tenant's task index (D1) has the task yet.
 * - A delivery is one task at one subscription, created with the task (a snapshot of the
 *   subscription's kind, target and rules, so sending needs no D1 read). `sent_at` is null while
 *   it sits in the outbox; `expect_by` is when a sent delivery with no news is sent again (its
 *   queue message may be lost): set at each send, claim and failed attempt. Each send of the
 *   same delivery waits twice as long as the one before (`sends`), so a queue with a backlog
 *   longer than the window gets a few copies of a delivery, not one per window.
 */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tasks (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    ordering_key TEXT,
    dedup_key TEXT,
    status TEXT NOT NULL,
    result TEXT,
    accepted_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    updated_at INTEGER NOT NULL,
    indexed INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS tasks_dedup ON tasks(dedup_key) WHERE dedup_key IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS tasks_unindexed ON tasks(key) WHERE indexed = 0`,
  `CREATE INDEX IF NOT EXISTS tasks_finished ON tasks(updated_at)
    WHERE status IN ('delivered', 'succeeded', 'cancelled')`,
  `CREATE TABLE IF NOT EXISTS deliveries (
    task_key INTEGER NOT NULL,
    subscription TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    result_from INTEGER NOT NULL,
    on_dead TEXT NOT NULL,
    okey TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    reported INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    due_at INTEGER NOT NULL,
    sent_at INTEGER,
    sends INTEGER NOT NULL DEFAULT 0,
    expect_by INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (task_key, subscription)
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS deliveries_scope ON deliveries(subscription, okey, task_key) WHERE okey IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS deliveries_watch ON deliveries(expect_by) WHERE status = 'pending'`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    task_key INTEGER NOT NULL,
    subscription TEXT NOT NULL,
    error TEXT,
    created_at INTEGER NOT NULL,
    replayed_at INTEGER,
    indexed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (task_key, subscription)
  )`,
];

/** A `tasks` row. */
export interface TaskRow {
  key: number;
  id: string;
  topic: string;
  payload: string;
  payload_hash: string;
  ordering_key: string | null;
  dedup_key: string | null;
  status: EdgeTaskStatus;
  result: string | null;
  accepted_at: number;
  cancelled_at: number | null;
  updated_at: number;
}

/** A `deliveries` row. */
export interface DeliveryRow {
  task_key: number;
  subscription: string;
  kind: SubscriptionKind;
  target: string;
  result_from: number;
  on_dead: "continue" | "halt";
  okey: string | null;
  status: DeliveryStatus;
  attempts: number;
  reported: number;
  last_error: string | null;
  result: string | null;
  due_at: number;
  sent_at: number | null;
  /** How many times it was put on a queue: each send waits twice as long as the last for news. */
  sends: number;
  expect_by: number | null;
  updated_at: number;
}

/** Rows read and written, as SQLite's cursors count them: what Cloudflare bills an object for. */
export interface SqlMeter {
  rowsRead: number;
  rowsWritten: number;
}

/**
 * The object's SQLite with typed results and a meter: every statement goes through here, so the
 * one cast from SQLite's values to a row shape lives here and every row read or written is
 * counted (the benchmark's cost figures read the meter).
 */
export class SubjectDb {
  readonly meter: SqlMeter = { rowsRead: 0, rowsWritten: 0 };
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Every row of a query. */
  all<T>(query: string, ...bindings: SqlStorageValue[]): T[] {
    const cursor = this.#sql.exec(query, ...bindings);
    const result = cursor.toArray() as unknown as T[];
    this.meter.rowsRead += cursor.rowsRead;
    this.meter.rowsWritten += cursor.rowsWritten;
    return result;
  }

  /** The first row of a query, or undefined. */
  first<T>(query: string, ...bindings: SqlStorageValue[]): T | undefined {
    return this.all<T>(query, ...bindings)[0];
  }

  /** Runs a statement; returns how many rows it wrote. */
  run(query: string, ...bindings: SqlStorageValue[]): number {
    const cursor = this.#sql.exec(query, ...bindings);
    for (const _ of cursor) {
      // drain: the counts are final once every row was read
    }
    this.meter.rowsRead += cursor.rowsRead;
    this.meter.rowsWritten += cursor.rowsWritten;
    return cursor.rowsWritten;
  }
}
