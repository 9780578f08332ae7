import { defineTasks, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { testRuntimes } from "./fixtures/runtimes.ts";

const { runtime } = testRuntimes();

const tasks = defineTasks({ work: task<{ n: number }, number>() });
const work = ({ n }: { n: number }) => new Promise<number>((resolve) => setTimeout(() => resolve(n), 3));

describe("closing a runtime", () => {
  it("hands back the tasks a claim pass in flight took, so a runtime opened later runs them all", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const first = await runtime({ tasks, dbName, concurrency: 4, leaseMs: 300, handlers: { work } });
    const errors: string[] = [];
    first.on("storage.error", (detail) => errors.push(detail.error?.code ?? detail.message));
    const handles = await first.enqueueMany(
      Array.from({ length: 10 }, (_, n) => ({
        type: "work" as const,
        payload: { n },
        options: { retry: { maxAttempts: 1 } },
      })),
    );
    await first.close();

    const second = await runtime({
      tasks,
      dbName,
      concurrency: 4,
      leaseMs: 300,
      pollMs: 50,
      handlers: { work },
    });
    const results = await Promise.allSettled(handles.map((handle) => second.handle(handle.id).result()));
    expect(results).toEqual(Array.from({ length: 10 }, (_, n) => ({ status: "fulfilled", value: n })));
    expect(errors).toEqual([]);
  });

  it("rejects every result() still waiting with closed, and any asked for later", async () => {
    // No handlers: nothing runs the task, so only close can settle the wait.
    const errand = await runtime({ tasks, dbName: `q-${crypto.randomUUID()}` });
    const handle = await errand.enqueue("work", { n: 1 });
    const waiting = handle.result().then(
      () => "resolved",
      (error: { code?: string }) => error.code,
    );
    await errand.close();
    // A macrotask after close: a waiter rejected by close has settled by then; one it left has not.
    const notYet = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 0));
    expect(await Promise.race([waiting, notYet])).toBe("closed");
    await expect(errand.handle(handle.id).result()).rejects.toMatchObject({ code: "closed" });
  });
});
