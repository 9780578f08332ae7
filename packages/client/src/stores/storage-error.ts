/**
 * IndexedDB failures as Errand's {@link StorageError}s, so callers code against stable codes
 * instead of DOMException names that differ between browsers.
 */

import { type ErrandError, isErrandError, StorageError, type StorageErrorCode } from "@errand/core";

/**
 * `error` as a {@link StorageError} (returned as is when it already is an `ErrandError`, which
 * keeps validation and lease errors thrown inside a transaction intact).
 *
 * - `QuotaExceededError` → `quota_exceeded`;
 * - `InvalidStateError` and a closing connection (the app or a `versionchange` closed it) → `db_closed`;
 * - `UpgradeBlocked` (our own name for idb's `blocked` callback) → `upgrade_blocked`;
 * - anything else (`UnknownError`, `AbortError` of a transaction the browser aborted) → `storage_error`.
 */
export function toStorageError(error: unknown, doing: string): ErrandError {
  if (isErrandError(error)) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  const code: StorageErrorCode =
    name === "QuotaExceededError"
      ? "quota_exceeded"
      : name === "InvalidStateError" || /closing|closed/i.test(message)
        ? "db_closed"
        : name === "UpgradeBlocked"
          ? "upgrade_blocked"
          : "storage_error";
  return new StorageError(code, `${doing} failed: ${name || "Error"}: ${message}`, {
    cause: error,
    details: { name },
  });
}
