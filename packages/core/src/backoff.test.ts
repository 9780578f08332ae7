import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Backoff, backoffDelay, MAX_BACKOFF_MS } from "./backoff.ts";
import { ValidationError } from "./errors.ts";
import type { SerializedError } from "./serialized-error.ts";

const error: SerializedError = { name: "Error", message: "flaky", code: "unexpected_error", retryable: true };
const exponential = (baseMs: number, maxMs: number, jitter?: "full" | "none"): Backoff =>
  jitter === undefined
    ? { kind: "exponential", baseMs, maxMs }
    : { kind: "exponential", baseMs, maxMs, jitter };

const attempts = fc.integer({ min: 1, max: 2000 });
const delays = fc.integer({ min: 0, max: MAX_BACKOFF_MS });
const randoms = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const exponentials = fc
  .tuple(delays, delays, fc.constantFrom<"full" | "none" | undefined>("full", "none", undefined))
  .map(([a, b, jitter]) => exponential(Math.min(a, b), Math.max(a, b), jitter));

describe("backoffDelay", () => {
  describe("when exponential without jitter", () => {
    it("doubles from baseMs per attempt", () => {
      const backoff = exponential(1000, 60_000, "none");
      expect([1, 2, 3, 4].map((attempt) => backoffDelay(backoff, attempt, error))).toEqual([
        1000, 2000, 4000, 8000,
      ]);
    });

    it("caps the delay at maxMs", () => {
      expect(backoffDelay(exponential(1000, 60_000, "none"), 7, error)).toBe(60_000);
      expect(backoffDelay(exponential(1000, 60_000, "none"), 5000, error)).toBe(60_000);
    });

    it("stays 0 when baseMs is 0, however many attempts", () => {
      expect(backoffDelay(exponential(0, 60_000, "none"), 2000, error)).toBe(0);
    });
  });

  describe("when exponential with full jitter (the default)", () => {
    it("scales the ceiling by the random draw", () => {
      const backoff = exponential(1000, 60_000);
      expect(backoffDelay(backoff, 3, error, () => 0)).toBe(0);
      expect(backoffDelay(backoff, 3, error, () => 0.5)).toBe(2000);
      expect(backoffDelay(backoff, 3, error, () => 0.999_999_9)).toBe(4000);
    });

    it("spreads delays over the whole range", () => {
      const draws = Array.from({ length: 2000 }, () => backoffDelay(exponential(1000, 60_000), 4, error));
      expect(Math.min(...draws)).toBeLessThan(800);
      expect(Math.max(...draws)).toBeGreaterThan(7200);
    });

    it("keeps a misbehaving random source inside the range", () => {
      const backoff = exponential(1000, 60_000);
      expect(backoffDelay(backoff, 1, error, () => 1)).toBe(1000);
      expect(backoffDelay(backoff, 1, error, () => 7)).toBe(1000);
      expect(backoffDelay(backoff, 1, error, () => -1)).toBe(0);
      expect(backoffDelay(backoff, 1, error, () => Number.NaN)).toBe(0);
    });
  });

  describe("when fixed", () => {
    it("is the same delay on every attempt", () => {
      fc.assert(
        fc.property(delays, attempts, (delayMs, attempt) => {
          expect(backoffDelay({ kind: "fixed", delayMs }, attempt, error)).toBe(delayMs);
        }),
      );
    });
  });

  describe("when custom", () => {
    it("passes the attempt and the error to the function", () => {
      const seen: unknown[] = [];
      const delay = (attempt: number, e: SerializedError) => {
        seen.push([attempt, e.code]);
        return attempt * 10;
      };
      expect(backoffDelay({ kind: "custom", delay }, 3, error)).toBe(30);
      expect(seen).toEqual([[3, "unexpected_error"]]);
    });

    it.each([
      ["a negative number", -5, 0],
      ["NaN", Number.NaN, 0],
      ["Infinity", Number.POSITIVE_INFINITY, MAX_BACKOFF_MS],
      ["more than the cap", MAX_BACKOFF_MS + 1, MAX_BACKOFF_MS],
      ["a fraction", 12.6, 13],
      ["a non-number", "soon" as unknown as number, 0],
    ])("clamps %s to %d", (_, returned, expected) => {
      expect(backoffDelay({ kind: "custom", delay: () => returned }, 1, error)).toBe(expected);
    });

    it("lets an exception from the function through", () => {
      const delay = () => {
        throw new Error("bug in delay");
      };
      expect(() => backoffDelay({ kind: "custom", delay }, 1, error)).toThrow("bug in delay");
    });
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses attempt %d", (attempt) => {
    expect(() => backoffDelay({ kind: "fixed", delayMs: 1 }, attempt, error)).toThrow(ValidationError);
  });

  describe("for any backoff", () => {
    it("is a whole number of milliseconds in [0, the cap]", () => {
      const backoffs = fc.oneof(
        exponentials,
        delays.map((delayMs): Backoff => ({ kind: "fixed", delayMs })),
        fc.double().map((value): Backoff => ({ kind: "custom", delay: () => value })),
      );
      fc.assert(
        fc.property(backoffs, attempts, randoms, (backoff, attempt, r) => {
          const delay = backoffDelay(backoff, attempt, error, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(MAX_BACKOFF_MS);
        }),
      );
    });
  });

  describe("for any exponential backoff", () => {
    it("never exceeds min(maxMs, baseMs * 2^(attempt - 1))", () => {
      fc.assert(
        fc.property(exponentials, attempts, randoms, (backoff, attempt, r) => {
          if (backoff.kind !== "exponential") throw new Error("unreachable");
          const growth = backoff.baseMs === 0 ? 0 : backoff.baseMs * 2 ** (attempt - 1);
          const ceiling = Math.min(backoff.maxMs, growth);
          expect(backoffDelay(backoff, attempt, error, () => r)).toBeLessThanOrEqual(Math.round(ceiling));
        }),
      );
    });

    it("has an upper bound that never falls as attempts grow", () => {
      fc.assert(
        fc.property(exponentials, attempts, (backoff, attempt) => {
          if (backoff.kind !== "exponential") throw new Error("unreachable");
          const bound = (n: number) => backoffDelay({ ...backoff, jitter: "none" }, n, error);
          expect(bound(attempt + 1)).toBeGreaterThanOrEqual(bound(attempt));
        }),
      );
    });

    it("gives the same delay for the same random draw", () => {
      fc.assert(
        fc.property(exponentials, attempts, randoms, (backoff, attempt, r) => {
          expect(backoffDelay(backoff, attempt, error, () => r)).toBe(
            backoffDelay(backoff, attempt, error, () => r),
          );
        }),
      );
    });
  });
});
