/**
 * The events a runtime emits about its tasks, and which ones a local task's state change
 * produces. Pure: the scheduler and the runtime hand it the record before and after a change,
 * and emit what it returns, so every transition has its event and no event is invented
 * elsewhere. An edge task's events are the same types, from `edge-events.ts`.
 */

import type { EdgeTaskStatus, RebuiltError, SerializedError, TaskState } from "@errand/core";
import type { DetailData } from "./event-error.ts";
import type { TaskRecord } from "./task-record.ts";

/**
 * Events about one task, local or edge. `task.started`, `task.progress`, `task.failed`,
 * `task.released` and `task.lease_lost` are a local attempt's; `task.sent` (the edge took the
 * task) and `task.status` (its edge status or deliveries moved) an edge task's; the others
 * both kinds'.
 */
export const TASK_EVENT_TYPES = [
  "task.enqueued",
  "task.started",
  "task.progress",
  "task.sent",
  "task.status",
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

/** What a task event says. `remote` is true when another tab or worker made the change. */
export interface TaskEventDetail {
  readonly id: string;
  readonly type: string;
  /** Where the task runs: this browser's queue, or the edge (`target: "edge"`). */
  readonly where: "local" | "edge";
  readonly state: TaskState;
  /** A local task's attempts started so far; an edge task's failed pushes. */
  readonly attempt: number;
  readonly remote: boolean;
  readonly progress?: number;
  readonly result?: unknown;
  /** The error as its own class (an app's registered with `registerError`). */
  readonly error?: RebuiltError;
  /** When a retrying task runs (local) or is pushed (edge) next (Unix ms). */
  readonly runAt?: number;
  /** An edge task's topic. */
  readonly topic?: string;
  /** An edge task's last status from the edge. */
  readonly edgeStatus?: EdgeTaskStatus;
}

/** What a storage event says. */
export interface StorageEventDetail {
  readonly message: string;
  readonly error?: SerializedError;
  readonly newVersion?: number | null;
}

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
    where: "local",
    state: task.state,
    attempt: task.attempts,
    remote,
    ...(task.progress === undefined ? {} : { progress: task.progress }),
    ...(task.state === "succeeded" ? { result: task.result } : {}),
    ...(task.error === undefined ? {} : { error: task.error }),
    ...(task.state === "pending" && task.attempts > 0 ? { runAt: task.runAt } : {}),
  };
}
