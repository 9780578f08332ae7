/**
 * The shape of an edge-bound task as the outbox stores it: one record per task in the `outbox`
 * object store of the queue database, partitioned by the subject whose token sends it. Only
 * {@link outboxTransition} changes a stored record's state.
 */

import type { EdgeTaskStatus, JsonValue, SerializedError } from "@errand/core";
import type { DeliveryView, WireTask } from "@errand/core/wire";

/**
 * Where an edge task is:
 * - `pending`: waiting to be pushed (now, or at `runAt` after a failed push);
 * - `sent`: the edge accepted it (or answered `duplicate`); its end comes as status from the edge;
 * - `succeeded`, `dead`, `cancelled`: final.
 */
export type OutboxState = "pending" | "sent" | "succeeded" | "dead" | "cancelled";

/** One edge task, as stored. */
export interface OutboxRecord {
  /** The task id, also the idempotency key on the wire: a resend is `duplicate`, never a second task. */
  readonly id: string;
  /** The task type of the app's `defineTasks` map. */
  readonly type: string;
  readonly topic: string;
  readonly payload: JsonValue;
  /** Whose token sends it; `signOut()` removes every record of a subject. */
  readonly subject: string;
  /** Position in the outbox, from a counter bumped in the enqueue transaction: the push order. */
  readonly seq: number;
  readonly orderingKey?: string;
  readonly dedupKey?: string;
  readonly delaySeconds?: number;
  readonly state: OutboxState;
  /** Pushes tried so far that failed for a transient reason (network, 429, 5xx). */
  readonly attempts: number;
  /** Not pushed before this time (Unix ms): after a failed push, the retry's backoff. */
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The edge's last known status of the task. */
  readonly edgeStatus?: EdgeTaskStatus;
  /**
   * Each subscription's delivery, as the edge last reported them (absent until its first status,
   * and in records written before they were kept).
   */
  readonly deliveries?: readonly DeliveryView[];
  readonly result?: JsonValue;
  /** Why the last push failed (pending), or why the task is dead. */
  readonly error?: SerializedError;
  /** When the task reached a final state (Unix ms). */
  readonly finishedAt?: number;
  /** A cancel of a task the edge holds, waiting to go out as `POST /v1/tasks/:id/cancel`. */
  readonly cancel?: OutboxCancel;
}

/**
 * A cancel waiting in the outbox. It goes out before any task of its ordering key is pushed,
 * with the pushes' backoff after a transient failure, and ends when the edge answers it.
 */
export interface OutboxCancel {
  /** When it was asked for, from the counter that orders outbox records: the send order. */
  readonly seq: number;
  /** Sends tried so far that failed for a transient reason (network, 429, 5xx). */
  readonly attempts: number;
  /** Not sent before this time (Unix ms). */
  readonly runAt: number;
  /** Why the last send failed. */
  readonly error?: SerializedError;
}

/**
 * An edge task (`target: "edge"`) as `get` and `list` show it: where it is (`state`: `pending`
 * in the outbox, `sent` once the edge holds it, then final), the edge's status, and how each
 * subscription of its topic is getting on with it.
 */
export interface EdgeTaskInfo {
  readonly where: "edge";
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly payload: JsonValue;
  readonly state: OutboxState;
  /** Pushes tried so far that failed for a transient reason (network, 429, 5xx). */
  readonly attempts: number;
  /** Not pushed before this time (Unix ms). */
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  readonly orderingKey?: string;
  readonly dedupKey?: string;
  readonly delaySeconds?: number;
  /** The edge's last status of the task; absent until the edge took it. */
  readonly edgeStatus?: EdgeTaskStatus;
  /** Each subscription's delivery, as the edge last reported them; empty until its first status. */
  readonly deliveries: readonly DeliveryView[];
  readonly result?: JsonValue;
  /** Why the last push failed (pending), or why the task is dead. */
  readonly error?: SerializedError;
  /** True while a cancel waits to reach the edge (the task stays `sent` until the edge answers). */
  readonly cancelling?: true;
}

/** `record` as `get` and `list` show it. */
export function toEdgeInfo(record: OutboxRecord): EdgeTaskInfo {
  const { subject: _subject, seq: _seq, cancel, deliveries, ...info } = record;
  return {
    ...info,
    where: "edge",
    deliveries: deliveries ?? [],
    ...(cancel === undefined ? {} : { cancelling: true }),
  };
}

/** The task as it goes on the wire in `POST /v1/tasks`. */
export function toWireTask(record: OutboxRecord): WireTask {
  return {
    id: record.id,
    topic: record.topic,
    payload: record.payload,
    ...(record.orderingKey === undefined ? {} : { orderingKey: record.orderingKey }),
    ...(record.dedupKey === undefined ? {} : { dedupKey: record.dedupKey }),
    ...(record.delaySeconds === undefined ? {} : { delaySeconds: record.delaySeconds }),
  };
}

/** Whether `state` is final. */
export function isFinalOutboxState(state: OutboxState): boolean {
  return state === "succeeded" || state === "dead" || state === "cancelled";
}
