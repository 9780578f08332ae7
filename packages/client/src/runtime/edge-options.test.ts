import { MAX_TIMER_MS, timerMsProblem } from "@errand/core";
import { describe, expect, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import { resolveEdgeOptions } from "./edge-options.ts";

const base = {
  url: "https://edge.example",
  getToken: async () => ({ token: "t", subject: "s", expiresAt: 0 }),
};

describe("resolveEdgeOptions", () => {
  it("applies the defaults", () => {
    expect(resolveEdgeOptions(base)).toMatchObject({
      url: "https://edge.example",
      concurrency: 4,
      pollMs: 3_000,
      checkMs: 30_000,
      requestTimeoutMs: 30_000,
      backgroundSync: true,
    });
  });

  it("refuses a poll period or request timeout that is not a timer delay, naming each", () => {
    const paths = (options: object) => issuesOf(() => resolveEdgeOptions({ ...base, ...options }));
    expect(paths({ pollMs: MAX_TIMER_MS + 1, requestTimeoutMs: 0 })).toEqual([
      "edge.pollMs",
      "edge.requestTimeoutMs",
    ]);
    expect(paths({ requestTimeoutMs: Number.NaN })).toEqual(["edge.requestTimeoutMs"]);
    expect(() =>
      resolveEdgeOptions({ ...base, pollMs: MAX_TIMER_MS, requestTimeoutMs: MAX_TIMER_MS }),
    ).not.toThrow();
  });

  it("polls ten times less often while the socket is open, never longer than a timer waits", () => {
    expect(resolveEdgeOptions({ ...base, pollMs: 500 }).checkMs).toBe(5_000);
    for (const pollMs of [MAX_TIMER_MS / 10 + 1, MAX_TIMER_MS]) {
      const { checkMs } = resolveEdgeOptions({ ...base, pollMs });
      expect([checkMs, timerMsProblem(checkMs)]).toEqual([MAX_TIMER_MS, undefined]);
    }
  });
});
