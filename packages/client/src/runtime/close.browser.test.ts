import { defineTasks, task } from "@errand/core";
import { describe, expect, it, vi } from "vitest";
import { deferred } from "../fixtures/deferred.ts";
import { testRuntimes } from "../fixtures/runtimes.ts";
import { IdbTaskStore } from "../stores/idb-task-store.ts";

const { runtime, closeLater } = testRuntimes();

const tasks = defineTasks({ work: task<{ n: number }, number>() });
const work = ({ n }: { n: number }) => new Promise<number>((resolve) => setTimeout(() => resolve(n), 3));

describe("closing a runtime", () => {
  it("hands back, unstarted, the tasks a claim pass in flight took, so a runtime opened later runs them all", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const ranBeforeClose: number[] = [];
    const first = await runtime({
      tasks,
      dbName,
      concurrency: 4,
      leaseMs: 300,
      handlers: {
        work: (payload) => {
          ranBeforeClose.push(payload.n);
          return work(payload);
        },
      },
    });
    const errors: string[] = [];
    first.on("storage.error", (detail) => errors.push(detail.error?.code ?? detail.message));
    const started: string[] = [];
    first.on("task.started", ({ id }) => started.push(id));

    // close() lands after a claim pass committed its leases and before it starts those tasks.
    const commit = IdbTaskStore.prototype.commit;
    const { promise: closed, resolve: closing } = deferred<Promise<void>>();
    let claimedBeforeClose = 0;
    const spy = vi.spyOn(IdbTaskStore.prototype, "commit").mockImplementation(async function (
      this: IdbTaskStore,
      ...args: Parameters<IdbTaskStore["commit"]>
    ) {
      const committed = await commit.apply(this, args);
      const claimed = committed.claimed?.claimed.length ?? 0;
      if (claimed > 0 && claimedBeforeClose === 0) {
        claimedBeforeClose = claimed;
        closing(first.close());
        // A macrotask: close() has stopped the scheduler, and waits for this pass, when it goes on.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return committed;
    });
    closeLater(() => spy.mockRestore());
    const handles = await first.enqueueMany(
      Array.from({ length: 10 }, (_, n) => ({
        type: "work" as const,
        payload: { n },
        options: { retry: { maxAttempts: 1 } },
      })),
    );
    await await closed;
    spy.mockRestore();
    // Four for the free slots and four into the prefetch window (one a slot until it has
    // measured attempts): all handed back.
    expect(claimedBeforeClose).toBe(8);
    expect(started).toEqual([]);
    expect(ranBeforeClose).toEqual([]);

    const ranAfter: number[] = [];
    const second = await runtime({
      tasks,
      dbName,
      concurrency: 4,
      leaseMs: 300,
      pollMs: 50,
      handlers: {
        work: (payload, ctx) => {
          ranAfter.push(ctx.attempt);
          return work(payload);
        },
      },
    });
    const results = await Promise.allSettled(handles.map((handle) => second.handle(handle.id).result()));
    expect(results).toEqual(Array.from({ length: 10 }, (_, n) => ({ status: "fulfilled", value: n })));
    // The attempts handed back were refunded: every task ran once, as its first attempt.
    expect(ranAfter).toEqual(Array.from({ length: 10 }, () => 1));
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
