import { deserializeError, NonRetryableError, ValidationError, VersionUnsupportedError } from "@errand/core";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecutionOutcome, ExecutionRequest } from "../lifecycle/executor.ts";
import { closeAll, fixturePool, never, quiet, request, watch } from "./fixtures/harness.ts";
import type { Probe } from "./fixtures/tasks.ts";
import type { WorkerPool } from "./worker-pool.ts";

afterEach(closeAll);

/** Runs `requests` the way the scheduler does: only as many as `freeSlots`, more on `onSlotFree`. */
function drain(pool: WorkerPool, requests: ExecutionRequest[]) {
  const outcomes: Promise<ExecutionOutcome>[] = [];
  let next = 0;
  let mostActive = 0;
  return new Promise<{ outcomes: ExecutionOutcome[]; mostActive: number }>((resolve) => {
    const fill = () => {
      while (next < requests.length && pool.freeSlots > 0) {
        outcomes.push(pool.execute(requests[next++] as ExecutionRequest, quiet, never));
        mostActive = Math.max(mostActive, pool.stats().active);
      }
      if (next === requests.length) {
        unsubscribe();
        void Promise.all(outcomes).then((all) => resolve({ outcomes: all, mostActive }));
      }
    };
    const unsubscribe = pool.onSlotFree(fill);
    fill();
  });
}

function resultOf<T>(outcome: ExecutionOutcome): T {
  if (!outcome.ok) throw deserializeError(outcome.error);
  return outcome.result as T;
}

