/**
 * `@errand/client`: Errand's browser runtime. A durable task queue in IndexedDB with leases,
 * retries, ordering keys and a dead-letter set, run by a pluggable executor (the main thread's,
 * or the Web Worker pool); and, with an `edge` option, an outbox that ships `target: "edge"`
 * tasks to the edge and brings their status back to every tab.
 *
 * @example
 * ```ts
 * import { createErrand } from "@errand/client";
 * const errand = await createErrand({ tasks, handlers: { hash: async ({ text }) => digest(text) } });
 * const handle = await errand.enqueue("hash", { text: "hi" });
 * ```
 *
 * @module @errand/client
 */

export type { DeliveryStatus, DeliveryView } from "@errand/core/wire";
export {
  browserOnlineSource,
  createOnlineManager,
  type OnlineManager,
  type OnlineSource,
} from "./browser/online-manager.ts";
export type { EdgeEnqueueOptions } from "./lifecycle/edge-enqueue.ts";
export type { EnqueueOptions, LocalEnqueueOptions } from "./lifecycle/enqueue-options.ts";
export type { ErrandEventType, EventDetailOf } from "./lifecycle/errand-events.ts";
export type {
  ExecutionHooks,
  ExecutionOutcome,
  ExecutionRequest,
  Executor,
  HandlerContext,
} from "./lifecycle/executor.ts";
export type { EdgeTaskInfo, OutboxCancel, OutboxRecord, OutboxState } from "./lifecycle/outbox-record.ts";
export {
  EDGE_TASK_EVENT_TYPES,
  type EdgeTaskEventDetail,
  type EdgeTaskEventType,
  type SyncEventType,
  type SyncStateDetail,
} from "./lifecycle/sync-events.ts";
export {
  type StorageEventDetail,
  type StorageEventType,
  TASK_EVENT_TYPES,
  type TaskEventDetail,
  type TaskEventType,
} from "./lifecycle/task-events.ts";
export type { Lease, OnDead, QueueState } from "./lifecycle/task-record.ts";
export {
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
} from "./pool/index.ts";
export { createMainThreadExecutor, type Handlers } from "./pool/main-thread-executor.ts";
export type { QueuedRequest } from "./requests/request-queue.ts";
export { createErrand } from "./runtime/create-errand.ts";
export { type EdgeOptions, SYNC_TAG } from "./runtime/edge-options.ts";
export type { Errand } from "./runtime/errand.ts";
export { DEFAULT_PREFETCH, DEFAULT_RETENTION, type ErrandOptions } from "./runtime/runtime-options.ts";
export type {
  EnqueuedHandles,
  EnqueueItem,
  ErrandStats,
  ListFilter,
  LocalTaskInfo,
  TaskHandle,
  TaskInfo,
} from "./runtime/runtime-types.ts";
export { DB_VERSION } from "./stores/db.ts";
export type { RetentionMs } from "./stores/store.ts";
export { readStatusEvent } from "./transport/status-event.ts";
export type { EdgeToken, TokenGrant } from "./transport/token-source.ts";
