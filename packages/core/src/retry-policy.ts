/**
 * Retry policy: how many attempts a task gets, how long it waits between them, how long one
 * attempt may run and which errors are worth retrying. Pure maths, shared by client and edge.
 */

import { type Backoff, backoffDelay } from "./backoff.ts";
import { ValidationError } from "./errors.ts";
import { describeIssues } from "./issues.ts";
import { policyIssues } from "./policy-issues.ts";
import type { SerializedError } from "./serialized-error.ts";

/** Per task type: attempts, backoff, timeout and which errors to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included: an integer ≥ 1 (1 means never retry). */
  maxAttempts: number;
  backoff: Backoff;
  /**
   * Longest one attempt may run before it fails with a `TimeoutError`; none when absent. The
   * handler's signal aborts then; a browser pool worker whose handler ignores it fails the attempt
   * only when the worker is replaced, the pool's `graceMs` later.
   */
  timeoutMs?: number;
  /** Return false to send a task to dead instead of retrying; errors marked non-retryable never retry. */
  retryable?: (error: SerializedError) => boolean;
}

/** What to do after a failed attempt. */
export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: "exhausted" | "non_retryable" };

/** 5 attempts, exponential backoff from 1 s to 60 s with full jitter, no timeout. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  backoff: Object.freeze({ kind: "exponential", baseMs: 1000, maxMs: 60_000, jitter: "full" }),
});

/**
 * Decides whether to retry after `attempt` (1-based) failed with `error`. A non-retryable error
 * (its `retryable` is false, or the policy's `retryable` says no) wins over counting attempts.
 *
 * @example
 * ```ts
 * const decision = decideRetry(policy, task.attempts, serializeError(e));
 * if (decision.retry) task.runAt = now + decision.delayMs;
 * else moveToDead(task, decision.reason);
 * ```
 */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  error: SerializedError,
  random?: () => number,
): RetryDecision {
  if (!error.retryable || (policy.retryable !== undefined && !policy.retryable(error))) {
    return { retry: false, reason: "non_retryable" };
  }
  if (attempt >= policy.maxAttempts) return { retry: false, reason: "exhausted" };
  return { retry: true, delayMs: backoffDelay(policy.backoff, attempt, error, random) };
}

/**
 * The default policy with the fields of `partial` that are set laid over it, validated.
 *
 * @throws {ValidationError} `invalid_policy`, as {@link validatePolicy}.
 * @example
 * ```ts
 * resolvePolicy({ maxAttempts: 3 }) // default backoff, 3 attempts
 * ```
 */
export function resolvePolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  const set = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  return validatePolicy({ ...DEFAULT_RETRY_POLICY, ...set });
}

/**
 * Checks a policy that came from outside the type system (configuration, storage, a JS caller)
 * and returns it with unknown fields dropped.
 *
 * @throws {ValidationError} with code `invalid_policy` and one issue per problem: `maxAttempts`
 *   not an integer ≥ 1; a delay that is negative, not finite or over {@link MAX_BACKOFF_MS};
 *   `baseMs` over `maxMs`; `timeoutMs` not a finite number > 0 and ≤ {@link MAX_TIMER_MS}; a
 *   `custom` `delay` or a `retryable` that is not a function.
 */
export function validatePolicy(p: unknown): RetryPolicy {
  const issues = policyIssues(p);
  if (issues.length > 0) {
    throw new ValidationError(`Invalid retry policy: ${describeIssues(issues, "policy")}`, issues, {
      code: "invalid_policy",
    });
  }
  const { maxAttempts, backoff, timeoutMs, retryable } = p as RetryPolicy;
  return {
    maxAttempts,
    backoff: toBackoff(backoff),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    // Only "is a function" can be checked; decideRetry reads any truthy return as "retry".
    ...(retryable === undefined ? {} : { retryable }),
  };
}

/** The backoff's own fields only, as the checked policy holds them (unknown keys dropped). */
function toBackoff(backoff: Backoff): Backoff {
  switch (backoff.kind) {
    case "exponential":
      return {
        kind: "exponential",
        baseMs: backoff.baseMs,
        maxMs: backoff.maxMs,
        jitter: backoff.jitter ?? "full",
      };
    case "fixed":
      return { kind: "fixed", delayMs: backoff.delayMs };
    case "custom":
      // Only "is a function" can be checked; backoffDelay clamps whatever it returns.
      return { kind: "custom", delay: backoff.delay };
  }
}
