/** Every event type a runtime emits, and the detail each one carries. */

import type {
  EdgeTaskEventDetail,
  EdgeTaskEventType,
  SyncEventType,
  SyncStateDetail,
} from "./sync-events.ts";
import type { StorageEventDetail, StorageEventType, TaskEventDetail, TaskEventType } from "./task-events.ts";

/** Every event type a runtime emits (`sync.state` with an `edge` option). */
export type ErrandEventType = TaskEventType | StorageEventType | SyncEventType;

/** The detail type of each event type. */
export type EventDetailOf<T extends ErrandEventType> = T extends TaskEventType
  ? TaskEventDetail
  : T extends "sync.state"
    ? SyncStateDetail
    : T extends EdgeTaskEventType
      ? EdgeTaskEventDetail
      : StorageEventDetail;
