/** The `worker` option of `createErrand`: a script URL or full pool options, made into a pool. */

import type { WorkerPoolOptions } from "./pool-options.ts";
import { createWorkerPool, type WorkerPool } from "./worker-pool.ts";

/**
 * The pool for `createErrand({ worker, concurrency })`: `worker` makes one worker, or is the
 * pool's own options, or a built module worker script's URL; `concurrency`, when given, is the
 * number of workers unless the pool options name a `size`.
 *
 * @throws {ValidationError} when the pool options are invalid.
 */
export function poolForWorkerOption(
  worker: (() => Worker) | WorkerPoolOptions | string | URL,
  concurrency: number | undefined,
): WorkerPool {
  const options: WorkerPoolOptions =
    typeof worker === "function"
      ? { createWorker: worker }
      : typeof worker === "string" || worker instanceof URL
        ? { url: worker }
        : worker;
  return createWorkerPool(
    options.size === undefined && concurrency !== undefined ? { ...options, size: concurrency } : options,
  );
}
