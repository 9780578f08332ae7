/**
 * The floor's one Durable Object: a subject's tasks and their deliveries in its SQLite, and
 * nothing else the path does not need (see index.ts for what the floor is and leaves out).
 *
 * - `ingest` stores a batch of tasks and one delivery each in one transaction (each delivery
 *   expecting news within the visibility window, so the outbox needs no second write), arms the
 *   alarm if none is armed, and sends the batch to the delivery queue.
 * - `claim` counts an attempt of each pending delivery named and answers its payload; `complete`
 *   marks deliveries delivered. Each is one transaction.
 * - The alarm is the outbox: it sends again every pending delivery past its time.
 */
import { DurableObject } from "cloudflare:workers";
import type { DeliveryRef } from "@errand/edge";
import type { FloorEnv } from "./index.ts";

/** How long a sent or claimed delivery may go without news before the alarm sends it again. */
const VISIBILITY_MS = 30_000;

/** The only subscription: the floor has one queue subscription per task. */
export const SUBSCRIPTION = "s1";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS tasks (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS deliveries (task_key INTEGER PRIMARY KEY, status INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0, expect_by INTEGER, done_at INTEGER)`,
  "CREATE INDEX IF NOT EXISTS deliveries_watch ON deliveries(expect_by) WHERE status = 0",
];

/** Which queue a batch goes to: the floor's own consumer, or Errand's consumer library. */
export type FloorQueue = "DELIVERY" | "LIBRARY";

/** A claimed delivery: its task's id and payload. */
export interface FloorClaim {
  key: number;
  id: string;
  payload: string;
  attempts: number;
}

/** The floor's store of tasks and deliveries (one instance, named "bench"). */
export class TaskStore extends DurableObject<FloorEnv> {
  readonly #sql: SqlStorage;
  #alarmAt: number | null | undefined;
  /** Deliveries completed since the last reset (what the benchmark polls). */
  #delivered = 0;
  /** Where the last batch went: the alarm sends again there. */
  #queue: FloorQueue = "DELIVERY";
  /** Rows the cursors read and wrote, and tasks stored, since the last reset (the cost's floor). */
  #usage = { tasks: 0, statements: 0, rowsRead: 0, rowsWritten: 0 };

  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.#sql.exec(statement);
  }

  /** Runs a statement, reads every row, and counts what its cursor read and wrote. */
  #run<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): T[] {
    const cursor = this.#sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.#usage.statements++;
    this.#usage.rowsRead += cursor.rowsRead;
    this.#usage.rowsWritten += cursor.rowsWritten;
    return rows;
  }

  /** Stores `n` tasks carrying `sentAt` with their deliveries, then sends them. */
  async ingest(n: number, sentAt: number, queue: FloorQueue): Promise<number> {
    const now = Date.now();
    const ids = JSON.stringify(Array.from({ length: n }, () => crypto.randomUUID()));
    const keys = this.ctx.storage.transactionSync(() => {
      const stored = this.#run<{ key: number }>(
        `INSERT INTO tasks (id, payload) SELECT value, ?1 FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO NOTHING RETURNING key`,
        JSON.stringify({ sentAt }),
        ids,
      ).map((r) => r.key);
      this.#run(
        "INSERT INTO deliveries (task_key, expect_by) SELECT value, ?1 FROM json_each(?2)",
        now + VISIBILITY_MS,
        JSON.stringify(stored),
      );
      this.#usage.tasks += stored.length;
      return stored;
    });
    this.#queue = queue;
    await this.#armAt(now + VISIBILITY_MS);
    await this.#send(keys, queue);
    return keys.length;
  }

  /** Counts an attempt of each pending delivery of these keys; answers those with their tasks. */
  claim(keys: number[]): FloorClaim[] {
    return this.ctx.storage.transactionSync(() => {
      const claimed = this.#run<{ task_key: number; attempts: number }>(
        `UPDATE deliveries SET attempts = attempts + 1, expect_by = ?1
         WHERE task_key IN (SELECT value FROM json_each(?2)) AND status = 0 RETURNING task_key, attempts`,
        Date.now() + VISIBILITY_MS,
        JSON.stringify(keys),
      );
      const attempts = new Map(claimed.map((c) => [c.task_key, c.attempts]));
      return this.#run<{ key: number; id: string; payload: string }>(
        "SELECT key, id, payload FROM tasks WHERE key IN (SELECT value FROM json_each(?))",
        JSON.stringify([...attempts.keys()]),
      ).map((t) => ({ ...t, attempts: attempts.get(t.key) ?? 1 }));
    });
  }

  /** Marks these deliveries delivered (a second completion changes nothing). */
  complete(keys: number[]): void {
    const done = this.#run(
      `UPDATE deliveries SET status = 1, expect_by = NULL, done_at = ?1
       WHERE task_key IN (SELECT value FROM json_each(?2)) AND status = 0 RETURNING task_key`,
      Date.now(),
      JSON.stringify(keys),
    ).length;
    this.#delivered += done;
  }

  /** The outbox: sends again what is past its time, and arms for the next. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const now = Date.now();
    const due = this.ctx.storage.transactionSync(() =>
      this.#run<{ task_key: number }>(
        `UPDATE deliveries SET expect_by = ?1 WHERE task_key IN
           (SELECT task_key FROM deliveries WHERE status = 0 AND expect_by <= ?2 LIMIT 500) RETURNING task_key`,
        now + VISIBILITY_MS,
        now,
      ).map((r) => r.task_key),
    );
    await this.#send(due, this.#queue);
    const [next] = this.#run<{ at: number | null }>(
      "SELECT MIN(expect_by) AS at FROM deliveries WHERE status = 0",
    );
    if (next && next.at !== null) await this.#armAt(next.at);
  }

  /** Deliveries completed since the last reset. */
  count(): number {
    return this.#delivered;
  }

  /** Tasks stored, statements run and rows read and written since the last reset. */
  usage(): { tasks: number; statements: number; rowsRead: number; rowsWritten: number } {
    return { ...this.#usage };
  }

  /** Per delivered task, ms from its `sentAt` to its completion. */
  stats(): { count: number; latencies: number[] } {
    const latencies = this.#sql
      .exec<{ ms: number }>(
        `SELECT d.done_at - (t.payload ->> '$.sentAt') AS ms FROM deliveries d JOIN tasks t ON t.key = d.task_key
         WHERE d.status = 1`,
      )
      .toArray()
      .map((r) => r.ms);
    return { count: latencies.length, latencies };
  }

  reset(): void {
    this.#sql.exec("DELETE FROM deliveries");
    this.#sql.exec("DELETE FROM tasks");
    this.#delivered = 0;
    this.#usage = { tasks: 0, statements: 0, rowsRead: 0, rowsWritten: 0 };
  }

  async #send(keys: readonly number[], queue: FloorQueue): Promise<void> {
    const object = this.ctx.id.toString();
    for (let i = 0; i < keys.length; i += 100) {
      await this.env[queue].sendBatch(
        keys.slice(i, i + 100).map((task) => ({
          body: { task, subscription: SUBSCRIPTION, object } satisfies DeliveryRef,
        })),
      );
    }
  }

  async #armAt(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
