import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

/**
 * An effect row of the example consumer (workers/src/example-consumer/effects.ts): one per
 * committed handler invocation, `seq` in commit order.
 */
export interface EffectRow {
  seq: number;
  task_id: string;
  subject: string;
  ordering_key: string | null;
  attempt: number;
}

/**
 * Effect rows the example consumer committed for these ids, in commit order, read from its local
 * D1 file under the `--persist-to` directory of the `wrangler dev` that runs it: the consumer's
 * own routes are reachable only through service bindings, not on the edge's port. Empty until
 * the consumer has created its tables.
 */
export function consumerEffects(persistTo: string, ids: readonly string[]): EffectRow[] {
  const db = consumerDb(persistTo);
  if (db === undefined) return [];
  try {
    return db
      .prepare(
        `SELECT seq, task_id, subject, ordering_key, attempt FROM effects
         WHERE task_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
      )
      .all(JSON.stringify(ids)) as unknown as EffectRow[];
  } finally {
    db.close();
  }
}

/** The D1 file that holds an `effects` table, opened read-only. */
function consumerDb(persistTo: string): DatabaseSync | undefined {
  const dir = path.join(persistTo, "v3/d1/miniflare-D1DatabaseObject");
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const file of files.filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    // workerd writes these files meanwhile: wait out its locks rather than fail on one
    // ("database is locked" failed a loaded CI run once).
    const db = new DatabaseSync(path.join(dir, file), { readOnly: true, timeout: 10_000 });
    const found = db
      .prepare("SELECT name FROM sqlite_master WHERE type = ? AND name = ?")
      .all("table", "effects");
    if (found.length > 0) return db;
    db.close();
  }
  return undefined;
}
