/** The public shapes of the runtime's answers: handles, task views, stats. */

import type { PayloadOf, TaskMap, TaskType } from "@errand/core";
import type { EnqueueOptions } from "../lifecycle/enqueue-options.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";

/** A task as `get` and `list` show it. */
export type TaskInfo = Omit<TaskRecord, "rank" | "gate" | "dedupGate">;

/** What `enqueue` returns: the task's id and a way to its outcome. */
export interface TaskHandle<R = unknown> {
  readonly id: string;
  /** False when a dedup key matched an unfinished task, which this handle then points to. */
  readonly created: boolean;
  /** The task's result once it succeeded; rejects with its error when dead, `CancelledError` when cancelled. */
  result(): Promise<R>;
}

/** One item of `enqueueMany`. */
export type EnqueueItem<M extends TaskMap> = {
  [K in TaskType<M>]: {
    readonly type: K;
    readonly payload: PayloadOf<M, K>;
    readonly options?: EnqueueOptions;
  };
}[TaskType<M>];

/** What `stats()` reports. */
export interface ErrandStats {
  readonly counts: Record<QueueState, number>;
  /** Age of the oldest pending task in ms; null when none is pending. */
  readonly oldestPendingAgeMs: number | null;
  readonly storage: {
    readonly usage: number | null;
    readonly quota: number | null;
    readonly persisted: boolean | null;
  };
}

/** A stored record as `get` and `list` show it: without its index-only fields. */
export function toInfo(task: TaskRecord): TaskInfo {
  const { rank: _rank, gate: _gate, dedupGate: _dedupGate, ...info } = task;
  return info;
}

/** Storage usage, quota and persistence, each null where the browser does not say. */
export async function storageEstimate(): Promise<ErrandStats["storage"]> {
  const storage = globalThis.navigator?.storage;
  const [estimate, persisted] = await Promise.all([
    storage?.estimate?.().catch(() => undefined),
    storage?.persisted?.().catch(() => null) ?? Promise.resolve(null),
  ]);
  return { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted };
}
