/**
 * How long to wait before the next attempt. Pure: the same inputs (and the same `random`) give
 * the same delay, on the client and on the edge.
 */

import { ValidationError } from "./errors.ts";
import { MAX_DELAY_SECONDS } from "./limits.ts";
import type { SerializedError } from "./serialized-error.ts";

/**
 * Longest delay any backoff yields: 12 hours, the longest Cloudflare Queues can hold a retry, so
 * one policy works on both sides.
 */
export const MAX_BACKOFF_MS = MAX_DELAY_SECONDS * 1000;

/**
 * A backoff strategy.
 * - `exponential`: the ceiling doubles per attempt from `baseMs` up to `maxMs`; with `jitter:
 *   "full"` (the default) the delay is uniform in [0, ceiling], which spreads out retries of many
 *   tasks that failed together; with `"none"` it is the ceiling.
 * - `fixed`: always `delayMs`.
 * - `custom`: your function of the attempt that just failed (1-based) and its error.
 */
export type Backoff =
  | { kind: "exponential"; baseMs: number; maxMs: number; jitter?: "full" | "none" }
  | { kind: "fixed"; delayMs: number }
  | { kind: "custom"; delay: (attempt: number, error: SerializedError) => number };

/**
 * The delay in whole milliseconds before retrying after `attempt` (1-based: the attempt that
 * just failed) failed with `error`. Every result is clamped to [0, {@link MAX_BACKOFF_MS}]: a
 * custom delay that returns a negative number or `NaN` means "retry now", and one that returns
 * more than the cap (or `Infinity`) waits the cap. A custom function that throws throws here.
 *
 * @param random uniform in [0, 1); inject a seeded one for reproducible delays.
 * @throws {ValidationError} when `attempt` is not an integer ≥ 1.
 * @example
 * ```ts
 * backoffDelay({ kind: "exponential", baseMs: 1000, maxMs: 60_000, jitter: "none" }, 3, error) // 4000
 * ```
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  error: SerializedError,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ValidationError(`attempt must be an integer ≥ 1, got ${attempt}`, [
      { path: "attempt", message: "must be an integer ≥ 1" },
    ]);
  }
  switch (backoff.kind) {
    case "fixed":
      return clampDelay(backoff.delayMs);
    case "custom":
      return clampDelay(backoff.delay(attempt, error));
    case "exponential": {
      const ceiling = clampDelay(exponentialCeiling(backoff.baseMs, backoff.maxMs, attempt));
      if (backoff.jitter === "none") return ceiling;
      return Math.min(ceiling, Math.floor(clampUnit(random()) * (ceiling + 1)));
    }
  }
}

/** `min(maxMs, baseMs * 2^(attempt - 1))`, without `0 * Infinity` turning into `NaN`. */
function exponentialCeiling(baseMs: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 1023));
}

function clampDelay(ms: unknown): number {
  // `!(ms > 0)` also catches NaN, and non-numbers from untyped custom functions.
  if (typeof ms !== "number" || !(ms > 0)) return 0;
  return Math.round(Math.min(ms, MAX_BACKOFF_MS));
}

function clampUnit(r: number): number {
  return Number.isNaN(r) ? 0 : Math.min(Math.max(r, 0), 1);
}
