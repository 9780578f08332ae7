/**
 * What one `POST /v1/tasks/:id/cancel` answer means for the record whose cancel it sent. Pure,
 * like push-outcome.ts, whose rules it shares:
 *
 * - `200` → `cancel-answered` with the task the edge cancelled (the record follows its status);
 * - `409 already_final`, `404` → `cancel-answered`: the cancel ends, the task stays as it is;
 * - `429`, `408`, `5xx` and network failures → `cancel-retry` with core's backoff, never sooner
 *   than `Retry-After`;
 * - `401` → nothing changes; the caller refreshes the token once, then pauses the subject;
 * - stopped (our own `close()`) → nothing changes; the cancel goes out at the next start;
 * - any other `4xx` → `cancel-answered` as `refused`: the edge will never take this call.
 */

import { backoffDelay, type SerializedError } from "@errand/core";
import type { OutboxRecord } from "../lifecycle/outbox-record.ts";
import type { OutboxEvent } from "../lifecycle/outbox-transition.ts";
import type { PushContext } from "../lifecycle/push-outcome.ts";
import type { CancelResponse } from "../transport/edge-http.ts";

/** What to do about a cancel's answer. */
export interface CancelDecision {
  readonly event?: OutboxEvent;
  /** Send nothing more for this subject before this time (Unix ms): the server asked to wait. */
  readonly holdUntil?: number;
  /** The credential was refused (`401`). */
  readonly unauthorized?: boolean;
  /** The caller stopped: send nothing more. */
  readonly stopped?: boolean;
}

/**
 * The change an answer to the cancel of `record` makes.
 *
 * @example
 * ```ts
 * decideCancel(record, { kind: "status", status: 409, code: "already_final" }, { now, backoff })
 * // { event: { type: "cancel-answered", now, answer: { kind: "already_final" } } }
 * ```
 */
export function decideCancel(
  record: OutboxRecord,
  response: CancelResponse,
  ctx: PushContext,
): CancelDecision {
  const { now } = ctx;
  switch (response.kind) {
    case "cancelled":
      return { event: { type: "cancel-answered", now, answer: { kind: "cancelled", view: response.view } } };
    case "stopped":
      return { stopped: true };
    case "network":
      return { event: retry(record, ctx, failure("network_error", response.message, true)) };
    case "results":
      return { event: retry(record, ctx, failure("invalid_response", "Not an answer to a cancel", true)) };
    case "status":
      break;
  }
  const { status } = response;
  const code = response.code ?? `http_${status}`;
  const message = response.message ?? `The edge answered ${status} to a cancel`;
  if (status === 401) return { unauthorized: true };
  if (status === 409) return { event: { type: "cancel-answered", now, answer: { kind: "already_final" } } };
  if (status === 404) return { event: { type: "cancel-answered", now, answer: { kind: "not_found" } } };
  if (status === 429 || status === 408 || status >= 500) {
    const event = retry(record, ctx, failure(code, message, true, status), response.retryAfterMs);
    return response.retryAfterMs === undefined
      ? { event }
      : { event, holdUntil: now + response.retryAfterMs };
  }
  const error = failure(code, message, false, status);
  return { event: { type: "cancel-answered", now, answer: { kind: "refused", error } } };
}

function retry(
  record: OutboxRecord,
  ctx: PushContext,
  cause: SerializedError,
  retryAfterMs = 0,
): OutboxEvent {
  const backoff = backoffDelay(ctx.backoff, (record.cancel?.attempts ?? 0) + 1, cause, ctx.random);
  return {
    type: "cancel-retry",
    now: ctx.now,
    runAt: ctx.now + Math.max(backoff, retryAfterMs),
    error: cause,
  };
}

function failure(code: string, message: string, retryable: boolean, status?: number): SerializedError {
  return {
    name: "ErrandError",
    code,
    message,
    retryable,
    ...(status === undefined ? {} : { details: { status } }),
  };
}
