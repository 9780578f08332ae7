/**
 * The worker half of the pool: registers typed handlers, runs one attempt per `run` call with an
 * `AbortSignal` the pool can trip, and answers every call with data, never a rejection.
 */

import {
  CancelledError,
  NonRetryableError,
  type PayloadOf,
  type ResultOf,
  type SerializedError,
  serializeError,
  type TaskMap,
  type TaskType,
  TimeoutError,
  upgradePayload,
  ValidationError,
} from "@errand/core";
import { type Endpoint, expose as exposeApi, transfer as transferReply } from "comlink";
import type { HandlerContext } from "../lifecycle/executor.ts";
import { type ProgressSink, READY, type RunReply, type StopReason, type WorkerApi } from "./protocol.ts";
import { transferablesOf } from "./transfer.ts";

/**
 * Registers this worker's handlers for the task types of `tasks` (the app's one `defineTasks`
 * map) and tells the pool it is ready. A handler gets the payload typed from the map, already
 * upgraded to the handler's version, and a {@link HandlerContext}. A worker may handle a subset of
 * the types; a task of a type with no handler here fails with `unknown_task_type` (not retryable).
 *
 * Whatever a handler throws reaches the page as a serialised error with its class and code;
 * throw core's `NonRetryableError` to skip retries. Return {@link transfer}`(result, [...])` to
 * move buffers back instead of copying them.
 *
 * @throws {ValidationError} when `tasks` or `handlers` is not an object, a handler is not a
 *   function, or a handler names a type that `tasks` does not define.
 * @example
 * ```ts
 * // tasks.worker.ts
 * import { expose } from "@errand/client/worker";
 * import { tasks } from "./tasks.ts";
 *
 * expose(tasks, {
 *   async hash(payload, ctx) {
 *     ctx.progress(0.5);
 *     const digest = await crypto.subtle.digest("SHA-256", payload.bytes);
 *     ctx.signal.throwIfAborted();
 *     return new Uint8Array(digest);
 *   },
 * });
 * ```
 */
export function expose<M extends TaskMap>(
  tasks: M,
  handlers: NoInfer<Handlers<M>>,
  options: ExposeOptions = {},
): void {
  const table = checkHandlers(tasks, handlers);
  const endpoint = options.endpoint ?? (globalThis as unknown as Endpoint);
  const live = new Map<number, AbortController>();
  let sink: ProgressSink | undefined;

  const api: WorkerApi = {
    async init(lockName, progress) {
      sink = progress;
      return lockName === null ? false : holdLockForLife(lockName);
    },
    async run(request) {
      const handler = table.get(request.type);
      const def = tasks[request.type];
      if (handler === undefined || def === undefined) {
        return failure(
          new NonRetryableError(`This worker has no handler for task type ${JSON.stringify(request.type)}`, {
            code: "unknown_task_type",
          }),
        );
      }
      const controller = new AbortController();
      live.set(request.call, controller);
      // Progress travels on its own port; the reply waits for the last report's answer so the
      // page never sees progress after the outcome.
      let delivered: Promise<unknown> = Promise.resolve();
      const ctx: HandlerContext = {
        id: request.id,
        attempt: request.attempt,
        signal: controller.signal,
        progress(value) {
          if (typeof value !== "number" || !Number.isFinite(value)) {
            throw new ValidationError(`progress must be a finite number, got ${String(value)}`, [
              { path: "progress", message: "must be a finite number" },
            ]);
          }
          if (sink !== undefined)
            delivered = Promise.resolve(sink(request.call, value)).catch(() => undefined);
        },
      };
      try {
        const result = await handler(upgradePayload(def, request.payload, request.version), ctx);
        await delivered;
        return success(result);
      } catch (error) {
        await delivered;
        return failure(error);
      } finally {
        live.delete(request.call);
      }
    },
    stop(call, reason) {
      live.get(call)?.abort(stopError(reason));
    },
  };
  exposeApi(api, endpoint);
  endpoint.postMessage({ type: READY });
}

/** Options of {@link expose}. */
export interface ExposeOptions {
  /** Where to listen for the pool; the worker's global scope when absent. */
  readonly endpoint?: Endpoint;
}

// ---------------------------------------------------------------------------------------------
// Types

/** The handler of task type `K` of map `M`. */
export type Handler<M extends TaskMap, K extends TaskType<M>> = (
  payload: PayloadOf<M, K>,
  ctx: HandlerContext,
) => ResultOf<M, K> | Promise<ResultOf<M, K>>;

/** Handlers for some or all task types of map `M`, keyed by type. */
export type Handlers<M extends TaskMap> = { readonly [K in TaskType<M>]?: Handler<M, K> };

type AnyHandler = (payload: unknown, ctx: HandlerContext) => unknown;

// ---------------------------------------------------------------------------------------------
// Helpers

function checkHandlers(tasks: TaskMap, handlers: object): Map<string, AnyHandler> {
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(tasks) || !isObject(handlers)) {
    throw new ValidationError("expose expects the task map and an object of handlers", [
      { path: "", message: "expose(tasks, handlers) takes two objects" },
    ]);
  }
  const issues = [];
  const table = new Map<string, AnyHandler>();
  for (const [type, handler] of Object.entries(handlers)) {
    if (!Object.hasOwn(tasks, type)) issues.push({ path: type, message: "is not a task type of the map" });
    else if (typeof handler !== "function") issues.push({ path: type, message: "must be a function" });
    else table.set(type, handler as AnyHandler);
  }
  if (issues.length > 0) {
    const list = issues.map((i) => `${i.path} ${i.message}`).join("; ");
    throw new ValidationError(`Invalid handlers: ${list}`, issues);
  }
  return table;
}

/**
 * Holds a Web Lock until this context dies: the lock manager releases it whatever the death
 * (`self.close()`, an uncaught error at load, out of memory, `terminate()`), and the pool, waiting
 * on the same name, learns of it, which comlink alone never does.
 */
async function holdLockForLife(name: string): Promise<boolean> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks === undefined) return false;
  await new Promise<void>((held) => {
    void locks.request(name, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
  return true;
}

function success(result: unknown): RunReply {
  const reply = { ok: true as const, result };
  const transferables = transferablesOf(result);
  return transferables === undefined ? reply : transferReply(reply, [...transferables]);
}

function failure(error: unknown): RunReply {
  const serialized: SerializedError = serializeError(error);
  return { ok: false, error: serialized };
}

function stopError(reason: StopReason): Error {
  return reason === "timeout"
    ? new TimeoutError("The attempt ran past its timeout")
    : new CancelledError("The task was cancelled");
}
