/**
 * `@errand/core`: what an app shares between the page, its Web Workers and its edge consumers.
 * The typed task map (`defineTasks`), the error classes (recognised across copies of this
 * package by {@link isErrandError}), the retry policy and its maths, errors as data, task ids
 * and states. No DOM and no Workers APIs: it runs anywhere ES2023 does.
 *
 * Wire contract v1 (the HTTP API's bodies, limits and parsers) is `@errand/core/wire`.
 *
 * @example
 * ```ts
 * import { defineTasks, NonRetryableError, task } from "@errand/core";
 *
 * export const tasks = defineTasks({
 *   resize: task<{ width: number }, { url: string }>({ version: 1 }),
 * });
 * // In a handler: retrying cannot help, so the task goes to dead at once.
 * throw new NonRetryableError("Not an image", { code: "not_an_image" });
 * ```
 *
 * @module @errand/core
 */

export { type Backoff, backoffDelay, MAX_BACKOFF_MS } from "./backoff.ts";
export {
  defineTasks,
  type PayloadOf,
  type ResultOf,
  type TaskDef,
  type TaskMap,
  type TaskOptions,
  type TaskType,
  task,
  type Upgrade,
  upgradePayload,
} from "./define-tasks.ts";
export type { ErrorData, ErrorHandler, RebuiltError } from "./error-handler.ts";
export { registerError } from "./error-registry.ts";
export {
  CancelledError,
  ErrandError,
  type ErrandErrorOptions,
  isErrandError,
  NonRetryableError,
  StaleLeaseError,
  StorageError,
  type StorageErrorCode,
  TimeoutError,
  ValidationError,
  type ValidationIssue,
  VersionUnsupportedError,
  WorkerCrashedError,
} from "./errors.ts";
export { isTaskId, newTaskId, taskIdTime } from "./ids.ts";
export {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  type RetryDecision,
  type RetryPolicy,
  resolvePolicy,
  validatePolicy,
} from "./retry-policy.ts";
export {
  deserializeError,
  isSerializedError,
  type SerializedError,
  serializeError,
} from "./serialized-error.ts";
export {
  FINAL_STATES,
  isFinalState,
  isTaskState,
  TASK_STATES,
  type TaskState,
  type TaskTarget,
} from "./task.ts";
export { MAX_TIMER_MS, timerMsProblem } from "./timer-ms.ts";
export type { EdgeTaskStatus, JsonValue, OnDead } from "./wire.ts";
