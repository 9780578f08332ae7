/** The one shape of every error response of the HTTP API, and the status each code goes with. */

import type { ErrorCode, SubmitItemErrorCode, WireError } from "./wire.ts";

/** Every error response body: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  error: WireError<ErrorCode>;
}

/** Codes that answer a whole request (per-item codes travel inside a `200`). */
export type RequestErrorCode = Exclude<ErrorCode, SubmitItemErrorCode>;

/** The HTTP status that goes with each request-level error code of contract v1. */
export const ERROR_STATUS: Readonly<Record<RequestErrorCode, number>> = Object.freeze({
  invalid_json: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  already_final: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
});

/**
 * Builds an error response body.
 *
 * @example
 * ```ts
 * return c.json(errorBody("not_found", "No task with id abc"), ERROR_STATUS.not_found);
 * ```
 */
export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
