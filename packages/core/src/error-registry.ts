/**
 * The error registry: which {@link ErrorHandler} serializes a thrown value, and which rebuilds a
 * serialized error's class. Core's classes are registered through {@link registerError} like an
 * app's, by the first `deserializeError` (serialized-error.ts): serializing one needs no handler,
 * so a worker bundle, which only serializes, carries none of them.
 *
 * The handlers live in one list per realm (a page, a worker), kept in the global symbol registry
 * as the error brand is, so an app's registration reaches every copy of `@errand/core` it loads.
 * A worker is another realm: register the same handlers there too.
 */

import type { ErrorHandler } from "./error-handler.ts";

const HANDLERS = Symbol.for("@errand/core:errorHandlers");

/** This realm's handlers, oldest first. */
function handlers(): ErrorHandler[] {
  const global = globalThis as { [HANDLERS]?: ErrorHandler[] };
  if (global[HANDLERS] === undefined) {
    global[HANDLERS] = [];
  }
  return global[HANDLERS];
}

/**
 * Registers how an error class crosses boundaries: thrown in a worker, an edge consumer or
 * another tab, it arrives in `handle.result()` rejections and in events as that class. Register
 * it wherever the class is thrown and wherever it is caught: in the page and in the worker
 * module (one module of the app that both import is the simplest way). A name registered again
 * replaces the earlier handler. Returns a function that removes this handler.
 *
 * @example
 * ```ts
 * // errors.ts, imported by the page and by the worker module
 * export class QuotaReached extends Error {
 *   override name = "QuotaReached";
 * }
 * registerError<QuotaReached>({
 *   name: "QuotaReached",
 *   canHandle: (value) => value instanceof QuotaReached,
 *   serialize: (error) => ({ message: error.message, retryable: false }),
 *   deserialize: (data) => new QuotaReached(data.message),
 * });
 * ```
 */
export function registerError<E extends Error>(handler: ErrorHandler<E>): () => void {
  const list = handlers();
  const earlier = list.findIndex((one) => one.name === handler.name);
  if (earlier !== -1) list.splice(earlier, 1);
  list.push(handler as unknown as ErrorHandler);
  return () => {
    const at = list.indexOf(handler as unknown as ErrorHandler);
    if (at !== -1) list.splice(at, 1);
  };
}

/** The handler that serializes `value`: the newest whose `canHandle` accepts it. */
export function handlerFor(value: unknown): ErrorHandler | undefined {
  const list = handlers();
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const one = list[i] as ErrorHandler;
    if (one.canHandle(value)) return one;
  }
  return undefined;
}

/** The handler registered under `name`. */
export function handlerNamed(name: string): ErrorHandler | undefined {
  return handlers().find((one) => one.name === name);
}
