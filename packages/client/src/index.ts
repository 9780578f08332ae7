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

export type {
  ExecutionHooks,
  ExecutionOutcome,
  ExecutionRequest,
  Executor,
  HandlerContext,
} from "./executor.ts";
export { createMainThreadExecutor, type Handlers } from "./main-thread-executor.ts";
export {
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
} from "./pool/index.ts";
export { createErrand } from "./queue/create-errand.ts";
export { DB_VERSION } from "./queue/db.ts";
export type { EnqueueOptions, LocalEnqueueOptions } from "./queue/enqueue-options.ts";
export type { Errand } from "./queue/runtime.ts";
export { DEFAULT_PREFETCH, DEFAULT_RETENTION, type ErrandOptions } from "./queue/runtime-options.ts";
export type { EnqueueItem, ErrandStats, TaskHandle, TaskInfo } from "./queue/runtime-types.ts";
export type { ListFilter, RetentionMs } from "./queue/store.ts";
export {
  type ErrandEventType,
  type EventDetailOf,
  type StorageEventDetail,
  type StorageEventType,
  TASK_EVENT_TYPES,
  type TaskEventDetail,
  type TaskEventType,
} from "./queue/task-events.ts";
export type { Lease, OnDead, QueueState } from "./queue/task-record.ts";
export type { EdgeEnqueueOptions } from "./sync/edge-enqueue.ts";
export {
  EDGE_TASK_EVENT_TYPES,
  type EdgeTaskEventDetail,
  type EdgeTaskEventType,
  type SyncEventType,
  type SyncStateDetail,
} from "./sync/edge-events.ts";
export { type EdgeOptions, SYNC_TAG } from "./sync/edge-options.ts";
export {
  browserOnlineSource,
  createOnlineManager,
  type OnlineManager,
  type OnlineSource,
} from "./sync/online-manager.ts";
export type { OutboxCancel, OutboxRecord, OutboxState } from "./sync/outbox-record.ts";
export type { QueuedRequest } from "./sync/request-queue.ts";
export { readStatusEvent } from "./sync/status-event.ts";
export type { EdgeToken, TokenGrant } from "./sync/token-source.ts";
