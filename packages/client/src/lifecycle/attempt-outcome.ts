/**
 * What an attempt hands the executor and what its end means for the store, as pure functions of
 * the task, its type's definition and its retry policy: the scheduler runs them and commits what
 * they return.
 */

import {
  decideRetry,
  NonRetryableError,
  type RetryPolicy,
  type SerializedError,
  serializeError,
  type TaskDef,
  upgradePayload,
} from "@errand/core";
import type { ExecutionOutcome, ExecutionRequest } from "./executor.ts";
import type { TaskRecord } from "./task-record.ts";
import type { TaskEvent } from "./transition.ts";

/** The event of one outcome type. */
export type OutcomeEvent<T extends TaskEvent["type"]> = Extract<TaskEvent, { type: T }>;

/**
 * The request for `task`'s attempt, or the failure that ends it before any handler sees it: no
 * definition of its type (`unknown_type`), or a payload no upgrade makes readable
 * (`version_unsupported`).
 */
export function attemptRequest(
  task: TaskRecord,
  def: TaskDef | undefined,
  policy: RetryPolicy,
  transfer: readonly Transferable[] | undefined,
): ExecutionRequest | ExecutionOutcome {
  let payload: unknown;
  try {
    if (def === undefined) {
      throw new NonRetryableError(`This runtime defines no task type ${JSON.stringify(task.type)}`, {
        code: "unknown_type",
      });
    }
    // Never hand a handler a payload it cannot read: upgrade it, or fail as version_unsupported.
    payload = upgradePayload(def, task.payload, task.version);
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
  const timeoutMs = task.timeoutMs ?? policy.timeoutMs;
  return {
    id: task.id,
    type: task.type,
    payload,
    attempt: task.attempts,
    version: def.version,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(transfer === undefined ? {} : { transfer }),
  };
}

/** What an attempt's end does to its task; a runtime closing hands the task back unfinished. */
export function outcomeEvent(
  task: TaskRecord,
  outcome: ExecutionOutcome,
  closing: boolean,
  policy: RetryPolicy,
): OutcomeEvent<"succeed" | "fail" | "release"> {
  const token = task.fence;
  if (closing) return { type: "release", token, now: Date.now() };
  if (outcome.ok) return { type: "succeed", token, now: Date.now(), result: outcome.result };
  return failEvent(task, outcome.error, policy);
}

/**
 * An outcome the store can keep in place of `event`, which it could not: a result it cannot
 * clone, or that does not fit the storage quota, fails the task for good (`result_not_storable`: running it again would make the same
 * result); an error whose details it cannot clone is recorded without them, and retried as before.
 */
export function storableOutcome(
  task: TaskRecord,
  event: OutcomeEvent<"succeed" | "fail">,
  policy: RetryPolicy,
): TaskEvent {
  if (event.type === "fail") {
    const { details: _details, ...error } = event.error;
    return { ...event, error };
  }
  const error = serializeError(
    new NonRetryableError(
      `The result of task ${task.id} cannot be stored (structured clone refused it, or it does not fit the quota)`,
      {
        code: "result_not_storable",
      },
    ),
  );
  return failEvent(task, error, policy);
}

/** A failed attempt, with what the task's retry policy decides about it. */
function failEvent(task: TaskRecord, error: SerializedError, policy: RetryPolicy): OutcomeEvent<"fail"> {
  const decision = decideRetry(policy, task.attempts, error);
  return { type: "fail", token: task.fence, now: Date.now(), error, decision };
}
