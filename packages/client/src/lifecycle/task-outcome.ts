/**
 * What `handle.result()` makes of a stored task: still waiting, its result, or its outcome as an
 * error (the stored error of a dead task rebuilt as its Errand class; a `CancelledError` for a
 * cancelled one).
 */

import { CancelledError, deserializeError, ErrandError } from "@errand/core";
import type { Settled } from "../utils/final-waiters.ts";
import type { TaskRecord } from "./task-record.ts";

/** Settles a waiter of `task.result()` from the task as stored. */
export function taskOutcome(task: TaskRecord): Settled<unknown> {
  switch (task.state) {
    case "succeeded":
      return { done: true, value: task.result };
    case "dead":
      return {
        done: true,
        error:
          task.error === undefined
            ? new ErrandError("dead", `Task ${task.id} is dead`)
            : deserializeError(task.error),
      };
    case "cancelled":
      return { done: true, error: new CancelledError(`Task ${task.id} was cancelled`) };
    default:
      return { done: false };
  }
}

/**
 * `settle`, behind a check that the task is of `type` when a typed handle asked for one: its
 * result's type is the one the handle promises, or it rejects with `type_mismatch`.
 */
export function ofType<T extends { readonly id: string; readonly type: string }, V>(
  type: string | undefined,
  settle: (task: T) => Settled<V>,
): (task: T) => Settled<V> {
  return (task) =>
    type === undefined || task.type === type
      ? settle(task)
      : {
          done: true,
          error: new ErrandError("type_mismatch", `Task ${task.id} is a ${task.type}, not a ${type}`, {
            retryable: false,
            details: { id: task.id, type: task.type, expected: type },
          }),
        };
}
