/**
 * Deadlines for the sync's requests. A connection that never answers (a black-holed route, a
 * captive portal, a server that stalls mid-body) would otherwise hold a drain for ever: the
 * leader keeps the Web Lock, `wake()` and `online` do nothing and `close()` never resolves.
 */

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
 * `getToken` function). The rejection is a `TimeoutError` (or the stop signal's reason), which
 * callers treat like any network failure.
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
  const ms = limits.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    const end = (reason: unknown) => {
      controller.abort(reason);
      reject(reason);
    };
    timer = setTimeout(() => end(new DOMException(`No answer within ${ms} ms`, "TimeoutError")), ms);
    const outer = limits.signal;
    if (outer === undefined) return;
    stop = () => end(outer.reason);
    if (outer.aborted) stop();
    else outer.addEventListener("abort", stop, { once: true });
  });
  ended.catch(() => {});
  return Promise.race([request(controller.signal), ended]).finally(() => {
    clearTimeout(timer);
    if (stop !== undefined) limits.signal?.removeEventListener("abort", stop);
  });
}

/**
 * Whether `promise` settled within `ms` (its outcome is left to its own handlers).
 *
 * @example
 * ```ts
 * if (!(await settlesWithin(startUp, 1_000))) useStoredSubject();
 * ```
 */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
