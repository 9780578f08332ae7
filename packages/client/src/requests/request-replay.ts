/**
 * Replaying queued HTTP requests (`queueRequest`) with the outbox's rules: a `2xx` ends it with
 * its response; `408`, `429`, `5xx` and network failures retry with core's backoff, never
 * sooner than `Retry-After`; any other `4xx` ends it dead, with its response kept for the
 * caller. One request failing never holds back the others. A replay that the runtime's own
 * `close()` cut short is no failure: the request stays exactly as it was (no attempt counted, no
 * backoff) and goes out again at once on the next start.
 *
 * A request whose answer was lost after the server acted is sent again, so every attempt
 * carries the same `Idempotency-Key` (the record's id, unless the app set its own): the server
 * must dedupe on it for such a request to apply once.
 */

import { type Backoff, backoffDelay, type SerializedError } from "@errand/core";
import { parseRetryAfter } from "../lifecycle/push-outcome.ts";
import type { RequestRecord, StoredResponse } from "../lifecycle/request-record.ts";
import type { OutboxStore } from "../stores/outbox-store.ts";
import { isStop, type RequestLimits, withDeadline } from "../utils/deadline.ts";

/** How one replay went. */
export type ReplayOutcome =
  | { readonly kind: "response"; readonly response: StoredResponse; readonly retryAfterMs?: number }
  | { readonly kind: "network"; readonly message: string }
  /** Our own stop (`close()`) ended the attempt before its answer was in. */
  | { readonly kind: "stopped" };

/**
 * The record after one replay. Pure. Returns the record itself (the same object) when the
 * replay changes nothing (it was stopped), so callers skip the write.
 *
 * @example
 * ```ts
 * requestAfter(record, { kind: "network", message: "offline" }, { now, backoff }) // pending, later runAt
 * ```
 */
export function requestAfter(
  record: RequestRecord,
  outcome: ReplayOutcome,
  ctx: { now: number; backoff: Backoff; random?: () => number },
): RequestRecord {
  if (outcome.kind === "stopped") return record;
  const { error: _error, ...rest } = record;
  if (outcome.kind === "response") {
    const { status } = outcome.response;
    const ended = { response: outcome.response, updatedAt: ctx.now, finishedAt: ctx.now };
    if (status < 400) return { ...rest, state: "succeeded", ...ended };
    if (status !== 408 && status !== 429 && status < 500) {
      const error = failure(`http_${status}`, `The server answered ${status}`, false);
      return { ...rest, state: "dead", error, ...ended };
    }
  }
  const error =
    outcome.kind === "network"
      ? failure("network_error", outcome.message, true)
      : failure(`http_${outcome.response.status}`, `The server answered ${outcome.response.status}`, true);
  const wait = Math.max(
    backoffDelay(ctx.backoff, record.attempts + 1, error, ctx.random),
    outcome.kind === "response" ? (outcome.retryAfterMs ?? 0) : 0,
  );
  return { ...rest, attempts: record.attempts + 1, runAt: ctx.now + wait, error, updatedAt: ctx.now };
}

/**
 * Replays the due requests of `subject`, one after another; returns the next retry time, if any.
 * A record removed meanwhile (sign-out) is not written back; a stop (`ctx.signal`) ends the
 * replay with nothing written for the request it cut short.
 */
export async function replayRequests(
  store: OutboxStore,
  subject: string,
  ctx: RequestLimits & {
    fetch: typeof fetch;
    now: () => number;
    backoff: Backoff;
    changed: (record: RequestRecord) => void;
  },
): Promise<number | undefined> {
  let next: number | undefined;
  for (const record of await store.pendingRequests(subject)) {
    if (record.runAt > ctx.now()) {
      next = Math.min(next ?? Infinity, record.runAt);
      continue;
    }
    const outcome = await send(record, ctx);
    // Stopped: this one and the rest stay as they are, for the next start.
    if (outcome.kind === "stopped") break;
    const after = requestAfter(record, outcome, { now: ctx.now(), backoff: ctx.backoff });
    if (!(await store.putRequest(after))) continue;
    ctx.changed(after);
    if (after.state === "pending") next = Math.min(next ?? Infinity, after.runAt);
  }
  return next;
}

/**
 * The headers every attempt of `record` sends: its own, with `Idempotency-Key` set to its id
 * when the app set none (draft-ietf-httpapi-idempotency-key-header).
 *
 * @example
 * ```ts
 * new Headers(replayHeaders(record)).get("idempotency-key") // record.id
 * ```
 */
export function replayHeaders(record: RequestRecord): Headers {
  const headers = new Headers(record.headers as [string, string][]);
  if (!headers.has("idempotency-key")) headers.set("idempotency-key", record.id);
  return headers;
}

/** A stored response as a `Response`. */
export function toResponse(stored: StoredResponse): Response {
  const nullBody = stored.status === 204 || stored.status === 205 || stored.status === 304;
  return new Response(nullBody ? null : stored.body, {
    status: stored.status,
    statusText: stored.statusText,
    headers: stored.headers as [string, string][],
  });
}

/**
 * One attempt, body included, within the deadline; running out of it is a network failure, and
 * the caller's stop cutting it short is `stopped`.
 */
async function send(
  record: RequestRecord,
  ctx: RequestLimits & { fetch: typeof fetch; now: () => number },
): Promise<ReplayOutcome> {
  try {
    return await withDeadline(ctx, async (signal): Promise<ReplayOutcome> => {
      const response = await ctx.fetch(record.url, {
        method: record.method,
        headers: replayHeaders(record),
        credentials: "same-origin",
        signal,
        ...(record.body === undefined ? {} : { body: record.body }),
      });
      const stored: StoredResponse = {
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        body: await response.arrayBuffer(),
      };
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), ctx.now());
      return { kind: "response", response: stored, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    });
  } catch (error) {
    if (isStop(ctx, error)) return { kind: "stopped" };
    return { kind: "network", message: error instanceof Error ? error.message : String(error) };
  }
}

function failure(code: string, message: string, retryable: boolean): SerializedError {
  return { name: "ErrandError", code, message, retryable };
}
