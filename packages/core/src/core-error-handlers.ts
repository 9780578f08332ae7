/**
 * Errand's own error classes as {@link ErrorHandler}s, registered through the same interface as
 * an app's (error-registry.ts). Each recognises its class by brand and name, not `instanceof`,
 * so an error made by another copy of `@errand/core` crosses as its class too.
 */

import type { ErrorHandler, SerializedError } from "./error-handler.ts";
import {
  CancelledError,
  type ErrandError,
  type ErrandErrorOptions,
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

/** The handlers of core's classes, each keyed by its class's `name`. */
export const CORE_ERROR_HANDLERS: readonly ErrorHandler[] = [
  handler("NonRetryableError", (s, o) => new NonRetryableError(s.message, { ...o, code: s.code })),
  handler("TimeoutError", (s, o) => new TimeoutError(s.message, o)),
  handler("WorkerCrashedError", (s, o) => new WorkerCrashedError(s.message, o)),
  handler("StaleLeaseError", (s, o) => new StaleLeaseError(s.message, o)),
  handler("CancelledError", (s, o) => new CancelledError(s.message, o)),
  handler("VersionUnsupportedError", (s, o) => new VersionUnsupportedError(s.message, o)),
  handler(
    "StorageError",
    (s, o) => new StorageError(s.code as StorageErrorCode, s.message, { ...o, retryable: s.retryable }),
  ),
  {
    ...handler("ValidationError", (s) => {
      const { issues, ...rest } = s.details ?? {};
      const details = Object.keys(rest).length > 0 ? { details: rest } : {};
      return new ValidationError(s.message, toIssues(issues), { ...details, code: s.code });
    }),
    // A validation error's issues travel in `details.issues`.
    serialize: (error: ErrandError) => {
      const issues = (error as Partial<ValidationError>).issues;
      return errandData(error, Array.isArray(issues) ? { ...error.details, issues } : error.details);
    },
  },
];

/** A handler for the Errand class called `name`, rebuilt by `rebuild`. */
function handler(
  name: string,
  rebuild: (s: SerializedError, options: ErrandErrorOptions) => ErrandError,
): ErrorHandler<ErrandError> {
  return {
    name,
    canHandle: (value): value is ErrandError => isErrandError(value) && value.name === name,
    serialize: (error) => errandData(error, error.details),
    deserialize: (s) => rebuild(s, s.details === undefined ? {} : { details: s.details }),
  };
}

function errandData(error: ErrandError, details: Record<string, unknown> | undefined) {
  return {
    message: error.message,
    code: error.code,
    retryable: error.retryable,
    ...(details === undefined ? {} : { details }),
  };
}

function toIssues(value: unknown): ValidationIssue[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { path, message } = item as Record<string, unknown>;
    return typeof path === "string" && typeof message === "string" ? [{ path, message }] : [];
  });
}
