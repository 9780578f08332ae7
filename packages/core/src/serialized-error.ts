/**
 * Errors cross boundaries (worker → pool, store → page, edge → client) as plain data and are
 * rebuilt on the other side, keeping their class, code and stack.
 */

import {
  CancelledError,
  ErrandError,
  isErrandError,
  NonRetryableError,
  StaleLeaseError,
  StorageError,
  type StorageErrorCode,
  TimeoutError,
  ValidationError,
  type ValidationIssue,
  VersionUnsupportedError,
  WorkerCrashedError,
} from "./errors.ts";

/** An error as plain, structured-cloneable and JSON-safe data. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code: string;
  readonly stack?: string;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;
}

/** The code given to anything thrown that is not an {@link ErrandError} and names no code. */
const UNEXPECTED = "unexpected_error";

/**
 * Turns anything thrown into a {@link SerializedError}. Errand errors (of this copy of
 * `@errand/core` or another: see {@link isErrandError}) keep their code and retryability (a {@link ValidationError}'s issues travel in `details.issues`); other `Error`s keep
 * their name, and a string `code` property if they have one, and are retryable; non-`Error` throws
 * (`throw "boom"`) become `unexpected_error` with the thrown value's text as message.
 *
 * @example
 * ```ts
 * try { await handler(payload) } catch (e) { port.postMessage({ error: serializeError(e) }) }
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (isErrandError(e)) {
    const issues = (e as Partial<ValidationError>).issues;
    const details = Array.isArray(issues) ? { ...e.details, issues } : e.details;
    return withOptional(
      { name: e.name, message: e.message, code: e.code, retryable: e.retryable },
      e.stack,
      details,
    );
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return withOptional(
      {
        name: e.name,
        message: e.message,
        code: typeof code === "string" && code ? code : UNEXPECTED,
        retryable: true,
      },
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
 * Rebuilds an error from {@link serializeError}'s output as the matching Errand class, so
 * `instanceof` works after the crossing. Any other name (`TypeError`, a user's own class) comes
 * back as an {@link ErrandError} that keeps that name. Code, retryability, details and the
 * original stack are kept.
 */
export function deserializeError(s: SerializedError): ErrandError {
  const options = s.details === undefined ? {} : { details: s.details };
  const error = rebuild(s, options);
  if (error.name !== s.name) error.name = s.name;
  if (s.stack !== undefined) error.stack = s.stack;
  return error;
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

function rebuild(s: SerializedError, options: { details?: Record<string, unknown> }): ErrandError {
  switch (s.name) {
    case "NonRetryableError":
      return new NonRetryableError(s.message, { ...options, code: s.code });
    case "TimeoutError":
      return new TimeoutError(s.message, options);
    case "WorkerCrashedError":
      return new WorkerCrashedError(s.message, options);
    case "ValidationError": {
      const { issues, ...rest } = s.details ?? {};
      const details = Object.keys(rest).length > 0 ? { details: rest } : {};
      return new ValidationError(s.message, toIssues(issues), { ...details, code: s.code });
    }
    case "StaleLeaseError":
      return new StaleLeaseError(s.message, options);
    case "CancelledError":
      return new CancelledError(s.message, options);
    case "VersionUnsupportedError":
      return new VersionUnsupportedError(s.message, options);
    case "StorageError":
      return new StorageError(s.code as StorageErrorCode, s.message, { ...options, retryable: s.retryable });
    default:
      return new ErrandError(s.code, s.message, { ...options, retryable: s.retryable });
  }
}

function toIssues(value: unknown): ValidationIssue[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { path, message } = item as Record<string, unknown>;
    return typeof path === "string" && typeof message === "string" ? [{ path, message }] : [];
  });
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
