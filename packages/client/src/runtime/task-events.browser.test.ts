import { defineTasks, task } from "@errand/core";
import { describe, expect, it, vi } from "vitest";
import { deferred } from "../fixtures/deferred.ts";
import { testRuntimes } from "../fixtures/runtimes.ts";
import type { TaskEventDetail, TaskEventType } from "../lifecycle/task-events.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import type { ClaimRequest } from "../stores/store.ts";

const { runtime, closeLater } = testRuntimes();

/** A handler that runs until its signal aborts; `running` settles once it started. */
function holding() {
  let signal: AbortSignal | undefined;
  const { promise: running, resolve: started } = deferred();
  const hold = (_n: number, ctx: { signal: AbortSignal }) => {
    signal = ctx.signal;
    started();
    return new Promise<number>((_resolve, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
    );
  };
  return { hold, running, signal: () => signal };
}

const tasks = defineTasks({
  flaky: task<{ n: number }, string>(),
  work: task<number, number>(),
  hold: task<number, number>(),
});

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

  describe("when an ephemeral task is cancelled while the claim pass that took it is in flight", () => {
    it("emits task.cancelled and never task.started, and never runs the task", async () => {
      const ran: number[] = [];
      const work = (n: number) => {
        ran.push(n);
        return n;
      };
      const errand = await runtime({ tasks, concurrency: 1, handlers: { work } });
      const seen: { type: TaskEventType; id: string }[] = [];
      const types = ["task.enqueued", "task.started", "task.cancelled", "task.lease_lost"] as const;
      for (const type of types) errand.on(type, ({ id }) => seen.push({ type, id }));

      // The cancel lands after the memory store leased the task and before the scheduler starts it:
      // the same turn of microtasks, which a cancel from a listener or a promise chain can hit.
      const claim = MemoryTaskStore.prototype.claim;
      let cancelled: Promise<boolean> | undefined;
      const spy = vi.spyOn(MemoryTaskStore.prototype, "claim").mockImplementation(async function (
        this: MemoryTaskStore,
        request: ClaimRequest,
      ) {
        const result = await claim.call(this, request);
        const first = result.claimed.find((one) => one.payload === 1);
        if (first !== undefined && cancelled === undefined) {
          cancelled = errand.cancel(first.id);
          await cancelled;
        }
        return result;
      });
      closeLater(() => spy.mockRestore());
      const handle = await errand.enqueue("work", 1, { durable: false });
      await expect(handle.result()).rejects.toMatchObject({ code: "cancelled" });
      expect(await cancelled).toBe(true);

      // A later task takes the one slot only after whatever the cancelled one started has ended.
      const after = await errand.enqueue("work", 2, { durable: false });
      expect(await after.result()).toBe(2);
      expect(seen.filter(({ id }) => id === handle.id).map(({ type }) => type)).toEqual([
        "task.enqueued",
        "task.cancelled",
      ]);
      expect(ran).toEqual([2]);
    });
  });

  describe("when a running task is cancelled", () => {
    it("has aborted the attempt's signal by the time task.cancelled is heard", async () => {
      const { hold, running, signal } = holding();
      const errand = await runtime({ tasks, handlers: { hold } });
      const heard: (boolean | undefined)[] = [];
      errand.on("task.cancelled", () => heard.push(signal()?.aborted));
      const handle = await errand.enqueue("hold", 1, { durable: false });
      await running;
      expect(await errand.cancel(handle.id)).toBe(true);
      await expect(handle.result()).rejects.toMatchObject({ code: "cancelled" });
      // Stopped in the turn that announces it, so no claim pass can start the task in between.
      expect(heard).toEqual([true]);
    });

    it("has aborted the attempt's signal when it hears another context's cancel", async () => {
      const { hold, running, signal } = holding();
      const dbName = `q-${crypto.randomUUID()}`;
      const runner = await runtime({ tasks, dbName, handlers: { hold } });
      const heard: { remote: boolean | undefined; aborted: boolean | undefined }[] = [];
      runner.on("task.cancelled", (detail) =>
        heard.push({ remote: detail.remote, aborted: signal()?.aborted }),
      );
      const handle = await runner.enqueue("hold", 1);
      await running;
      // Another context of the same database (as another tab), opened once the task runs here.
      const other = await runtime({ tasks, dbName, handlers: {} });
      expect(await other.cancel(handle.id)).toBe(true);
      await expect(handle.result()).rejects.toMatchObject({ code: "cancelled" });
      await vi.waitFor(() => expect(heard).toEqual([{ remote: true, aborted: true }]));
    });
  });
});
