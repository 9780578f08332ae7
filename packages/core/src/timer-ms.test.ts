import { describe, expect, it } from "vitest";
import { MAX_TIMER_MS, timerMsProblem } from "./timer-ms.ts";

describe("timerMsProblem", () => {
  it("accepts delays from just above 0 to 2^31 - 1 ms", () => {
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
    for (const ms of [0.5, 1, 30_000, MAX_TIMER_MS]) expect(timerMsProblem(ms)).toBeUndefined();
  });

  it("accepts 0 only when asked to", () => {
    expect(timerMsProblem(0)).toBe("must be a finite number of milliseconds > 0");
    expect(timerMsProblem(0, { zero: true })).toBeUndefined();
  });

  it("refuses a delay a timer would overflow, and anything that is not a finite number", () => {
    expect(timerMsProblem(MAX_TIMER_MS + 1)).toBe("must be at most 2147483647 ms (the longest timer delay)");
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, "5", undefined])
      expect(timerMsProblem(value, { zero: true })).toBe("must be a finite number of milliseconds ≥ 0");
  });
});
