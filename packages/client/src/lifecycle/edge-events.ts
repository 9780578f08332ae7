/**
 * The events an edge task's changes produce, and what they say. Pure, like task-events.ts: the
 * sync hands it each committed change and emits what it returns, here and in every other tab.
 * An edge task fires the same `task.*` events as a local one, its detail saying
 * `where: "edge"`; the `edge.*` names it fired before are kept one minor release as aliases
 * (sync-events.ts). Only the sync's chunk imports this file, so a page without `edge` never
 * loads it.
 */

import type { DetailData } from "./event-error.ts";
import type { OutboxRecord } from "./outbox-record.ts";
import type { EdgeTaskEventType } from "./sync-events.ts";
import type { TaskEventDetail, TaskEventType } from "./task-events.ts";

/**
 * The events of the change `before` → `after` (`before` undefined: the task is new).
 *
 * @example
 * ```ts
 * edgeEventsFor(pending, sent) // ["task.sent"]
 * ```
 */
export function edgeEventsFor(before: OutboxRecord | undefined, after: OutboxRecord): TaskEventType[] {
  if (before === undefined) return ["task.enqueued"];
  if (before.state === after.state) {
    if (after.state === "pending" && after.attempts > before.attempts) return ["task.retrying"];
    // The transition keeps the deliveries' array unless the edge reported others.
    return after.edgeStatus !== before.edgeStatus || after.deliveries !== before.deliveries
      ? ["task.status"]
      : [];
  }
  switch (after.state) {
    case "sent":
      return ["task.sent"];
    case "succeeded":
      return ["task.succeeded"];
    case "dead":
      return ["task.dead"];
    case "cancelled":
      return ["task.cancelled"];
    case "pending":
      return before.state === "dead" ? ["task.replayed"] : [];
  }
}

/** The detail of an event about `record`. */
export function edgeDetailOf(record: OutboxRecord, remote = false): DetailData<TaskEventDetail> {
  return {
    id: record.id,
    type: record.type,
    where: "edge",
    topic: record.topic,
    state: record.state,
    attempt: record.attempts,
    remote,
    ...(record.edgeStatus === undefined ? {} : { edgeStatus: record.edgeStatus }),
    ...(record.result === undefined ? {} : { result: record.result }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.state === "pending" && record.attempts > 0 ? { runAt: record.runAt } : {}),
  };
}

/**
 * The `edge.*` name of an edge task's `task.*` event: `task.sent` → `edge.sent`.
 *
 * @deprecated Kept for the `edge.*` events, which go with it in the next minor release.
 */
export function edgeAlias(type: TaskEventType): EdgeTaskEventType {
  return `edge.${type.slice("task.".length)}` as EdgeTaskEventType;
}
