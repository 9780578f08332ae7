import { defineTasks, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { testRuntimes } from "./fixtures/runtimes.ts";
import type { TaskEventDetail, TaskEventType } from "./task-events.ts";

const { runtime } = testRuntimes();

const tasks = defineTasks({ flaky: task<{ n: number }, string>() });

describe("task events", () => {
  describe("when a failed task is retried", () => {
    it("starts and reports progress on the retry without the error of the attempt before", async () => {
      const errand = await runtime({
        tasks,
        handlers: {
          flaky: async (_payload, ctx) => {
            ctx.progress(ctx.attempt / 10);
            if (ctx.attempt === 1) throw new Error("first attempt fails");
            return "ok";
          },
        },
      });
      const seen: { type: TaskEventType; detail: TaskEventDetail }[] = [];
      for (const type of ["task.started", "task.progress", "task.retrying"] as const)
        errand.on(type, (detail) => seen.push({ type, detail }));
      const handle = await errand.enqueue(
        "flaky",
        { n: 1 },
        { retry: { backoff: { kind: "fixed", delayMs: 1 } } },
      );
      expect(await handle.result()).toBe("ok");

      expect(seen.map(({ type, detail }) => [type, detail.attempt])).toEqual([
        ["task.started", 1],
        ["task.progress", 1],
        ["task.retrying", 1],
        ["task.started", 2],
        ["task.progress", 2],
      ]);
      // Waiting, the task says why; running again, it has no outcome yet.
      expect(seen[2]?.detail.error?.message).toBe("first attempt fails");
      expect(seen.filter(({ type }) => type !== "task.retrying").map(({ detail }) => detail.error)).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(seen[4]?.detail).toMatchObject({ state: "running", progress: 0.2 });
    });
  });
});
