/**
 * The one place an outbox record changes state. Pure, like the queue's `transition`: the event
 * carries the clock and every decision already taken, and the store writes what this returns.
 *
 * Returns the record itself (the same object) when the event changes nothing, such as a late
 * status for a task that is already final, so callers skip the write and the event.
 */

import type { EdgeTaskStatus, JsonValue, SerializedError } from "@errand/core";
import type { DeliveryView, TaskView } from "@errand/core/wire";
import { isFinalOutboxState, type OutboxRecord, type OutboxState } from "./outbox-record.ts";

/** Everything that can happen to an outbox record. */
export type OutboxEvent =
  /** The edge answered `accepted` or `duplicate`. */
  | { readonly type: "sent"; readonly now: number }
  /** The push failed for a transient reason; try again at `runAt`. */
  | { readonly type: "retry"; readonly now: number; readonly runAt: number; readonly error: SerializedError }
  /** The edge (or the contract's limits) refused the task for good. */
  | { readonly type: "reject"; readonly now: number; readonly error: SerializedError }
  /** The edge reported the task's status (WebSocket or polling). */
  | { readonly type: "status"; readonly now: number; readonly view: TaskView }
  /**
   * Cancelled here. A task not sent yet ends `cancelled` and is never pushed; a sent one stays
   * `sent` with a cancel for the edge, numbered `seq`, until the edge answers it.
   */
  | { readonly type: "cancel"; readonly now: number; readonly seq: number }
  /** Sending the cancel failed for a transient reason; try again at `runAt`. */
  | {
      readonly type: "cancel-retry";
      readonly now: number;
      readonly runAt: number;
      readonly error: SerializedError;
    }
  /** The edge answered the cancel. */
  | { readonly type: "cancel-answered"; readonly now: number; readonly answer: CancelAnswer }
  /** The edge left the sent task out of a status read: it no longer holds it. */
  | { readonly type: "absent"; readonly now: number }
  /**
   * Replayed here: a task that died before the edge took it goes back to pending with fresh
   * attempts, in its place in the outbox. One the edge took is replayed there, not here.
   */
  | { readonly type: "replay"; readonly now: number };

/**
 * The edge's answer to `POST /v1/tasks/:id/cancel`: the task it cancelled (`200`), or why it did
 * not: the task was already final there (`409 already_final`), it holds no such task (`404`), or
 * it refused the call for good (another `4xx`).
 */
export type CancelAnswer =
  | { readonly kind: "cancelled"; readonly view: TaskView }
  | { readonly kind: "already_final" }
  | { readonly kind: "not_found" }
  | { readonly kind: "refused"; readonly error: SerializedError };

/**
 * How long a sent task must have gone without news before an edge that leaves it out of a
 * status read is believed to have forgotten it. The edge stores a task before accepting it and
 * removes it only days after it finished (`RETENTION_DAYS`), so an absence this long after the
 * last news is that removal, not a task the edge has yet to see.
 */
export const FORGOTTEN_AFTER_MS = 60 * 60 * 1000;

/**
 * The error of a task the edge finished and then forgot. The edge removes only tasks that ended
 * without dying (delivered, succeeded or cancelled; dead ones stay for replay), so its effect has
 * most likely happened, but which of these it was, and its result, cannot be known any more.
 */
export const EDGE_FORGOT = "edge_forgot";

/**
 * The record after `event`.
 *
 * @example
 * ```ts
 * const next = outboxTransition(record, { type: "sent", now: Date.now() });
 * if (next !== record) await store.put(next);
 * ```
 */
export function outboxTransition(record: OutboxRecord, event: OutboxEvent): OutboxRecord {
  if (event.type === "cancel-retry" || event.type === "cancel-answered") return cancelOutcome(record, event);
  if (event.type === "sent" && record.state === "cancelled" && record.edgeStatus === undefined) {
    // Cancelled here while its push was in flight, and the edge took it after all: the cancel
    // must reach the edge, or its consumers apply a task this tab has called cancelled.
    return {
      ...record,
      edgeStatus: "accepted",
      cancel: { seq: record.seq, attempts: 0, runAt: event.now },
      updatedAt: event.now,
    };
  }
  if (event.type === "replay") {
    if (record.state !== "dead" || record.edgeStatus !== undefined) return record;
    const { error: _error, finishedAt: _finishedAt, ...rest } = record;
    return { ...rest, state: "pending", attempts: 0, runAt: event.now, updatedAt: event.now };
  }
  if (isFinalOutboxState(record.state)) {
    // A live delivery may still land after the task ended (it never holds the status back).
    return event.type === "status" ? withDeliveries(record, event.view.deliveries, event.now) : record;
  }
  switch (event.type) {
    case "sent":
      if (record.state !== "pending") return record;
      return settle(record, "sent", event.now, {});
    case "retry":
      if (record.state !== "pending") return record;
      return {
        ...record,
        attempts: record.attempts + 1,
        runAt: event.runAt,
        error: event.error,
        updatedAt: event.now,
      };
    case "reject":
      if (record.state !== "pending") return record;
      return settle(record, "dead", event.now, { error: event.error });
    case "cancel":
      if (record.state === "pending") return settle(record, "cancelled", event.now, {});
      if (record.cancel !== undefined) return record;
      return { ...record, cancel: { seq: event.seq, attempts: 0, runAt: event.now }, updatedAt: event.now };
    case "status":
      return fromStatus(record, event.view, event.now);
    case "absent":
      if (record.state !== "sent" || event.now - record.updatedAt < FORGOTTEN_AFTER_MS) return record;
      return settle(record, "dead", event.now, {
        error: {
          name: "ErrandError",
          code: EDGE_FORGOT,
          message: `The edge no longer holds task ${record.id}: it finished there without dying (delivered, succeeded or cancelled) and was removed after the edge's retention, so its result is unknown here; do not enqueue it again, its effect has most likely happened`,
          retryable: false,
          details: { finishedAtEdge: true },
        },
      });
  }
}

