/** The public shapes of the runtime's answers: handles, task views, filters, stats. */

import type { PayloadOf, ResultOf, TaskMap, TaskState, TaskType } from "@errand/core";
import type { EnqueueOptions } from "../lifecycle/enqueue-options.ts";
import type { EdgeTaskInfo } from "../lifecycle/outbox-record.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";

/**
 * A task as `get` and `list` show it, local or edge alike; `where` tells which, and narrows to
 * the fields of each.
 *
 * @example
 * ```ts
 * const task = await errand.get(id);
 * if (task?.where === "edge") for (const d of task.deliveries) console.log(d.subscription, d.status);
 * ```
 */
export type TaskInfo = LocalTaskInfo | EdgeTaskInfo;

/** A task of this browser's queue, as stored (without its index-only fields). */
export interface LocalTaskInfo extends Omit<TaskRecord, "rank" | "gate" | "dedupGate"> {
  readonly where: "local";
}

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

/** The handles of an `enqueueMany` of `I`, in item order, each typed by its item's task type. */
export type EnqueuedHandles<M extends TaskMap, I extends readonly EnqueueItem<M>[]> = {
  -readonly [N in keyof I]: I[N] extends { readonly type: infer K extends TaskType<M> }
    ? TaskHandle<ResultOf<M, K>>
    : never;
};

/** Which tasks `list` answers; every field narrows. */
export interface ListFilter {
  /** Local tasks only, or edge tasks only. */
  readonly where?: "local" | "edge";
  /** `running` is a local task's only, `sent` an edge task's only. */
  readonly state?: TaskState;
  readonly type?: string;
  readonly limit?: number;
}

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
export function toInfo(task: TaskRecord): LocalTaskInfo {
  const { rank: _rank, gate: _gate, dedupGate: _dedupGate, ...info } = task;
  return { ...info, where: "local" };
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
