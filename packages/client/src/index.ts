/**
 * `@errand/client`: Errand's browser runtime. A durable task queue in IndexedDB with leases,
 * retries, ordering keys and a dead-letter set, run by a pluggable executor (the main thread's,
 * or the Web Worker pool).
 *
 * @example
 * ```ts
 * import { createErrand } from "@errand/client";
 * const errand = await createErrand({ tasks, handlers: { hash: async ({ text }) => digest(text) } });
 * const handle = await errand.enqueue("hash", { text: "hi" });
 * ```
 *
 * @module
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
export type { EnqueueOptions } from "./queue/enqueue-options.ts";
export {
  type EnqueueItem,
  Errand,
  type ErrandStats,
  type TaskHandle,
  type TaskInfo,
} from "./queue/runtime.ts";
export { DEFAULT_RETENTION, type ErrandOptions } from "./queue/runtime-options.ts";
export type { ListFilter, RetentionMs } from "./queue/store.ts";
export type {
  ErrandEventType,
  EventDetailOf,
  StorageEventDetail,
  StorageEventType,
  TaskEventDetail,
  TaskEventType,
} from "./queue/task-events.ts";
export type { Lease, OnDead, QueueState } from "./queue/task-record.ts";
