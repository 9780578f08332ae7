/**
 * The events an edge task's changes produce, and what they say. Pure, like the queue's
 * task-events.ts: the sync hands it each committed change and emits what it returns, here and
 * (over the BroadcastChannel) in every other tab.
 */

import type { EdgeTaskStatus, JsonValue, RebuiltError } from "@errand/core";
import type { DetailData } from "./event-error.ts";
import type { OutboxRecord, OutboxState } from "./outbox-record.ts";

/**
 * Events about one edge task. Named apart from the queue's `task.*` events because their detail
 * differs (an edge task has an edge status and no progress or lease).
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

/** One of {@link EDGE_TASK_EVENT_TYPES}. */
export type EdgeTaskEventType = (typeof EDGE_TASK_EVENT_TYPES)[number];

/** What an edge task event says. */
export interface EdgeTaskEventDetail {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly target: "edge";
  readonly state: OutboxState;
  /** Failed pushes so far. */
  readonly attempt: number;
  /** True when another tab made the change. */
  readonly remote: boolean;
  readonly edgeStatus?: EdgeTaskStatus;
  readonly result?: JsonValue;
  /** Why the push or the edge failed, as its own class (an app's registered with `registerError`). */
  readonly error?: RebuiltError;
  /** When a push that failed is tried again (Unix ms). */
  readonly runAt?: number;
}

/** Every event type the sync emits. */
export type SyncEventType = EdgeTaskEventType | "sync.state";

/** The detail type of each sync event type. */
export type SyncEventDetailOf<T extends SyncEventType> = T extends "sync.state"
  ? SyncStateDetail
  : EdgeTaskEventDetail;

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
 * The events of the change `before` → `after` (`before` undefined: the task is new).
 *
 * @example
 * ```ts
 * edgeEventsFor(pending, sent) // ["edge.sent"]
 * ```
 */
export function edgeEventsFor(before: OutboxRecord | undefined, after: OutboxRecord): EdgeTaskEventType[] {
  if (before === undefined) return ["edge.enqueued"];
  if (before.state === after.state) {
    if (after.state === "pending" && after.attempts > before.attempts) return ["edge.retrying"];
    return after.edgeStatus !== before.edgeStatus ? ["edge.status"] : [];
  }
  switch (after.state) {
    case "sent":
      return ["edge.sent"];
    case "succeeded":
      return ["edge.succeeded"];
    case "dead":
      return ["edge.dead"];
    case "cancelled":
      return ["edge.cancelled"];
    case "pending":
      return [];
  }
}

/** The detail of an event about `record`. */
export function edgeDetailOf(record: OutboxRecord, remote = false): DetailData<EdgeTaskEventDetail> {
  return {
    id: record.id,
    type: record.type,
    topic: record.topic,
    target: "edge",
    state: record.state,
    attempt: record.attempts,
    remote,
    ...(record.edgeStatus === undefined ? {} : { edgeStatus: record.edgeStatus }),
    ...(record.result === undefined ? {} : { result: record.result }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.state === "pending" && record.attempts > 0 ? { runAt: record.runAt } : {}),
  };
}
