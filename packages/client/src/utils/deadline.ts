/**
 * Deadlines for the sync's requests. A connection that never answers (a black-holed route, a
 * captive portal, a server that stalls mid-body) would otherwise hold a drain for ever: the
 * leader keeps the Web Lock, `wake()` and `online` do nothing and `close()` never resolves.
 */

import { aborted } from "./abortable-wait.ts";

/** How long a request may take, body included, unless the options say otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How a request is bounded: a deadline and, optionally, a signal that ends it early (close). */
export interface RequestLimits {
  /** Milliseconds for the whole exchange, body included. */
  readonly timeoutMs?: number;
  /** Aborted when the caller stops (the runtime closes). */
  readonly signal?: AbortSignal;
}

/**
 * Runs `request` with a signal that aborts after `timeoutMs` or when `limits.signal` aborts,
 * and rejects at that moment even if `request` ignores its signal (an injected fetch, a
 * `getToken` function). The rejection is a `TimeoutError`, which callers treat like any network
 * failure, or the stop signal's reason (see {@link isStop}). Once stopped, it starts nothing.
 *
 * @example
 * ```ts
 * const body = await withDeadline({ timeoutMs: 5_000 }, async (signal) => (await fetch(url, { signal })).json());
 * ```
 */
export function withDeadline<T>(
  limits: RequestLimits,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (limits.signal?.aborted) return Promise.reject(limits.signal.reason);
  const ms = limits.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`No answer within ${ms} ms`, "TimeoutError")),
    ms,
  );
  const signal =
    limits.signal === undefined ? deadline.signal : AbortSignal.any([limits.signal, deadline.signal]);
  return Promise.race([request(signal), aborted(signal)]).finally(() => clearTimeout(timer));
}

/**
 * Whether `error` is the caller's own stop (`limits.signal`, aborted by `close()`), not a
 * deadline or a failure on the way. A stop says nothing about the edge or the request, so
 * callers leave what the request carried as it was: no attempt counted, no backoff. The token
 * source wraps failures in an `ErrandError`, whose `cause` is then the stop's reason.
 *
 * @example
 * ```ts
 * const outcome = await withDeadline(limits, send).catch((e) => (isStop(limits, e) ? "stopped" : "failed"));
 * ```
 */
export function isStop(limits: RequestLimits, error: unknown): boolean {
  const { signal } = limits;
  if (signal?.aborted !== true) return false;
  return error === signal.reason || (error instanceof Error && error.cause === signal.reason);
}
