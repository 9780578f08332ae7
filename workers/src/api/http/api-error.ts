import { ERROR_STATUS, type ErrorCode, errorBody, type RequestErrorCode } from "@errand/core/wire";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error a route throws to answer with a contract error body. `onApiError` turns it
 * into the response, so every error leaves the API in the same shape.
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: RequestErrorCode;
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  constructor(code: RequestErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = ERROR_STATUS[code] as ContentfulStatusCode;
    this.headers = headers;
  }
}

/** Hono's `onError`: contract errors as they are, anything else as `500 internal_error`. */
export function onApiError(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(error.code, error.message), error.status);
  }
  console.error("errand-api: unhandled error", error);
  return c.json(
    errorBody("internal_error" satisfies ErrorCode, "The server failed to handle the request."),
    500,
  );
}
