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
