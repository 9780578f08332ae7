/**
 * The Web Worker pool: runs task attempts on module workers through comlink, with per-worker
 * concurrency, pre-warm, idle shutdown, cooperative cancel before kill, timeouts counted from
 * the start of execution, and crash detection that never leaves a call hanging.
 *
 * @module
 */

export type { WorkerPoolOptions } from "./pool-options.ts";
export { createWorkerPool, type WorkerPool, type WorkerPoolStats } from "./worker-pool.ts";
