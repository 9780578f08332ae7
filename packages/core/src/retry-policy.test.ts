import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_BACKOFF_MS } from "./backoff.ts";
import { ValidationError } from "./errors.ts";
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  type RetryPolicy,
  resolvePolicy,
  validatePolicy,
} from "./retry-policy.ts";
import type { SerializedError } from "./serialized-error.ts";

const flaky: SerializedError = { name: "Error", message: "flaky", code: "unexpected_error", retryable: true };
const fatal: SerializedError = {
  name: "NonRetryableError",
  message: "no",
  code: "non_retryable",
  retryable: false,
};
const fixed = (maxAttempts: number): RetryPolicy => ({
  maxAttempts,
  backoff: { kind: "fixed", delayMs: 250 },
});

/** The issues validatePolicy reports for `policy`, or [] if it accepts it. */
const issuesOf = (policy: unknown) => {
  try {
    validatePolicy(policy);
    return [];
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return e.issues;
  }
};

describe("decideRetry", () => {
  it("retries after the policy's delay while attempts remain", () => {
    expect(decideRetry(fixed(3), 1, flaky)).toEqual({ retry: true, delayMs: 250 });
    expect(decideRetry(fixed(3), 2, flaky)).toEqual({ retry: true, delayMs: 250 });
  });

  it("is exhausted exactly at maxAttempts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 200 }),
        (maxAttempts, attempt) => {
          const decision = decideRetry(fixed(maxAttempts), attempt, flaky);
          expect(decision.retry).toBe(attempt < maxAttempts);
          if (!decision.retry) expect(decision.reason).toBe("exhausted");
        },
      ),
    );
  });

  it("never retries when maxAttempts is 1", () => {
    expect(decideRetry(fixed(1), 1, flaky)).toEqual({ retry: false, reason: "exhausted" });
  });

  describe("when the error is non-retryable", () => {
    it("stops at once", () => {
      expect(decideRetry(fixed(5), 1, fatal)).toEqual({ retry: false, reason: "non_retryable" });
    });

    it("says non_retryable rather than exhausted on the last attempt", () => {
      expect(decideRetry(fixed(2), 2, fatal)).toEqual({ retry: false, reason: "non_retryable" });
    });
  });

  describe("when the policy has a retryable predicate", () => {
    const policy: RetryPolicy = { ...fixed(5), retryable: (e) => e.code !== "bad_gateway" };

    it("stops when it says no", () => {
      expect(decideRetry(policy, 1, { ...flaky, code: "bad_gateway" })).toEqual({
        retry: false,
        reason: "non_retryable",
      });
    });

    it("retries when it says yes", () => {
      expect(decideRetry(policy, 1, flaky).retry).toBe(true);
    });

    it("cannot make a non-retryable error retryable", () => {
      expect(decideRetry({ ...fixed(5), retryable: () => true }, 1, fatal).retry).toBe(false);
    });
  });

  it("uses the random source it is given", () => {
    const policy = resolvePolicy();
    expect(decideRetry(policy, 2, flaky, () => 0.5)).toEqual({ retry: true, delayMs: 1000 });
  });
});

describe("DEFAULT_RETRY_POLICY", () => {
  it("is 5 attempts of exponential backoff from 1 s to 60 s with full jitter", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 5,
      backoff: { kind: "exponential", baseMs: 1000, maxMs: 60_000, jitter: "full" },
    });
  });

  it("cannot be changed by accident", () => {
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY.backoff)).toBe(true);
  });

  it("passes its own validation", () => {
    expect(validatePolicy(DEFAULT_RETRY_POLICY)).toEqual(DEFAULT_RETRY_POLICY);
  });
});

describe("resolvePolicy", () => {
  it("is the default policy when given nothing", () => {
    expect(resolvePolicy()).toEqual(DEFAULT_RETRY_POLICY);
  });

  it("lays the given fields over the defaults", () => {
    const retryable = () => true;
    expect(resolvePolicy({ maxAttempts: 2, timeoutMs: 500, retryable })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 2,
      timeoutMs: 500,
      retryable,
    });
  });

  it("ignores fields set to undefined", () => {
    expect(resolvePolicy({ maxAttempts: undefined } as unknown as Partial<RetryPolicy>)).toEqual(
      DEFAULT_RETRY_POLICY,
    );
  });

  it("returns a policy that is not the shared default object", () => {
    expect(resolvePolicy()).not.toBe(DEFAULT_RETRY_POLICY);
  });

  it("refuses an invalid result", () => {
    expect(() => resolvePolicy({ maxAttempts: 0 })).toThrow(/maxAttempts must be at least 1/);
  });
});

