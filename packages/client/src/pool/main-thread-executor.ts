/**
 * An {@link Executor} that runs handlers on the calling thread (the page, or the worker the
 * runtime lives in). For light work, tests, and apps without a worker module; the Web Worker
 * pool plugs into the same seam for heavy work.
 */

import {
  CancelledError,
  NonRetryableError,
  type PayloadOf,
  type ResultOf,
  serializeError,
  type TaskMap,
  type TaskType,
  TimeoutError,
} from "@errand/core";
import type {
  ExecutionHooks,
  ExecutionOutcome,
  ExecutionRequest,
  Executor,
  HandlerContext,
} from "../lifecycle/executor.ts";
import { aborted } from "../utils/abortable-wait.ts";

/** A handler per task type of `M`; a type without one fails its tasks with `no_handler`. */
export type Handlers<M extends TaskMap> = {
  readonly [K in TaskType<M>]?: (
    payload: PayloadOf<M, K>,
    ctx: HandlerContext,
  ) => ResultOf<M, K> | Promise<ResultOf<M, K>>;
};

/**
 * Runs `handlers` with at most `concurrency` attempts at a time.
 *
 * Timeouts count from the start of the attempt. On timeout or abort the handler's `ctx.signal`
 * aborts (with a `TimeoutError`, or the abort's reason) and the attempt ends at once with that
 * error; the main thread cannot stop a handler that ignores its signal, so its promise is left
 * to settle on its own and its result is dropped, and its slot frees immediately.
 *
 * @example
 * ```ts
 * const executor = createMainThreadExecutor({ hash: async ({ text }) => digest(text) }, 2);
 * ```
 */
export function createMainThreadExecutor<M extends TaskMap>(
  handlers: Handlers<M>,
  concurrency: number,
): Executor {
  let running = 0;
  let closed = false;
  const listeners = new Set<() => void>();

  // Own properties only: a task type named `toString` must not run Object.prototype.toString.
  const table = new Map(
    Object.entries(handlers as Record<string, (payload: unknown, ctx: HandlerContext) => unknown>),
  );

  const execute = async (
    request: ExecutionRequest,
    hooks: ExecutionHooks,
    signal: AbortSignal,
  ): Promise<ExecutionOutcome> => {
    const handler = table.get(request.type);
    if (closed || handler === undefined) {
      const why = closed
        ? "the executor is closed"
        : `no handler for task type ${JSON.stringify(request.type)}`;
      return {
        ok: false,
        error: serializeError(
          new NonRetryableError(`Cannot run task ${request.id}: ${why}`, { code: "no_handler" }),
        ),
      };
    }
    running += 1;
    const controller = new AbortController();
    const stop = (reason: unknown) => controller.abort(reason);
    const onAbort = () => stop(signal.reason ?? new CancelledError());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      request.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => stop(new TimeoutError(`Task ${request.id} ran past its ${request.timeoutMs} ms timeout`)),
            request.timeoutMs,
          );
    const ctx: HandlerContext = {
      id: request.id,
      attempt: request.attempt,
      signal: controller.signal,
      progress: (value) => {
        if (!controller.signal.aborted) hooks.progress(value);
      },
    };
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => handler(request.payload, ctx)),
        aborted(controller.signal),
      ]);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      running -= 1;
      for (const listener of listeners) listener();
    }
  };

  return {
    get freeSlots() {
      return closed ? 0 : Math.max(0, concurrency - running);
    },
    execute,
    onSlotFree(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
