/**
 * What one `POST /v1/tasks` answer means for the records it carried. Pure: the push loop turns
 * the HTTP exchange into a {@link PushResponse}, and writes the changes this returns.
 *
 * - `accepted` / `duplicate` → `sent` (a duplicate is our own earlier push whose answer was lost);
 * - `duplicate` naming another task in `duplicateOf` (its dedup key was accepted, from elsewhere,
 *   under that id) → dead with `duplicate`: the edge stored nothing under this id, so no status
 *   would ever end it;
 * - `rejected` → dead, with the server's item error code (`rejected` when it gave none);
 * - `429`, `408`, `5xx` and network failures → each record retries with core's backoff, never
 *   sooner than `Retry-After`; pushing never gives up on a transient failure (Workbox counted a
 *   5xx as delivered and lost the request: workbox#2599);
 * - `401` → nothing changes; the caller refreshes the token once, then pauses the subject;
 * - stopped (our own `close()` ended the request before its answer was in) → nothing changes:
 *   closing is no failure of the edge, so the records go out again as they were, at once, on
 *   the next start;
 * - any other `4xx` for the whole request: when it carried several records, the request is split
 *   so the one that caused it cannot hold back the others; a single record goes dead with the code.
 */

import { type Backoff, backoffDelay, type SerializedError } from "@errand/core";
import type { SubmitItemResult } from "@errand/core/wire";
import type { OutboxRecord } from "./outbox-record.ts";
import type { OutboxEvent } from "./outbox-transition.ts";

/** A push's answer, as the push loop saw it. */
export type PushResponse =
  | { readonly kind: "results"; readonly results: readonly SubmitItemResult[] }
  | {
      readonly kind: "status";
      readonly status: number;
      readonly code?: string;
      readonly message?: string;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: "network"; readonly message: string }
  /** Our own stop (`close()`) ended the request before its answer was in. */
  | { readonly kind: "stopped" };

/** What to do about a push's answer. */
export interface PushDecision {
  readonly changes: { readonly id: string; readonly event: OutboxEvent }[];
  /** Send nothing more for this subject before this time (Unix ms): the server asked to wait. */
  readonly holdUntil?: number;
  /** The credential was refused (`401`). */
  readonly unauthorized?: boolean;
  /** Send these records again in smaller requests. */
  readonly split?: boolean;
  /** The caller stopped: send nothing more. */
  readonly stopped?: boolean;
}

/** Context of {@link decidePush}. */
export interface PushContext {
  readonly now: number;
  readonly backoff: Backoff;
  readonly random?: () => number;
}

/**
 * The changes a push's answer makes to the records of `batch`.
 *
 * @example
 * ```ts
 * const decision = decidePush(batch, { kind: "status", status: 503, retryAfterMs: 2000 }, { now, backoff });
 * ```
 */
export function decidePush(
  batch: readonly OutboxRecord[],
  response: PushResponse,
  ctx: PushContext,
): PushDecision {
  switch (response.kind) {
    case "results":
      return { changes: batch.map((record, i) => itemChange(record, response.results[i], ctx)) };
    case "network":
      return { changes: batch.map((r) => retry(r, ctx, error("network_error", response.message, true))) };
    case "status":
      return fromStatus(batch, response, ctx);
    case "stopped":
      return { changes: [], stopped: true };
  }
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date); undefined when absent or bad. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === "") return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function fromStatus(
  batch: readonly OutboxRecord[],
  response: Extract<PushResponse, { kind: "status" }>,
  ctx: PushContext,
): PushDecision {
  const { status } = response;
  const code = response.code ?? `http_${status}`;
  const message = response.message ?? `The edge answered ${status}`;
  if (status === 401) return { changes: [], unauthorized: true };
  if (status === 429 || status === 408 || status >= 500) {
    const cause = error(code, message, true, { status });
    const changes = batch.map((r) => retry(r, ctx, cause, response.retryAfterMs));
    return response.retryAfterMs === undefined
      ? { changes }
      : { changes, holdUntil: ctx.now + response.retryAfterMs };
  }
  if (batch.length > 1) return { changes: [], split: true };
  return {
    changes: batch.map((r) => ({
      id: r.id,
      event: { type: "reject", now: ctx.now, error: error(code, message, false, { status }) },
    })),
  };
}

function itemChange(
  record: OutboxRecord,
  answer: unknown,
  ctx: PushContext,
): { id: string; event: OutboxEvent } {
  const result = readItemResult(answer);
  if (result === undefined) {
    // The contract promises one result per item; a short or garbled answer is the server's
    // fault, so retry.
    return retry(record, ctx, error("missing_result", "The edge answered without this task's result", true));
  }
  if (result.status === "duplicate" && result.duplicateOf !== undefined && result.duplicateOf !== record.id) {
    const message = `Task ${record.id} was not stored: its dedup key is held by task ${result.duplicateOf}`;
    const details = { duplicateOf: result.duplicateOf };
    return {
      id: record.id,
      event: { type: "reject", now: ctx.now, error: error("duplicate", message, false, details) },
    };
  }
  if (result.status !== "rejected") return { id: record.id, event: { type: "sent", now: ctx.now } };
  return {
    id: record.id,
    event: { type: "reject", now: ctx.now, error: error(result.code, result.message, false) },
  };
}

/** What one item's result says, once read. */
type ItemOutcome =
  | { readonly status: "accepted" }
  | { readonly status: "duplicate"; readonly duplicateOf?: string }
  | { readonly status: "rejected"; readonly code: string; readonly message: string };

/**
 * One item's result as the contract shapes it, or undefined when it is not one. A rejection
 * without a usable error still ends the task (as `rejected`): one malformed item must not
 * throw and stall the whole outbox.
 */
function readItemResult(answer: unknown): ItemOutcome | undefined {
  if (typeof answer !== "object" || answer === null) return undefined;
  const { status, duplicateOf, error: itemError } = answer as Record<string, unknown>;
  if (status === "accepted") return { status };
  if (status === "duplicate") return typeof duplicateOf === "string" ? { status, duplicateOf } : { status };
  if (status !== "rejected") return undefined;
  const { code, message } = (typeof itemError === "object" && itemError !== null ? itemError : {}) as {
    code?: unknown;
    message?: unknown;
  };
  return {
    status,
    code: typeof code === "string" && code !== "" ? code : "rejected",
    message: typeof message === "string" ? message : "The edge rejected this task without saying why",
  };
}

function retry(
  record: OutboxRecord,
  ctx: PushContext,
  cause: SerializedError,
  retryAfterMs = 0,
): { id: string; event: OutboxEvent } {
  const backoff = backoffDelay(ctx.backoff, record.attempts + 1, cause, ctx.random);
  return {
    id: record.id,
    event: { type: "retry", now: ctx.now, runAt: ctx.now + Math.max(backoff, retryAfterMs), error: cause },
  };
}

function error(
  code: string,
  message: string,
  retryable: boolean,
  details?: Record<string, unknown>,
): SerializedError {
  return { name: "ErrandError", code, message, retryable, ...(details === undefined ? {} : { details }) };
}
