import { defineTasks, ErrandError, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { testRuntimes } from "../fixtures/runtimes.ts";

const { runtime } = testRuntimes();

const tasks = defineTasks({ f: task<{ n: number }, unknown>() });

describe("when IndexedDB cannot store what an attempt produced", () => {
  it("fails a durable task whose result cannot be cloned with result_not_storable, and result() rejects", async () => {
    const errand = await runtime({ tasks, handlers: { f: () => ({ ok: true, fn() {} }) } });
    const lost: string[] = [];
    errand.on("task.lease_lost", (detail) => lost.push(detail.id));
    const handle = await errand.enqueue("f", { n: 1 });
    // Bounded: polls give up after the project's poll timeout instead of hanging.
    await expect.poll(async () => (await errand.get(handle.id))?.state).toBe("dead");
    await expect(handle.result()).rejects.toMatchObject({ code: "result_not_storable", retryable: false });
    expect(await errand.get(handle.id)).toMatchObject({
      attempts: 1,
      error: { code: "result_not_storable" },
    });
    expect(lost).toEqual([]);
  });

  it("records a failure whose error details cannot be cloned without those details, and still retries it", async () => {
    const errand = await runtime({
      tasks,
      // A lease far longer than the poll: a refused outcome cannot be rescued by a takeover in time.
      leaseMs: 120_000,
      handlers: {
        f: (_p, ctx) => {
          if (ctx.attempt === 1)
            throw new ErrandError("flaky", "first time fails", { details: { callback() {} } });
          return "ok";
        },
      },
    });
    const lost: string[] = [];
    errand.on("task.lease_lost", (detail) => lost.push(detail.id));
    const retried: unknown[] = [];
    errand.on("task.retrying", (detail) => retried.push(detail.error));
    const handle = await errand.enqueue("f", { n: 1 }, { retry: { backoff: { kind: "fixed", delayMs: 1 } } });
    await expect.poll(async () => (await errand.get(handle.id))?.state).toBe("succeeded");
    expect(await handle.result()).toBe("ok");
    expect(await errand.get(handle.id)).toMatchObject({ attempts: 2 });
    expect(lost).toEqual([]);
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ code: "flaky", message: "first time fails" });
    expect(retried[0]).not.toHaveProperty("details");
  });
});

describe("when IndexedDB cannot store an enqueued payload", () => {
  it("refuses only the single enqueue whose payload throws while cloned, among calls that share its transaction", async () => {
    const errand = await runtime({ tasks });
    const throwing = {
      n: 2,
      get boom(): number {
        throw new RangeError("a getter that throws");
      },
    };
    const calls = await Promise.allSettled([
      errand.enqueue("f", { n: 1 }),
      errand.enqueue("f", throwing),
      errand.enqueue("f", { n: 3 }),
    ]);
    expect(calls.map((call) => call.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((calls[1] as PromiseRejectedResult).reason).toMatchObject({
      name: "ValidationError",
      issues: [{ path: "payload" }],
    });
    expect((await errand.list()).map((one) => one.payload)).toEqual([{ n: 1 }, { n: 3 }]);
  });
});