/**
 * The record after the edge's answer to its cancel, or after a failed send of it. A sent task
 * follows the task the edge answered with; any other answer ends the cancel and leaves the task
 * as it is: `already_final` means the edge finished it first, and its status stream says how.
 * A task cancelled here before the edge took it stays cancelled here whatever the answer.
 */
function cancelOutcome(
  record: OutboxRecord,
  event: Extract<OutboxEvent, { type: "cancel-retry" | "cancel-answered" }>,
): OutboxRecord {
  const { cancel, ...rest } = record;
  if (cancel === undefined) return record;
  if (event.type === "cancel-retry") {
    return {
      ...record,
      cancel: { ...cancel, attempts: cancel.attempts + 1, runAt: event.runAt, error: event.error },
      updatedAt: event.now,
    };
  }
  const { answer, now } = event;
  if (answer.kind !== "cancelled") return { ...rest, updatedAt: now };
  if (isFinalOutboxState(record.state))
    return withDeliveries(
      { ...rest, edgeStatus: answer.view.status, updatedAt: now },
      answer.view.deliveries,
      now,
    );
  return fromStatus({ ...rest, updatedAt: now }, answer.view, now);
}

/**
 * The local state an edge status means. `delivered` is final: the edge's aggregation
 * (workers/src/api/objects/task-status.ts) reports it only once every `queue` and `webhook` delivery is
 * done, and a pending `resultFrom` delivery keeps the task `queued`, so a `delivered` task
 * never becomes `succeeded` later. A task whose topic names no `resultFrom` subscription thus
 * succeeds locally, without a result, when its edge status is `delivered`.
 */
export function localStateOf(status: EdgeTaskStatus): OutboxState {
  switch (status) {
    case "accepted":
    case "queued":
      return "sent";
    case "delivered":
    case "succeeded":
      return "succeeded";
    case "dead":
      return "dead";
    case "cancelled":
      return "cancelled";
  }
}

function fromStatus(reported: OutboxRecord, view: TaskView, now: number): OutboxRecord {
  const state = localStateOf(view.status);
  const record = withDeliveries(reported, view.deliveries, now);
  if (state === record.state && view.status === record.edgeStatus) return record;
  const next = { ...record, edgeStatus: view.status };
  switch (state) {
    case "sent":
      return state === record.state ? { ...next, updatedAt: now } : settle(next, "sent", now, {});
    case "succeeded":
      return settle(next, "succeeded", now, view.result === undefined ? {} : { result: view.result });
    case "dead":
      return settle(next, "dead", now, { error: edgeError(view) });
    default:
      return settle(next, state, now, {});
  }
}

/**
 * `record` with the deliveries the edge reported, or `record` itself when they are the ones it
 * has: a new array only for news, which is what `task.status` is fired for.
 */
function withDeliveries(
  record: OutboxRecord,
  deliveries: readonly DeliveryView[],
  now: number,
): OutboxRecord {
  if (JSON.stringify(record.deliveries ?? []) === JSON.stringify(deliveries)) return record;
  return { ...record, deliveries, updatedAt: now };
}

function settle(
  record: OutboxRecord,
  state: OutboxState,
  now: number,
  changes: { result?: JsonValue; error?: SerializedError },
): OutboxRecord {
  // A cancel still waiting ends with the task: the edge finished it another way.
  const { error: _error, result: _result, finishedAt: _finishedAt, cancel: _cancel, ...rest } = record;
  return {
    ...rest,
    state,
    updatedAt: now,
    ...changes,
    ...(isFinalOutboxState(state) ? { finishedAt: now } : {}),
  };
}

/**
 * The error of a task the edge gave up on: the first dead delivery's, with its code. Where the
 * edge keeps the consumer's serialized error (`name` and `details` beside the code), the error
 * keeps them too, so the registry rebuilds the consumer's class on this side.
 */
function edgeError(view: TaskView): SerializedError {
  const dead = view.deliveries.find((d) => d.status === "dead");
  const last = dead?.lastError as { name?: unknown; details?: unknown } | undefined;
  const details = typeof last?.details === "object" && last.details !== null ? last.details : {};
  return {
    name: typeof last?.name === "string" ? last.name : "ErrandError",
    code: dead?.lastError?.code ?? "edge_dead",
    message: dead?.lastError?.message ?? `The edge gave up on task ${view.id}`,
    retryable: false,
    details: { ...details, subscription: dead?.subscription ?? null, attempts: view.attempts },
  };
}
