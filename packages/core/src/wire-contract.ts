/**
 * `@errand/core/wire`: wire contract v1, the HTTP API between browsers (or any other client)
 * and the edge. The bodies' types, the contract's limits, the parsers that validate request
 * bodies (what a server implementing the contract needs), error bodies, and topic names and
 * patterns. An app that uses `@errand/client` does not need this entry.
 *
 * @example
 * ```ts
 * import { errorBody, parseSubmitTasksRequest } from "@errand/core/wire";
 *
 * const parsed = parseSubmitTasksRequest(await request.json());
 * if (!parsed.ok) return Response.json(errorBody(parsed.error.code, parsed.error.message), { status: 400 });
 * ```
 *
 * @module @errand/core/wire
 */

export { ERROR_STATUS, type ErrorBody, errorBody, type RequestErrorCode } from "./error-body.ts";
export { isWireId } from "./ids.ts";
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
export { isWellFormed } from "./schema-parts.ts";
export { parseSubscriptionRequest, parseTokenRequest, parseTopicRequest } from "./schemas.ts";
export { parseIdsQuery, parseSubmitTasksRequest, type SubmitItem } from "./submit-tasks.ts";
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
