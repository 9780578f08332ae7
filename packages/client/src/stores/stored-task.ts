/**
 * A task as IndexedDB holds it: a {@link TaskRecord} without the fields whose value is known
 * anyway. `durable` is always true there and `priority` is the `due` index's `rank` negated;
 * `onDead`, `attempts`, `fence` and `updatedAt` are left out while they hold their defaults
 * ("continue", 0, 0, `createdAt`), which is every pending task's case.
 *
 * Why: an enqueue is mostly IndexedDB's structured clone of the record and the backend's write,
 * and both grow with every property. Dropping these six took the page's clone (`add`) of 10,000
 * tasks from about 170 to 95 ms. Records written before this shape still read back whole: a
 * field that is present wins over its default.
 */

import type { OnDead, TaskRecord } from "../lifecycle/task-record.ts";

/** The stored shape: the fields {@link fromStored} can restore are optional. */
export type StoredTask = Omit<TaskRecord, Restored> & {
  readonly [K in Restored]?: TaskRecord[K];
};

type Restored = "durable" | "priority" | "onDead" | "attempts" | "fence" | "updatedAt";

/** The record to write: a fresh object with only what {@link fromStored} cannot restore. */
export function toStored(task: TaskRecord): StoredTask {
  const stored: { -readonly [K in keyof StoredTask]: StoredTask[K] } = {
    id: task.id,
    type: task.type,
    payload: task.payload,
    version: task.version,
    state: task.state,
    rank: task.rank,
    runAt: task.runAt,
    createdAt: task.createdAt,
  };
  if (task.updatedAt !== task.createdAt) stored.updatedAt = task.updatedAt;
  if (task.attempts !== 0) stored.attempts = task.attempts;
  if (task.fence !== 0) stored.fence = task.fence;
  if (task.onDead !== DEFAULT_ON_DEAD) stored.onDead = task.onDead;
  for (const key of OPTIONAL) {
    if (task[key] !== undefined) (stored as Record<string, unknown>)[key] = task[key];
  }
  return stored;
}

/** The whole record back from its stored shape (or from a record stored whole, unchanged). */
export function fromStored(stored: StoredTask): TaskRecord {
  return {
    ...stored,
    priority: stored.priority ?? (-stored.rank || 0),
    durable: true,
    onDead: stored.onDead ?? DEFAULT_ON_DEAD,
    attempts: stored.attempts ?? 0,
    fence: stored.fence ?? 0,
    updatedAt: stored.updatedAt ?? stored.createdAt,
  };
}

const DEFAULT_ON_DEAD: OnDead = "continue";

/** TaskRecord's optional fields, copied when present. */
const OPTIONAL = [
  "retry",
  "timeoutMs",
  "expiresAt",
  "unstartedTakeovers",
  "orderingKey",
  "seq",
  "gate",
  "dedupKey",
  "dedupGate",
  "lease",
  "progress",
  "result",
  "error",
  "finishedAt",
] as const satisfies readonly (keyof TaskRecord)[];

// ---------------------------------------------------------------- compile-time completeness

/** Fails to compile when TaskRecord gains a field that toStored would not copy. */
type Copied = "id" | "type" | "payload" | "version" | "state" | "rank" | "runAt" | "createdAt";
type Uncovered = Exclude<keyof TaskRecord, Copied | Restored | (typeof OPTIONAL)[number]>;
const everyFieldCovered: [Uncovered] extends [never] ? true : Uncovered = true;
void everyFieldCovered;