describe("validatePolicy", () => {
  it("returns a valid policy without the fields it does not know", () => {
    expect(validatePolicy({ ...fixed(3), colour: "red" })).toEqual(fixed(3));
  });

  it("fills in full jitter for an exponential backoff that names none", () => {
    expect(
      validatePolicy({ maxAttempts: 1, backoff: { kind: "exponential", baseMs: 1, maxMs: 2 } }).backoff,
    ).toEqual({
      kind: "exponential",
      baseMs: 1,
      maxMs: 2,
      jitter: "full",
    });
  });

  it("keeps a custom delay function", () => {
    const delay = () => 5;
    expect(validatePolicy({ maxAttempts: 2, backoff: { kind: "custom", delay } }).backoff).toEqual({
      kind: "custom",
      delay,
    });
  });

  it("throws a ValidationError with code invalid_policy and a readable message", () => {
    const attempt = () => validatePolicy({ maxAttempts: 0, backoff: { kind: "fixed", delayMs: -1 } });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      "Invalid retry policy: maxAttempts must be at least 1; backoff.delayMs must not be negative",
    );
    try {
      attempt();
    } catch (e) {
      expect((e as ValidationError).code).toBe("invalid_policy");
    }
  });

  it.each([
    ["a non-object", null, "", "must be an object"],
    ["a missing maxAttempts", { backoff: { kind: "fixed", delayMs: 1 } }, "maxAttempts", "is required"],
    ["a fractional maxAttempts", { ...fixed(1), maxAttempts: 1.5 }, "maxAttempts", "must be an integer"],
    ["maxAttempts 0", { ...fixed(1), maxAttempts: 0 }, "maxAttempts", "must be at least 1"],
    [
      "an infinite maxAttempts",
      { ...fixed(1), maxAttempts: Number.POSITIVE_INFINITY },
      "maxAttempts",
      "must be an integer",
    ],
    ["a missing backoff", { maxAttempts: 1 }, "backoff", "is required"],
    ["a backoff that is not an object", { maxAttempts: 1, backoff: "fast" }, "backoff", "must be an object"],
    [
      "an unknown backoff kind",
      { maxAttempts: 1, backoff: { kind: "linear" } },
      "backoff.kind",
      'must be "exponential", "fixed" or "custom"',
    ],
    [
      "a negative fixed delay",
      { maxAttempts: 1, backoff: { kind: "fixed", delayMs: -1 } },
      "backoff.delayMs",
      "must not be negative",
    ],
    [
      "a NaN fixed delay",
      { maxAttempts: 1, backoff: { kind: "fixed", delayMs: Number.NaN } },
      "backoff.delayMs",
      "must be a finite number",
    ],
    [
      "an infinite fixed delay",
      { maxAttempts: 1, backoff: { kind: "fixed", delayMs: Number.POSITIVE_INFINITY } },
      "backoff.delayMs",
      "must be a finite number",
    ],
    [
      "a delay over the cap",
      { maxAttempts: 1, backoff: { kind: "fixed", delayMs: MAX_BACKOFF_MS + 1 } },
      "backoff.delayMs",
      `must be at most ${MAX_BACKOFF_MS} (12 hours)`,
    ],
    [
      "baseMs over maxMs",
      { maxAttempts: 1, backoff: { kind: "exponential", baseMs: 5000, maxMs: 100 } },
      "backoff.baseMs",
      "must not exceed maxMs (5000 > 100)",
    ],
    [
      "an unknown jitter",
      { maxAttempts: 1, backoff: { kind: "exponential", baseMs: 1, maxMs: 2, jitter: "half" } },
      "backoff.jitter",
      'must be "full" or "none"',
    ],
    [
      "a custom delay that is not a function",
      { maxAttempts: 1, backoff: { kind: "custom", delay: 100 } },
      "backoff.delay",
      "must be a function (attempt, error) => milliseconds",
    ],
    ["timeoutMs 0", { ...fixed(1), timeoutMs: 0 }, "timeoutMs", "must be greater than 0"],
    ["a negative timeoutMs", { ...fixed(1), timeoutMs: -5 }, "timeoutMs", "must be greater than 0"],
    [
      "an infinite timeoutMs",
      { ...fixed(1), timeoutMs: Number.POSITIVE_INFINITY },
      "timeoutMs",
      "must be a finite number",
    ],
    [
      "a timeoutMs longer than a timer can wait",
      { ...fixed(1), timeoutMs: 2 ** 31 },
      "timeoutMs",
      "must be at most 2147483647 ms (the longest timer delay)",
    ],
    [
      "a retryable that is not a function",
      { ...fixed(1), retryable: false },
      "retryable",
      "must be a function (error) => boolean",
    ],
  ])("refuses %s", (_, policy, path, message) => {
    expect(issuesOf(policy)).toEqual([{ path, message }]);
  });

  it("reports every problem at once", () => {
    expect(issuesOf({ maxAttempts: 0, backoff: { kind: "fixed", delayMs: -1 }, timeoutMs: 0 })).toHaveLength(
      3,
    );
  });
});
