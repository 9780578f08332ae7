import { defineTasks, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import { resolveOptions } from "./runtime-options.ts";

const tasks = defineTasks({ work: task<number, number>() });

describe("resolveOptions", () => {
  it("accepts a policy for a task type", () => {
    expect(resolveOptions({ tasks, policies: { work: { maxAttempts: 2 } } }).concurrency).toBe(4);
  });

  it("refuses a lease, poll or sweep interval longer than a timer can wait, and a policy timeout as long", () => {
    const tooLong = 2 ** 31;
    expect(
      issuesOf(() =>
        resolveOptions({
          tasks,
          leaseMs: tooLong,
          pollMs: tooLong,
          sweepMs: tooLong,
          policies: { work: { timeoutMs: tooLong } },
        }),
      ),
    ).toEqual(["policies.work.timeoutMs", "leaseMs", "pollMs", "sweepMs"]);
  });

  it("sizes the prefetch window from measures by default, and takes a fixed one of 0 to 1,000", () => {
    expect(resolveOptions({ tasks }).prefetch).toBe("auto");
    expect(resolveOptions({ tasks, prefetch: 0 }).prefetch).toBe(0);
    expect(resolveOptions({ tasks, prefetch: 64 }).prefetch).toBe(64);
    expect(issuesOf(() => resolveOptions({ tasks, prefetch: -1 }))).toEqual(["prefetch"]);
    expect(resolveOptions({ tasks, prefetch: 1_000 }).prefetch).toBe(1_000);
    expect(issuesOf(() => resolveOptions({ tasks, prefetch: 1_001 }))).toEqual(["prefetch"]);
    expect(issuesOf(() => resolveOptions({ tasks, prefetch: 1.5 }))).toEqual(["prefetch"]);
    expect(issuesOf(() => resolveOptions({ tasks, prefetch: "all" as never }))).toEqual(["prefetch"]);
  });

  describe("when a policy names no task type", () => {
    it("refuses it, also when the name is an inherited property (constructor, toString)", () => {
      const policies = {
        nope: { maxAttempts: 2 },
        constructor: { maxAttempts: 2 },
        toString: { maxAttempts: 2 },
      };
      expect(issuesOf(() => resolveOptions({ tasks, policies } as never))).toEqual([
        "policies.nope",
        "policies.constructor",
        "policies.toString",
      ]);
    });
  });
});
