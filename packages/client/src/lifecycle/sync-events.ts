/**
 * The sync's own events: `sync.state`, and the `edge.*` names an edge task's events had before
 * they became `task.*` ones, fired beside them until the next minor release. Apart from
 * edge-events.ts, whose code only the sync's chunk needs: the index re-exports this file's
 * list, and a file it re-exports loads with every page.
 */

import type { EdgeTaskStatus, JsonValue, RebuiltError } from "@errand/core";
import type { OutboxState } from "./outbox-record.ts";
import type { TaskEventDetail } from "./task-events.ts";

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
 * Events about one edge task under their old names.
 *
 * @deprecated Listen to the `task.*` events (`TASK_EVENT_TYPES`): an edge task fires them, its detail
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
 * @deprecated Use `TaskEventType`; an edge task fires `task.*` events.
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
