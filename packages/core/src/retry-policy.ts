/**
 * Retry policy: how many attempts a task gets, how long it waits between them, how long one
 * attempt may run and which errors are worth retrying. Pure maths, shared by client and edge.
 */

import * as v from "valibot";
import { type Backoff, backoffDelay, MAX_BACKOFF_MS } from "./backoff.ts";
import { ValidationError } from "./errors.ts";
import { describeIssues, toIssues } from "./issues.ts";
import type { SerializedError } from "./serialized-error.ts";
import { MAX_TIMER_MS, TOO_LONG_FOR_A_TIMER } from "./timer-ms.ts";

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
  const result = v.safeParse(PolicySchema, p, { abortPipeEarly: true });
  if (!result.success) {
    const issues = toIssues(result.issues);
    throw new ValidationError(`Invalid retry policy: ${describeIssues(issues, "policy")}`, issues, {
      code: "invalid_policy",
    });
  }
  const { maxAttempts, backoff, timeoutMs, retryable } = result.output;
  return {
    maxAttempts,
    backoff: toBackoff(backoff),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    // Only "is a function" can be checked; decideRetry reads any truthy return as "retry".
    ...(retryable === undefined ? {} : { retryable: retryable as NonNullable<RetryPolicy["retryable"]> }),
  };
}

function toBackoff(parsed: v.InferOutput<typeof BackoffSchema>): Backoff {
  switch (parsed.kind) {
    case "exponential":
      return { ...parsed, jitter: parsed.jitter ?? "full" };
    case "fixed":
      return parsed;
    case "custom":
      // Only "is a function" can be checked; backoffDelay clamps whatever it returns.
      return { kind: "custom", delay: parsed.delay as (attempt: number, error: SerializedError) => number };
  }
}

const delayMs = v.pipe(
  v.number("must be a finite number"),
  v.finite("must be a finite number"),
  v.minValue(0, "must not be negative"),
  v.maxValue(MAX_BACKOFF_MS, `must be at most ${MAX_BACKOFF_MS} (12 hours)`),
);

const ExponentialSchema = v.pipe(
  v.object({
    kind: v.literal("exponential"),
    baseMs: delayMs,
    maxMs: delayMs,
    jitter: v.exactOptional(v.picklist(["full", "none"], 'must be "full" or "none"')),
  }),
  v.forward(
    v.partialCheck(
      [["baseMs"], ["maxMs"]],
      (b) => b.baseMs <= b.maxMs,
      (issue) => {
        const { baseMs, maxMs } = issue.input as { baseMs: number; maxMs: number };
        return `must not exceed maxMs (${baseMs} > ${maxMs})`;
      },
    ),
    ["baseMs"],
  ),
);

const BackoffSchema = v.variant(
  "kind",
  [
    ExponentialSchema,
    v.object({ kind: v.literal("fixed"), delayMs }),
    v.object({
      kind: v.literal("custom"),
      delay: v.function("must be a function (attempt, error) => milliseconds"),
    }),
  ],
  (issue) =>
    issue.expected === "Object" ? "must be an object" : 'must be "exponential", "fixed" or "custom"',
);

const PolicySchema = v.object(
  {
    maxAttempts: v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "must be at least 1"),
    ),
    backoff: BackoffSchema,
    timeoutMs: v.exactOptional(
      v.pipe(
        v.number("must be a number"),
        v.finite("must be a finite number"),
        v.gtValue(0, "must be greater than 0"),
        v.maxValue(MAX_TIMER_MS, TOO_LONG_FOR_A_TIMER),
      ),
    ),
    retryable: v.exactOptional(v.function("must be a function (error) => boolean")),
  },
  "must be an object",
);
