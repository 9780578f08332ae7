/**
 * The events a runtime emits, and which ones a state change produces. Pure: the scheduler and
 * the runtime hand it the record before and after a change, and emit what it returns, so every
 * transition has its event and no event is invented elsewhere.
 */

import type { RebuiltError, SerializedError } from "@errand/core";
import type { SyncEventDetailOf, SyncEventType } from "./edge-events.ts";
import type { DetailData } from "./event-error.ts";
import type { QueueState, TaskRecord } from "./task-record.ts";

/** Events about one task. */
export const TASK_EVENT_TYPES = [
  "task.enqueued",
  "task.started",
  "task.progress",
  "task.succeeded",
  "task.failed",
  "task.retrying",
  "task.dead",
  "task.cancelled",
  "task.replayed",
  "task.released",
  "task.lease_lost",
] as const;

/** One of {@link TASK_EVENT_TYPES}. */
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** Events about the runtime's storage. */
export type StorageEventType = "storage.versionchange" | "storage.closed" | "storage.error";

/** Every event type a runtime emits (the sync's `edge.*` and `sync.state` with an `edge` option). */
export type ErrandEventType = TaskEventType | StorageEventType | SyncEventType;

/** What a task event says. `remote` is true when another tab or worker made the change. */
export interface TaskEventDetail {
  readonly id: string;
  readonly type: string;
  readonly state: QueueState;
  readonly attempt: number;
  readonly remote: boolean;
  readonly progress?: number;
  readonly result?: unknown;
  /** The attempt's error as its own class (an app's registered with `registerError`). */
  readonly error?: RebuiltError;
  /** When a retrying task runs next (Unix ms). */
  readonly runAt?: number;
}

/** What a storage event says. */
export interface StorageEventDetail {
  readonly message: string;
  readonly error?: SerializedError;
  readonly newVersion?: number | null;
}

/** The detail type of each event type. */
export type EventDetailOf<T extends ErrandEventType> = T extends TaskEventType
  ? TaskEventDetail
  : T extends SyncEventType
    ? SyncEventDetailOf<T>
    : StorageEventDetail;

/**
 * The events that the change `before` → `after` produces (`before` undefined: the task is new).
 *
 * @example
 * ```ts
 * eventsFor(running, retrying) // ["task.failed", "task.retrying"]
 * ```
 */
export function eventsFor(before: TaskRecord | undefined, after: TaskRecord): TaskEventType[] {
  if (before === undefined) return ["task.enqueued"];
  const from = before.state;
  const to = after.state;
  if (to === "running") return before.fence === after.fence ? [] : ["task.started"];
  if (to === "succeeded") return ["task.succeeded"];
  if (to === "cancelled") return ["task.cancelled"];
  if (to === "dead")
    return from === "running" && !TAKEOVER_CODES.has(after.error?.code ?? "")
      ? ["task.failed", "task.dead"]
      : ["task.dead"];
  if (from === "dead") return ["task.replayed"];
  if (from === "running")
    return after.attempts < before.attempts ? ["task.released"] : ["task.failed", "task.retrying"];
  return [];
}

/** Why a takeover, not an attempt, sent a running task dead: nothing failed, nothing to report. */
const TAKEOVER_CODES = new Set(["lease_expired", "ttl_expired"]);

/** The detail of a task event about `task`, its error as data. */
export function detailOf(task: TaskRecord, remote = false): DetailData<TaskEventDetail> {
  return {
    id: task.id,
    type: task.type,
    state: task.state,
    attempt: task.attempts,
    remote,
    ...(task.progress === undefined ? {} : { progress: task.progress }),
    ...(task.state === "succeeded" ? { result: task.result } : {}),
    ...(task.error === undefined ? {} : { error: task.error }),
    ...(task.state === "pending" && task.attempts > 0 ? { runAt: task.runAt } : {}),
  };
}
