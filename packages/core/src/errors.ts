/**
 * Errand's error classes. One base, {@link ErrandError}, carries a stable snake_case `code`,
 * optional `details` and whether a retry could help; each subclass exists because the runtime
 * treats it differently (skip retries, count as a timeout, refuse a commit, …).
 *
 * Every class sets `name` explicitly, because minifiers rename classes and `name` is what
 * {@link deserializeError} uses to rebuild the right class on the other side of a boundary.
 *
 * An app can end up with two copies of this package (a bundler that deduplicates nothing, or
 * two versions in `node_modules`); an error made by one copy is then not `instanceof` the other
 * copy's classes. Errand itself therefore recognises its errors by a brand kept in the global
 * symbol registry, through {@link isErrandError}, and apps should too.
 */

/**
 * The brand every {@link ErrandError} carries. `Symbol.for` keys it in the global registry, so
 * every copy of `@errand/core` in a realm shares it.
 */
const ERRAND_ERROR = Symbol.for("@errand/core:ErrandError");

/** Options shared by every Errand error. */
export interface ErrandErrorOptions {
  /** Machine-readable facts about the failure; keep them structured-cloneable and JSON-safe. */
  readonly details?: Record<string, unknown>;
  /** The error that caused this one (standard `Error.cause`). */
  readonly cause?: unknown;
}

/** One problem found while validating input: where it is and what is wrong, for a person. */
export interface ValidationIssue {
  /** Dot path to the offending value (`tasks.2.topic`); `""` for the value itself. */
  readonly path: string;
  readonly message: string;
}

/** Codes a {@link StorageError} may carry. */
export type StorageErrorCode = "quota_exceeded" | "db_closed" | "upgrade_blocked" | "storage_error";

/**
 * The base of every error Errand throws or records.
 *
 * @example
 * ```ts
 * throw new ErrandError("rate_limited", "Too many requests", { details: { retryAfter: 30 } });
 * ```
 */
export class ErrandError extends Error {
  override name = "ErrandError";
  /** Stable snake_case code; code against it, never against `message`. */
  readonly code: string;
  /** Whether running the task again could succeed. `false` sends it straight to dead. */
  readonly retryable: boolean;
  // `declare` keeps an absent `details` absent instead of an own property set to undefined.
  declare readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: ErrandErrorOptions & { retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? true;
    if (options.details !== undefined) this.details = options.details;
  }

  static {
    Object.defineProperty(ErrandError.prototype, ERRAND_ERROR, { value: true });
  }
}

/**
 * Whether `value` is an {@link ErrandError} (of any subclass), made by this copy of
 * `@errand/core` or by another one; with `code`, whether it also carries that code. Prefer it to
 * `instanceof`, which fails across copies.
 *
 * @example
 * ```ts
 * try {
 *   await handle.result();
 * } catch (error) {
 *   if (isErrandError(error, "timeout")) retryLater();
 *   else if (isErrandError(error) && !error.retryable) showFailure(error.message);
 * }
 * ```
 */
export function isErrandError(value: unknown, code?: string): value is ErrandError {
  if (typeof value !== "object" || value === null) return false;
  const error = value as Partial<Record<typeof ERRAND_ERROR, unknown>> & Partial<ErrandError>;
  return (
    error[ERRAND_ERROR] === true &&
    typeof error.code === "string" &&
    typeof error.retryable === "boolean" &&
    (code === undefined || error.code === code)
  );
}

/**
 * Thrown by a handler to say that retrying is pointless: the task goes to dead at once.
 *
 * @example
 * ```ts
 * if (!isImage(bytes)) throw new NonRetryableError("Not an image", { code: "not_an_image" });
 * ```
 */
export class NonRetryableError extends ErrandError {
  override name = "NonRetryableError";

  constructor(message: string, options: ErrandErrorOptions & { code?: string } = {}) {
    super(options.code ?? "non_retryable", message, { ...options, retryable: false });
  }
}

/** An attempt ran past its policy's `timeoutMs`; retried like any other failure. */
export class TimeoutError extends ErrandError {
  override name = "TimeoutError";

  constructor(message = "The attempt timed out", options: ErrandErrorOptions = {}) {
    super("timeout", message, { ...options, retryable: true });
  }
}

/** The Web Worker running an attempt died (crash, out of memory, terminated); retried. */
export class WorkerCrashedError extends ErrandError {
  override name = "WorkerCrashedError";

  constructor(message = "The worker running the task crashed", options: ErrandErrorOptions = {}) {
    super("worker_crashed", message, { ...options, retryable: true });
  }
}

/**
 * Input that can never be accepted as it is. Not retryable: the same input fails the same way.
 *
 * @example
 * ```ts
 * throw new ValidationError("Invalid task", [{ path: "topic", message: "is required" }]);
 * ```
 */
export class ValidationError extends ErrandError {
  override name = "ValidationError";
  readonly issues: readonly ValidationIssue[];

  constructor(
    message: string,
    issues: readonly ValidationIssue[],
    options: ErrandErrorOptions & { code?: string } = {},
  ) {
    super(options.code ?? "invalid_input", message, { ...options, retryable: false });
    this.issues = issues;
  }
}

/**
 * A completion or heartbeat carried a fencing token older than the task's current lease: another
 * owner has the task now. The commit must be dropped, not retried, so it is not retryable.
 */
export class StaleLeaseError extends ErrandError {
  override name = "StaleLeaseError";

  constructor(
    message = "The lease on this task has passed to another owner",
    options: ErrandErrorOptions = {},
  ) {
    super("stale_lease", message, { ...options, retryable: false });
  }
}

/** The task was cancelled; what was running for it stops and is not retried. */
export class CancelledError extends ErrandError {
  override name = "CancelledError";

  constructor(message = "The task was cancelled", options: ErrandErrorOptions = {}) {
    super("cancelled", message, { ...options, retryable: false });
  }
}

/** No handler can read this task's payload version; the task goes to dead, never to a handler. */
export class VersionUnsupportedError extends ErrandError {
  override name = "VersionUnsupportedError";

  constructor(message: string, options: ErrandErrorOptions = {}) {
    super("version_unsupported", message, { ...options, retryable: false });
  }
}

/**
 * IndexedDB (or another store) refused an operation. Retryable by default: quota is freed, a
 * closed database is reopened and a blocked upgrade ends when the old tab closes.
 */
export class StorageError extends ErrandError {
  override name = "StorageError";
  declare readonly code: StorageErrorCode;

  constructor(
    code: StorageErrorCode,
    message: string,
    options: ErrandErrorOptions & { retryable?: boolean } = {},
  ) {
    super(code, message, options);
  }
}