describe("a worker pool", () => {
  it("runs 1,000 tasks on a pool of 3 with never more than 3 running at once", async () => {
    const pool = fixturePool({ size: 3 });
    expect(pool.freeSlots).toBe(3);
    const requests = Array.from({ length: 1000 }, (_, i) =>
      request("probe", { holdMs: i % 7 === 0 ? 1 : 0 }),
    );
    const { outcomes, mostActive } = await drain(pool, requests);

    const probes = outcomes.map((o) => resultOf<Probe>(o));
    expect(probes).toHaveLength(1000);
    // Inside the workers: each ran one attempt at a time, and there were never more than 3 workers.
    expect(Math.max(...probes.map((p) => p.maxRunning))).toBe(1);
    expect(new Set(probes.map((p) => p.workerId)).size).toBeLessThanOrEqual(3);
    expect(mostActive).toBeLessThanOrEqual(3);
    expect(pool.stats()).toMatchObject({ active: 0, waiting: 0, crashed: 0, killed: 0 });
    expect(pool.stats().started).toBeLessThanOrEqual(3);
  });

  it("makes calls beyond the free slots wait for one instead of overloading a worker", async () => {
    const pool = fixturePool({ size: 2 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => pool.execute(request("probe", { holdMs: 1 }), quiet, never)),
    );
    const probes = outcomes.map((o) => resultOf<Probe>(o));
    expect(Math.max(...probes.map((p) => p.maxRunning))).toBe(1);
    expect(new Set(probes.map((p) => p.workerId)).size).toBeLessThanOrEqual(2);
  });

  describe("when concurrencyPerWorker is 2", () => {
    it("runs two async handlers at once on one worker, never three", async () => {
      const pool = fixturePool({ size: 1, concurrencyPerWorker: 2 });
      expect(pool.freeSlots).toBe(2);
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () =>
          pool.execute(request("rendezvous", { expect: 2, maxWaitMs: 5_000 }), quiet, never),
        ),
      );
      const probes = outcomes.map((o) => resultOf<Probe>(o));
      expect(new Set(probes.map((p) => p.workerId)).size).toBe(1);
      expect(Math.max(...probes.map((p) => p.maxRunning))).toBe(2);
    });
  });

  it("starts every worker up front when asked to prewarm", async () => {
    const pool = fixturePool({ size: 2, prewarm: true });
    await expect.poll(() => pool.stats().workers).toBe(2);
    expect(pool.stats().started).toBe(2);
    expect(resultOf(await pool.execute(request("echo", { text: "warm" }), quiet, never))).toBe("warm");
    expect(pool.stats().started).toBe(2);
  });

  it("stops an idle worker and starts a new one for the next task", async () => {
    const pool = fixturePool({ size: 1, idleTimeoutMs: 50 });
    expect(resultOf(await pool.execute(request("echo", { text: "one" }), quiet, never))).toBe("one");
    await expect.poll(() => pool.stats().workers).toBe(0);
    expect(resultOf(await pool.execute(request("echo", { text: "two" }), quiet, never))).toBe("two");
    expect(pool.stats()).toMatchObject({ started: 2, crashed: 0 });
  });

  it("delivers progress in order, all of it before the outcome", async () => {
    const pool = fixturePool({ size: 1 });
    const seen: number[] = [];
    const outcome = await pool.execute(
      request("progress", { steps: 20 }),
      { progress: (v) => seen.push(v) },
      never,
    );
    expect(resultOf(outcome)).toBe(20);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, k) => (k + 1) / 20));
  });

  describe("when errors cross back from the worker", () => {
    it("keeps a NonRetryableError's class, code and the worker's stack", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(
        request("fail", { kind: "non-retryable", code: "bad_input" }),
        quiet,
        never,
      );
      expect(outcome.ok).toBe(false);
      const error = () => resultOf(outcome);
      expect(error).toThrow(NonRetryableError);
      expect(outcome).toMatchObject({ error: { code: "bad_input", retryable: false } });
      expect(outcome.ok ? "" : outcome.error.stack).toContain("pool.worker.ts");
    });

    it("keeps a plain error's name and makes it retryable", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(request("fail", { kind: "type-error", code: "" }), quiet, never);
      expect(outcome).toMatchObject({
        ok: false,
        error: { name: "TypeError", message: "a plain type error", retryable: true },
      });
    });

    it("fails a task type the worker has no handler for, without retries", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(request("elsewhere", { text: "x" }), quiet, never);
      expect(outcome).toMatchObject({ ok: false, error: { code: "unknown_task_type", retryable: false } });
    });

    it("fails a payload that cannot be cloned, without retries", async () => {
      const pool = fixturePool({ size: 1 });
      const bad = request("echo", { text: (() => "x") as unknown as string });
      const outcome = await pool.execute(bad, quiet, never);
      expect(outcome).toMatchObject({ ok: false, error: { code: "not_cloneable", retryable: false } });
      expect(resultOf(await pool.execute(request("echo", { text: "after" }), quiet, never))).toBe("after");
    });
  });

  describe("when a stored task has an older version", () => {
    it("runs it through the handler's declared upgrade", async () => {
      const pool = fixturePool({ size: 1 });
      const old = request("versioned", { t: "hello" } as unknown as { text: string }, { version: 1 });
      expect(resultOf(await pool.execute(old, quiet, never))).toBe("hello (from v1)!");
      expect(resultOf(await pool.execute(request("versioned", { text: "now" }), quiet, never))).toBe("now!");
    });

    it("fails it with version_unsupported, not retryable, when no upgrade is declared", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(request("strict", { text: "x" }, { version: 1 }), quiet, never);
      expect(() => resultOf(outcome)).toThrow(VersionUnsupportedError);
      expect(outcome).toMatchObject({ ok: false, error: { code: "version_unsupported", retryable: false } });
    });

    it("fails a task written for a newer version than the handler's", async () => {
      const pool = fixturePool({ size: 1 });
      const outcome = await pool.execute(request("versioned", { text: "x" }, { version: 3 }), quiet, never);
      expect(outcome).toMatchObject({ ok: false, error: { code: "version_unsupported", retryable: false } });
    });
  });

  describe("when the request is invalid", () => {
    it("refuses it with a ValidationError naming each problem, without touching a worker", async () => {
      const pool = fixturePool({ size: 1 });
      const bad = { ...request("echo", { text: "x" }), attempt: 0, version: 1.5, timeoutMs: -1 };
      const outcome = await pool.execute(bad, quiet, never);
      expect(() => resultOf(outcome)).toThrow(ValidationError);
      expect(outcome.ok ? [] : outcome.error.details?.issues).toEqual([
        { path: "attempt", message: expect.any(String) },
        { path: "version", message: expect.any(String) },
        { path: "timeoutMs", message: expect.any(String) },
      ]);
      expect(pool.stats().started).toBe(0);
    });
  });

  describe("when it is closed", () => {
    it("has no free slots and refuses new work as pool_closed", async () => {
      const pool = fixturePool({ size: 1 });
      await pool.close();
      expect(pool.freeSlots).toBe(0);
      expect(await pool.execute(request("echo", { text: "x" }), quiet, never)).toMatchObject({
        ok: false,
        error: { code: "pool_closed" },
      });
    });

    it("settles the attempts in flight as retryable crashes", async () => {
      const pool = fixturePool({ size: 1 });
      const hooks = watch();
      const running = pool.execute(request("hang", {}), hooks, never);
      await hooks.running;
      await pool.close();
      expect(await running).toMatchObject({ ok: false, error: { code: "worker_crashed", retryable: true } });
    });
  });
});
