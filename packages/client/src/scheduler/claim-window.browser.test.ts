import { CancelledError, defineTasks, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { deferred } from "../fixtures/deferred.ts";
import { localTask, testRuntimes } from "../fixtures/runtimes.ts";

const { runtime } = testRuntimes();

const tasks = defineTasks({ job: task<number, number>() });

/** A handler that records each value it starts, holds the first until `gate`, and the rest `ms`. */
function holding(gate: Promise<void>, ms: number) {
  const order: number[] = [];
  const job = async (value: number) => {
    order.push(value);
    await (order.length === 1 ? gate : new Promise((resolve) => setTimeout(resolve, ms)));
    return value;
  };
  return { order, job };
}

describe("the prefetch window in IndexedDB", () => {
  it("starts a higher-priority task enqueued after a claim before the window's lower ones", async () => {
    const gate = deferred();
    // Each low task holds its slot 250 ms: the commit that claims the high one has that long.
    const { order, job } = holding(gate.promise, 250);
    const errand = await runtime({ tasks, concurrency: 1, prefetch: 4, handlers: { job } });
    const lows = await errand.enqueueMany(
      [0, 1, 2, 3, 4, 5].map((value) => ({ type: "job" as const, payload: value })),
    );
    // The first runs; the next four wait in the window, leased.
    await expect.poll(async () => (await errand.get(lows[4]?.id ?? ""))?.state).toBe("running");
    expect(order).toEqual([0]);

    const high = await errand.enqueue("job", 99, { priority: 9 });
    gate.resolve();
    await high.result();
    await Promise.all(lows.map((h) => h.result()));
    // Claimed by the first commit with room, it goes ahead of every low task still waiting.
    expect(order.indexOf(99)).toBeLessThan(order.indexOf(4));
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 99]);
  });

  it("holds at most the head of each ordering key, and runs each key in enqueue order", async () => {
    const gate = deferred();
    const { order, job } = holding(gate.promise, 1);
    const errand = await runtime({ tasks, concurrency: 1, prefetch: 8, handlers: { job } });
    const handles = await errand.enqueueMany(
      [
        [1, "a"],
        [2, "a"],
        [3, "b"],
        [4, "a"],
        [5, "b"],
      ].map(([value, key]) => ({
        type: "job" as const,
        payload: value as number,
        options: { orderingKey: key as string },
      })),
    );
    // The first runs; the window has room for every task but takes only the head of key b.
    await expect.poll(async () => (await errand.list({ state: "running" })).length).toBe(2);
    const running = await errand.list({ state: "running" });
    expect(running.map((t) => t.payload).sort()).toEqual([1, 3]);

    gate.resolve();
    await Promise.all(handles.map((h) => h.result()));
    expect(order.filter((v) => [1, 2, 4].includes(v))).toEqual([1, 2, 4]);
    expect(order.filter((v) => [3, 5].includes(v))).toEqual([3, 5]);
  });

  it("never starts a task cancelled while it waits in the window", async () => {
    const gate = deferred();
    const { order, job } = holding(gate.promise, 1);
    const errand = await runtime({ tasks, concurrency: 1, prefetch: 4, handlers: { job } });
    const started: string[] = [];
    errand.on("task.started", ({ id }) => started.push(id));
    const [first, waiting, last] = await errand.enqueueMany(
      [1, 2, 3].map((value) => ({ type: "job" as const, payload: value })),
    );
    await expect.poll(async () => (await errand.get(waiting?.id ?? ""))?.state).toBe("running");

    expect(await errand.cancel(waiting?.id ?? "")).toBe(true);
    gate.resolve();
    expect(await last?.result()).toBe(3);
    expect(await first?.result()).toBe(1);
    await expect(waiting?.result()).rejects.toBeInstanceOf(CancelledError);
    expect(order).toEqual([1, 3]);
    expect(started).not.toContain(waiting?.id);
  });

  it("renews the lease of a task waiting in the window, which then runs on its first claim", async () => {
    const gate = deferred();
    const { job } = holding(gate.promise, 1);
    const errand = await runtime({ tasks, concurrency: 1, prefetch: 4, leaseMs: 3_000, handlers: { job } });
    const [first, waiting] = await errand.enqueueMany(
      [1, 2].map((value) => ({ type: "job" as const, payload: value })),
    );
    await expect.poll(async () => (await errand.get(waiting?.id ?? ""))?.state).toBe("running");
    const claimedUntil = (await localTask(errand, waiting?.id ?? ""))?.lease?.expiresAt ?? 0;
    // Waits past its first lease, timers running: only renewals keep its claim. (A lease of
    // seconds: this VM's host pauses it for up to 1.4 s, which a renewal every second outlasts.)
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect((await localTask(errand, waiting?.id ?? ""))?.lease?.expiresAt).toBeGreaterThan(claimedUntil);
    gate.resolve();
    expect(await first?.result()).toBe(1);
    expect(await waiting?.result()).toBe(2);
    expect(await errand.get(waiting?.id ?? "")).toMatchObject({ state: "succeeded", attempts: 1, fence: 1 });
  });

  it("hands back a waiting task whose lease would lapse, and runs it on a fresh claim, not late", async () => {
    const errand = await runtime({
      tasks,
      concurrency: 1,
      prefetch: 4,
      leaseMs: 300,
      handlers: {
        job: (value) => {
          // Holds the main thread, as a frozen tab would: no timer, so no renewal, runs meanwhile.
          if (value === 1) for (const until = Date.now() + 600; Date.now() < until; );
          return value;
        },
      },
    });
    const [blocker, waiting] = await errand.enqueueMany(
      [1, 2].map((value) => ({ type: "job" as const, payload: value })),
    );
    expect(await blocker?.result()).toBe(1);
    expect(await waiting?.result()).toBe(2);
    // Claimed twice (fence 2), run once (the release refunded the first claim's attempt).
    expect(await errand.get(waiting?.id ?? "")).toMatchObject({ state: "succeeded", attempts: 1, fence: 2 });
  });
});
