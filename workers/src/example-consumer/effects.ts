/**
 * The example consumer's own D1 tables: `effects` (one row per committed handler invocation,
 * so tests count applications, not distinct ids), webhook receipts, receiver secrets and the
 * switches tests flip to make a task fail until they say otherwise.
 */
import { APPLIED_TABLE_SQL } from "@errand/edge";

const SCHEMA = [
  APPLIED_TABLE_SQL,
  `CREATE TABLE IF NOT EXISTS effects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, topic TEXT NOT NULL, subject TEXT NOT NULL,
    ordering_key TEXT, attempt INTEGER NOT NULL, applied_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS effects_task ON effects(task_id)",
  `CREATE TABLE IF NOT EXISTS webhook_receipts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, task_id TEXT NOT NULL, body TEXT NOT NULL,
    received_at INTEGER NOT NULL, UNIQUE (receiver, task_id))`,
  "CREATE TABLE IF NOT EXISTS receiver_secrets (receiver TEXT PRIMARY KEY, secrets TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS switches (name TEXT PRIMARY KEY)",
];

let ready: Promise<unknown> | undefined;

/** Creates the tables once per isolate. */
export function ensureSchema(db: D1Database): Promise<unknown> {
  ready ??= db.batch(SCHEMA.map((sql) => db.prepare(sql))).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

/** An effect row, as tests read them. */
export interface EffectRow {
  seq: number;
  task_id: string;
  topic: string;
  subject: string;
  ordering_key: string | null;
  attempt: number;
}

/** Effects of these task ids, in commit order. */
export async function effectsOf(db: D1Database, ids: readonly string[]): Promise<EffectRow[]> {
  await ensureSchema(db);
  const rows = await db
    .prepare(
      `SELECT seq, task_id, topic, subject, ordering_key, attempt FROM effects
       WHERE task_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    )
    .bind(JSON.stringify(ids))
    .all<EffectRow>();
  return rows.results;
}

/** Turns a named switch on or off. */
export async function setSwitch(db: D1Database, name: string, on: boolean): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare(on ? "INSERT OR IGNORE INTO switches (name) VALUES (?)" : "DELETE FROM switches WHERE name = ?")
    .bind(name)
    .run();
}

/** Whether a named switch is on. */
export async function switchIsOn(db: D1Database, name: string): Promise<boolean> {
  await ensureSchema(db);
  return (await db.prepare("SELECT 1 AS on_ FROM switches WHERE name = ?").bind(name).first()) !== null;
}
