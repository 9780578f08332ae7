/**
 * The events an edge task's changes produce, and what they say. Pure, like task-events.ts: the
 * sync hands it each committed change and emits what it returns, here and in every other tab.
 * An edge task fires the same `task.*` events as a local one, its detail saying
 * `where: "edge"`; the `edge.*` names it fired before are kept one minor release as aliases.
 */

import type { EdgeTaskStatus, JsonValue, RebuiltError } from "@errand/core";
import type { DetailData } from "./event-error.ts";
import type { OutboxRecord, OutboxState } from "./outbox-record.ts";
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

/** What `sync.state` says about this context's sync. */
export interface SyncStateDetail {
  /** Whether the network and the edge look reachable. */
  readonly online: boolean;
  /** Whether this context is the one pushing for the origin. */
  readonly leading: boolean;
  /** Whether the status socket is open (leader only). */
  readonly connected: boolean;
  /** Why pushing stopped until `resume()` or sign-in, if it did. */
  readonly paused?: "unauthorized" | "token_refused";
}

/**
 * The `edge.*` name of an edge task's `task.*` event: `task.sent` → `edge.sent`.
 *
 * @deprecated Kept for the `edge.*` events, which go with it in the next minor release.
 */
export function edgeAlias(type: TaskEventType): EdgeTaskEventType {
  return `edge.${type.slice("task.".length)}` as EdgeTaskEventType;
}

// ---------------------------------------------------------------------------------------------
// Deprecated: the `edge.*` events, fired beside the `task.*` ones until the next minor release.

/**
 * Events about one edge task under their old names.
 *
 * @deprecated Listen to {@link TASK_EVENT_TYPES}: an edge task fires `task.*` events, its detail
 * saying `where: "edge"`. The `edge.*` names go in the next minor release.
 */
export const EDGE_TASK_EVENT_TYPES = [
  "edge.enqueued",
  "edge.sent",
  "edge.retrying",
  "edge.succeeded",
  "edge.dead",
  "edge.cancelled",
  "edge.status",
] as const;

/**
 * One of {@link EDGE_TASK_EVENT_TYPES}.
 *
 * @deprecated Use {@link TaskEventType}; an edge task fires `task.*` events.
 */
export type EdgeTaskEventType = (typeof EDGE_TASK_EVENT_TYPES)[number];

/**
 * What an `edge.*` event says: the `task.*` event's detail, with `target: "edge"`.
 *
 * @deprecated Use {@link TaskEventDetail} (`where: "edge"`).
 */
export interface EdgeTaskEventDetail extends TaskEventDetail {
  readonly target: "edge";
  readonly where: "edge";
  readonly topic: string;
  readonly state: OutboxState;
  readonly edgeStatus?: EdgeTaskStatus;
  readonly result?: JsonValue;
  /** Why the push or the edge failed, as its own class (an app's registered with `registerError`). */
  readonly error?: RebuiltError;
}

/** The sync's own event types: `sync.state`, and the deprecated `edge.*` aliases. */
export type SyncEventType = EdgeTaskEventType | "sync.state";
