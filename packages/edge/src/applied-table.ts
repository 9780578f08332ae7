/**
 * The idempotency marks a consumer keeps in its own D1 database: one row per delivery applied,
 * written in the same batch (one transaction) as the handler's writes. The primary key makes a
 * second commit of the same delivery fail whole, so its writes never apply twice.
 */

import type { D1Like, D1Statement } from "./workers-shapes.ts";

/** The table's name. */
export const APPLIED_TABLE = "errand_applied";

/** DDL for the marks table; run it in a migration, or let `defineConsumer` create it. */
export const APPLIED_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${APPLIED_TABLE} (
  consumer TEXT NOT NULL,
  delivery TEXT NOT NULL,
  task_id TEXT NOT NULL,
  result TEXT,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (consumer, delivery)
)`;

/** A delivery applied, with its task id and the handler's result (JSON or null). */
export interface AppliedMark {
  delivery: string;
  taskId: string;
  result: string | null;
}

/** One statement recording these deliveries as applied (it fails whole if any was already). */
export function markApplied(db: D1Like, consumer: string, marks: readonly AppliedMark[]): D1Statement {
  return db
    .prepare(
      `INSERT INTO ${APPLIED_TABLE} (consumer, delivery, task_id, result, applied_at)
       SELECT ?1, value ->> '$.delivery', value ->> '$.taskId', value ->> '$.result', ?2 FROM json_each(?3)`,
    )
    .bind(consumer, Date.now(), JSON.stringify(marks));
}

/** The stored mark of a delivery: undefined when not applied yet. */
export async function findApplied(
  db: D1Like,
  consumer: string,
  delivery: string,
): Promise<{ result: string | null } | undefined> {
  const row = await db
    .prepare(`SELECT result FROM ${APPLIED_TABLE} WHERE consumer = ? AND delivery = ?`)
    .bind(consumer, delivery)
    .first<{ result: string | null }>();
  return row ?? undefined;
}

/** The stored marks of these deliveries: delivery → result (JSON or null). */
export async function findAppliedMany(
  db: D1Like,
  consumer: string,
  deliveries: readonly string[],
): Promise<Map<string, string | null>> {
  if (deliveries.length === 0) return new Map();
  const rows = await db
    .prepare(
      `SELECT delivery, result FROM ${APPLIED_TABLE} WHERE consumer = ? AND delivery IN (SELECT value FROM json_each(?))`,
    )
    .bind(consumer, JSON.stringify(deliveries))
    .all<{ delivery: string; result: string | null }>();
  return new Map(rows.results.map((r) => [r.delivery, r.result]));
}

/** Whether a D1 error is the mark's primary key refusing a second commit. */
export function isDuplicateMark(error: unknown): boolean {
  return (
    error instanceof Error &&
    /UNIQUE constraint failed/i.test(error.message) &&
    error.message.includes(APPLIED_TABLE)
  );
}
