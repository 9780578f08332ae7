/**
 * Errors cross boundaries (worker → pool, store → page, tab → tab, edge → client) as plain data
 * and are rebuilt on the other side, keeping their class, code and stack. Which class is
 * rebuilt, and how, is the error registry's (error-registry.ts): core's classes and an app's
 * registered ones alike.
 */

import { CORE_ERROR_HANDLERS } from "./core-error-handlers.ts";
import type { ErrorHandler, RebuiltError, SerializedError } from "./error-handler.ts";
import { handlerFor, handlerNamed, registerError } from "./error-registry.ts";
import { ErrandError, isErrandError } from "./errors.ts";

export type { SerializedError } from "./error-handler.ts";

/** The code given to anything thrown that is not an {@link ErrandError} and names no code. */
const UNEXPECTED = "unexpected_error";

/**
 * Turns anything thrown into a {@link SerializedError}. A value a registered handler accepts
 * (core's classes and the app's, see `registerError`) is serialized by it, under its name.
 * Otherwise an Errand error (of this copy of `@errand/core` or another: see
 * {@link isErrandError}) keeps its name, code, details and retryability; another `Error` keeps
 * its name, and a string `code` property if it has one, and is retryable; a non-`Error` throw
 * (`throw "boom"`) becomes `unexpected_error` with the thrown value's text as message.
 *
 * @example
 * ```ts
 * try { await handler(payload) } catch (e) { port.postMessage({ error: serializeError(e) }) }
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  const handler = handlerFor(e);
  if (handler !== undefined) return byHandler(handler, e as Error);
  if (isErrandError(e)) {
    // A subclass of ValidationError under a name of its own still carries its issues.
    const issues = (e as { issues?: unknown }).issues;
    return withOptional(
      { name: e.name, message: e.message, code: e.code, retryable: e.retryable },
      e.stack,
      Array.isArray(issues) ? { ...e.details, issues } : e.details,
    );
  }
  if (e instanceof Error) {
    return withOptional(
      { name: e.name, message: e.message, code: ownCode(e) ?? UNEXPECTED, retryable: true },
      e.stack,
      undefined,
    );
  }
  return {
    name: "Error",
    message: describeThrown(e),
    code: UNEXPECTED,
    retryable: true,
    details: { thrownType: typeof e },
  };
}

/**
 * Rebuilds an error from {@link serializeError}'s output as the class registered under its name
 * (core's classes and the app's, see `registerError`), so `instanceof` works after the crossing.
 * A name with no handler here (`TypeError`, an app class not registered on this side) comes back
 * as an {@link ErrandError} that keeps that name. The original stack is kept, and the error
 * carries the code and retryability it crossed with, given to it when its class has none.
 *
 * @example
 * ```ts
 * port.onmessage = ({ data }) => { if (data.error) reject(deserializeError(data.error)) };
 * ```
 */
export function deserializeError(s: SerializedError): RebuiltError {
  registerCoreErrors();
  const handler = handlerNamed(s.name);
  const error: Error = handler?.deserialize(s) ?? fallback(s);
  if (error.name !== s.name) error.name = s.name;
  if (s.stack !== undefined) error.stack = s.stack;
  const own = error as Partial<Record<"code" | "retryable", unknown>>;
  if (typeof own.code !== "string") define(error, "code", s.code);
  if (typeof own.retryable !== "boolean") define(error, "retryable", s.retryable);
  return error as RebuiltError;
}

/** Whether `value` has the shape of a {@link SerializedError} (for data read from storage or a port). */
export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === "string" &&
    typeof v.message === "string" &&
    typeof v.code === "string" &&
    typeof v.retryable === "boolean" &&
    (v.stack === undefined || typeof v.stack === "string") &&
    (v.details === undefined || (typeof v.details === "object" && v.details !== null))
  );
}

let coreRegistered = false;

/**
 * Registers core's classes, once, where errors are rebuilt. Serializing needs none of them (an
 * Errand error's generic data is what their handlers write), so code that only serializes, a
 * worker's, bundles none. A name another copy of core or the app registered already is kept.
 */
function registerCoreErrors(): void {
  if (coreRegistered) return;
  coreRegistered = true;
  for (const handler of CORE_ERROR_HANDLERS) {
    if (handlerNamed(handler.name) === undefined) registerError(handler);
  }
}

function byHandler(handler: ErrorHandler, error: Error): SerializedError {
  const data = handler.serialize(error);
  const own = (error as { retryable?: unknown }).retryable;
  return withOptional(
    {
      name: handler.name,
      message: data.message,
      code: data.code ?? ownCode(error) ?? UNEXPECTED,
      retryable: data.retryable ?? (typeof own === "boolean" ? own : true),
    },
    error.stack,
    data.details,
  );
}

function fallback(s: SerializedError): ErrandError {
  return new ErrandError(s.code, s.message, {
    retryable: s.retryable,
    ...(s.details === undefined ? {} : { details: s.details }),
  });
}

function ownCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code ? code : undefined;
}

function define(error: Error, key: "code" | "retryable", value: unknown): void {
  Object.defineProperty(error, key, { value, enumerable: true, configurable: true });
}

function withOptional(
  base: Omit<SerializedError, "stack" | "details">,
  stack: string | undefined,
  details: Record<string, unknown> | undefined,
): SerializedError {
  return {
    ...base,
    ...(stack === undefined ? {} : { stack }),
    ...(details === undefined ? {} : { details }),
  };
}

function describeThrown(e: unknown): string {
  if (typeof e === "string") return e;
  if (typeof e === "object" && e !== null) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string") return message;
    try {
      return JSON.stringify(e) ?? String(e);
    } catch {
      return Object.prototype.toString.call(e);
    }
  }
  return String(e);
}
