/**
 * `@errand/core`: what the browser runtime, the edge Workers and edge consumers share, and
 * nothing else. Task and wire contract v1 types, the schemas that parse wire bodies, the retry
 * policy maths, error classes that survive crossing a boundary, ids and the typed task map.
 * No DOM and no Workers APIs: it runs anywhere ES2023 does.
 *
 * @example
 * ```ts
 * import { defineTasks, task, decideRetry, resolvePolicy, serializeError } from "@errand/core";
 *
 * export const tasks = defineTasks({ resize: task<{ width: number }, { url: string }>() });
 * const decision = decideRetry(resolvePolicy({ maxAttempts: 3 }), 1, serializeError(new Error("flaky")));
 * ```
 *
 * @module
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
export { ERROR_STATUS, type ErrorBody, errorBody, type RequestErrorCode } from "./error-body.ts";
export {
  CancelledError,
  ErrandError,
  type ErrandErrorOptions,
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
export { isTaskId, isWireId, newTaskId, taskIdTime } from "./ids.ts";
export { findJsonIssue, isJsonValue } from "./json-value.ts";
export {
  jsonByteLength,
  MAX_ADMIN_BODY_BYTES,
  MAX_BATCH_ITEMS,
  MAX_BODY_BYTES,
  MAX_DELAY_SECONDS,
  MAX_IDS_PER_QUERY,
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  MAX_TOKEN_TOPICS,
  MAX_TOKEN_TTL_SECONDS,
} from "./limits.ts";
export type { ParseResult, RequestError } from "./parse-result.ts";
export {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  type RetryDecision,
  type RetryPolicy,
  resolvePolicy,
  validatePolicy,
} from "./retry-policy.ts";
export { isWellFormed } from "./schema-parts.ts";
export { parseSubscriptionRequest, parseTokenRequest, parseTopicRequest } from "./schemas.ts";
export {
  deserializeError,
  isSerializedError,
  type SerializedError,
  serializeError,
} from "./serialized-error.ts";
export { parseIdsQuery, parseSubmitTasksRequest, type SubmitItem } from "./submit-tasks.ts";
export {
  FINAL_STATES,
  isFinalState,
  isTaskState,
  TASK_STATES,
  type TaskState,
  type TaskTarget,
} from "./task.ts";
export { MAX_TIMER_MS, timerMsProblem } from "./timer-ms.ts";
export { isTopicName, isTopicPattern, topicMatches } from "./topic.ts";
export type {
  DeliveryStatus,
  DeliveryView,
  EdgeTaskStatus,
  ErrorCode,
  EventMessage,
  EventTicketResponse,
  JsonValue,
  OnDead,
  StatsResponse,
  SubmitItemErrorCode,
  SubmitItemResult,
  SubmitItemStatus,
  SubmitTasksRequest,
  SubmitTasksResponse,
  Subscription,
  SubscriptionKind,
  SubscriptionListResponse,
  SubscriptionRequest,
  SubscriptionStats,
  TaskListResponse,
  TaskView,
  TokenRequest,
  TokenResponse,
  TopicListResponse,
  TopicOrdering,
  TopicRequest,
  TopicStats,
  TopicView,
  WireError,
  WireTask,
} from "./wire.ts";
