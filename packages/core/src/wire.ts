/**
 * Wire contract v1: the JSON bodies of the HTTP API between browsers (or any other client) and
 * the edge. Types only. The contract may be extended, never broken: readers must ignore fields
 * and tolerate error codes they do not know.
 */

/** Any value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One task in a `POST /v1/tasks` body. */
export interface WireTask {
  /** Client-generated idempotency key: 1 to 128 characters from `[A-Za-z0-9._:-]`. */
  id: string;
  /** Topic name: `^[a-z0-9][a-z0-9._-]{0,63}$`. */
  topic: string;
  /** At most 128 KB once JSON-encoded. */
  payload: JsonValue;
  /**
   * Tasks of one subject with the same key reach each subscription one at a time, in order (a
   * token's subject; every API key of a tenant publishes as its one server subject).
   */
  orderingKey?: string;
  /** Seconds to wait before delivery, 0 to 43 200. */
  delaySeconds?: number;
  /** A second idempotency key: a task whose dedup key was already accepted is a duplicate. */
  dedupKey?: string;
}

/** Body of `POST /v1/tasks`: 1 to 100 tasks. */
export interface SubmitTasksRequest {
  tasks: WireTask[];
}

/** What became of one submitted task. */
export type SubmitItemStatus = "accepted" | "duplicate" | "rejected";

/** Codes a single rejected item may carry. */
export type SubmitItemErrorCode =
  | "invalid_task"
  | "message_too_large"
  | "topic_forbidden"
  | "unknown_topic"
  | "id_conflict";

/** An error as it appears inside a body: a stable code and a message for a person. */
export interface WireError<C extends string = string> {
  code: C;
  message: string;
  /**
   * A delivery's last error only: the class name and details the consumer's error was
   * serialized with, so a client that registered that class rebuilds it (`registerError`).
   */
  name?: string;
  details?: Record<string, unknown>;
}

/**
 * The result for one submitted task, at the same index as the task. A rejected item echoes its
 * `id` when the item had a valid one.
 */
export type SubmitItemResult =
  | { id: string; status: "accepted" }
  /**
   * `duplicateOf`: when the dedup key, not the id, matched, the id of the task that holds it;
   * nothing is stored under `id`, so status comes from that task. Absent for an id duplicate.
   */
  | { id: string; status: "duplicate"; duplicateOf?: string }
  | { id?: string; status: "rejected"; error: WireError<SubmitItemErrorCode> };

/** `200` body of `POST /v1/tasks`: one result per submitted task, in order. */
export interface SubmitTasksResponse {
  results: SubmitItemResult[];
}

/**
 * A task's status on the edge: `accepted` (stored), `queued`, `delivered` (every `queue` and
 * `webhook` subscription has it), `succeeded` (the `resultFrom` subscription returned a result),
 * `dead` (a subscription gave up) or `cancelled`.
 */
export type EdgeTaskStatus = "accepted" | "queued" | "delivered" | "succeeded" | "dead" | "cancelled";

/**
 * One subscription's delivery of a task: `pending` (queued or waiting for a retry), `delivered`,
 * `dead` (out of attempts) or `cancelled` (tombstoned before it was delivered).
 */
export type DeliveryStatus = "pending" | "delivered" | "dead" | "cancelled";

/** How one subscription is getting on with a task. */
export interface DeliveryView {
  /** The subscription's id. */
  subscription: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: WireError;
}

/** `200` body of `GET /v1/tasks/:id` and `POST /v1/tasks/:id/cancel`. */
export interface TaskView {
  id: string;
  topic: string;
  status: EdgeTaskStatus;
  attempts: number;
  deliveries: DeliveryView[];
  /** The `resultFrom` subscription's result, once the task succeeded. */
  result?: JsonValue;
}

/** `200` body of `GET /v1/tasks?ids=…`: unknown and foreign ids are left out. */
export interface TaskListResponse {
  tasks: TaskView[];
}

/** Body of `POST /v1/tokens`. */
export interface TokenRequest {
  /** Whose tasks the token publishes, reads and hears: 1 to 256 characters. */
  subject: string;
  /** Topic names, or prefixes ending in `*` (`demo.*`), the token may publish to. */
  topics: string[];
  /** 1 to 86 400. */
  ttlSeconds: number;
}

/** `200` body of `POST /v1/tokens`. */
export interface TokenResponse {
  token: string;
  /** ISO 8601 UTC timestamp (`2025-01-31T12:00:00.000Z`). */
  expiresAt: string;
}

/** `200` body of `POST /v1/events/ticket`: a one-use ticket for opening `GET /v1/events`. */
export interface EventTicketResponse {
  ticket: string;
  /** ISO 8601 UTC timestamp. */
  expiresAt: string;
}

/** Where a subscription delivers: a declared delivery queue, a signed webhook or live sessions. */
export type SubscriptionKind = "queue" | "webhook" | "live";

/** Body of `POST /v1/topics/:name/subscriptions`. */
export interface SubscriptionRequest {
  kind: SubscriptionKind;
  /** A delivery queue's name, a webhook URL, or a label for a live subscription. */
  target: string;
  /** When true, this subscription's result is the task's result (never on a `live` one). */
  resultFrom?: boolean;
  /** What an ordering key does when its head task goes dead here; `continue` by default. */
  onDead?: OnDead;
}

/**
 * What an ordering key does at a subscription when its head task goes dead: `continue` moves on
 * to the next task; `halt` stops the key until the dead task is replayed.
 */
export type OnDead = "continue" | "halt";

/** A subscription as the API returns it. */
export interface Subscription {
  id: string;
  topic: string;
  kind: SubscriptionKind;
  target: string;
  resultFrom: boolean;
  onDead: OnDead;
  /** A webhook's signing secret: only in the response that created or rotated it. */
  secret?: string;
}

/** `200` body of `GET /v1/topics/:name/subscriptions`. */
export interface SubscriptionListResponse {
  subscriptions: Subscription[];
}

/** Whether tasks of a topic honour ordering keys. */
export type TopicOrdering = "key" | "none";

/** Body of `PUT /v1/topics/:name`. */
export interface TopicRequest {
  description?: string;
  ordering?: TopicOrdering;
}

/** A topic as the API returns it. */
export interface TopicView {
  name: string;
  description?: string;
  ordering: TopicOrdering;
}

/** `200` body of `GET /v1/topics`. */
export interface TopicListResponse {
  topics: TopicView[];
}

/** A message on the `GET /v1/events` WebSocket. */
export interface EventMessage {
  type: "task.status";
  task: TaskView;
}

/**
 * Every error code of contract v1. `internal_error` (500) is the one addition the table does
 * not list: a server's answer when it failed, not the request.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "not_found"
  | "already_final"
  | "internal_error"
  | SubmitItemErrorCode;

/** `GET /v1/stats`, per topic: how many of its tasks are in each status. */
export interface TopicStats {
  topic: string;
  accepted: number;
  queued: number;
  delivered: number;
  succeeded: number;
  dead: number;
  cancelled: number;
}

/** `GET /v1/stats`, per subscription: how many of its deliveries are where. */
export interface SubscriptionStats {
  subscription: string;
  topic: string;
  kind: string;
  /** Pending deliveries that were sent and not finished. */
  inFlight: number;
  /** Pending deliveries with at least one failed attempt. */
  failed: number;
  pending: number;
  delivered: number;
  dead: number;
  cancelled: number;
}

/** The body of `GET /v1/stats`. */
export interface StatsResponse {
  topics: TopicStats[];
  subscriptions: SubscriptionStats[];
}
