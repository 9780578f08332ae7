import { CancelledError, deserializeError, TimeoutError, WorkerCrashedError } from "@errand/core";
import { afterEach, describe, expect, it } from "vitest";
import { deferred } from "../fixtures/deferred.ts";
import type { ExecutionOutcome } from "../lifecycle/executor.ts";
import {
  brokenWorkerUrl,
  closeAll,
  fixturePool,
  never,
  poolWorker,
  quiet,
  request,
  silentWorkerUrl,
  watch,
} from "./fixtures/harness.ts";

afterEach(closeAll);

function errorOf(outcome: ExecutionOutcome): Error {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.result)}`);
  return deserializeError(outcome.error);
}

describe("a worker pool", () => {
  describe("when a task is cancelled", () => {
    it("aborts the handler's signal and keeps the worker when the handler stops", async () => {
      const pool = fixturePool({ size: 1, graceMs: 10_000 });
      const cancel = new AbortController();
      const hooks = watch();
      const running = pool.execute(request("cooperative", {}), hooks, cancel.signal);
      await hooks.running;
      cancel.abort();
      expect(errorOf(await running)).toBeInstanceOf(CancelledError);
      expect(pool.stats()).toMatchObject({ started: 1, killed: 0, workers: 1 });
    });

    it("reports no progress the handler sends after it was cancelled", async () => {
      const pool = fixturePool({ size: 1, graceMs: 10_000 });
      const cancel = new AbortController();
      const seen: number[] = [];
      const { promise: running, resolve: started } = deferred();
      const hooks = {
        progress: (value: number) => {
          seen.push(value);
          started();
        },
      };
      const outcome = pool.execute(request("lingering", {}), hooks, cancel.signal);
      await running;
      cancel.abort();
      // The worker sends every progress report before its reply: all have arrived by now.
      expect(errorOf(await outcome)).toBeInstanceOf(CancelledError);
      expect(seen).toEqual([0]);
    });

    it("terminates a handler that ignores its signal after the grace period, and the next task runs normally", async () => {
      const pool = fixturePool({ size: 1, graceMs: 50 });
      const cancel = new AbortController();
      const hooks = watch();
      const running = pool.execute(request("hang", {}), hooks, cancel.signal);
      await hooks.running;
      cancel.abort();
      expect(errorOf(await running)).toBeInstanceOf(CancelledError);
      expect(pool.stats()).toMatchObject({ killed: 1, crashed: 0 });

      const next = await pool.execute(request("echo", { text: "unaffected" }), quiet, never);
      expect(next).toEqual({ ok: true, result: "unaffected" });
      expect(pool.stats()).toMatchObject({ started: 2, killed: 1 });
    });

    it("answers at once when it is cancelled while waiting for a worker to start", async () => {
      const pool = fixturePool({ url: silentWorkerUrl, size: 1, startTimeoutMs: 60_000 });
      const cancel = new AbortController();
      const waiting = pool.execute(request("echo", { text: "x" }), quiet, cancel.signal);
      cancel.abort();
      expect(errorOf(await waiting)).toBeInstanceOf(CancelledError);
      expect(pool.freeSlots).toBe(1);
    });
  });

  describe("when a task runs past its timeout", () => {
    it("fails it with a retryable TimeoutError, replaces the worker, and a retry succeeds", async () => {
      const pool = fixturePool({ size: 1, graceMs: 50 });
      const outcome = await pool.execute(request("hang", {}, { timeoutMs: 100 }), quiet, never);
      const error = errorOf(outcome);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: "timeout", retryable: true });
      expect(pool.stats()).toMatchObject({ killed: 1 });

      const retry = await pool.execute(
        request("crash", { how: "close", crashOnAttempt: 1 }, { attempt: 2 }),
        quiet,
        never,
      );
      expect(retry).toEqual({ ok: true, result: "survived attempt 2" });
      expect(pool.stats().started).toBe(2);
    });

    it("keeps the worker when the handler stops on its signal", async () => {
      const pool = fixturePool({ size: 1, graceMs: 10_000 });
      const outcome = await pool.execute(request("cooperative", {}, { timeoutMs: 50 }), quiet, never);
      expect(errorOf(outcome)).toBeInstanceOf(TimeoutError);
      expect(pool.stats()).toMatchObject({ started: 1, killed: 0, workers: 1 });
    });

    it("does not count the time spent waiting for a slot", async () => {
      const pool = fixturePool({ size: 1 });
      const first = pool.execute(request("rendezvous", { expect: 2, maxWaitMs: 1_500 }), quiet, never);
      // Queued behind a 1.5 s task with a 1 s timeout: it would time out if queue time counted.
      const second = pool.execute(request("echo", { text: "on time" }, { timeoutMs: 1_000 }), quiet, never);
      expect((await first).ok).toBe(true);
      expect(await second).toEqual({ ok: true, result: "on time" });
    });
  });

  describe("when a worker crashes mid-task", () => {
    for (const how of ["close", "throw"] as const) {
      it(`fails its task with WorkerCrashedError when it ${how === "close" ? "calls self.close()" : "throws in a timer"}, and a retry succeeds on a replacement`, async () => {
        const pool = fixturePool({ size: 1 });
        const crashing = request("crash", { how, crashOnAttempt: 1 });
        const error = errorOf(await pool.execute(crashing, quiet, never));
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect(error).toMatchObject({ code: "worker_crashed", retryable: true });
        if (how === "throw") expect(error.message).toContain("thrown from a timer");
        expect(pool.stats()).toMatchObject({ crashed: 1 });

        const retry = await pool.execute({ ...crashing, attempt: 2 }, quiet, never);
        expect(retry).toEqual({ ok: true, result: "survived attempt 2" });
        expect(pool.stats()).toMatchObject({ started: 2, crashed: 1, workers: 1 });
      });
    }

    it("fails every attempt in flight on that worker, and only those", async () => {
      const pool = fixturePool({ size: 1, concurrencyPerWorker: 2 });
      const sibling = pool.execute(request("hang", {}), quiet, never);
      const crashing = pool.execute(request("crash", { how: "close", crashOnAttempt: 1 }), quiet, never);
      expect(errorOf(await crashing)).toBeInstanceOf(WorkerCrashedError);
      expect(errorOf(await sibling)).toBeInstanceOf(WorkerCrashedError);
      expect(await pool.execute(request("echo", { text: "fresh" }), quiet, never)).toEqual({
        ok: true,
        result: "fresh",
      });
    });
  });

  describe("when a worker fails to start", () => {
    it("fails the task with WorkerCrashedError when the script throws at load, and a retry succeeds on a replacement", async () => {
      let created = 0;
      const pool = fixturePool({
        size: 1,
        restartBackoff: { baseMs: 10, maxMs: 20 },
        createWorker: () => {
          created += 1;
          return created === 1 ? new Worker(brokenWorkerUrl, { type: "module" }) : poolWorker();
        },
      });
      const error = errorOf(await pool.execute(request("echo", { text: "x" }), quiet, never));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toContain("this worker script is broken");

      expect(await pool.execute(request("echo", { text: "retry" }, { attempt: 2 }), quiet, never)).toEqual({
        ok: true,
        result: "retry",
      });
      expect(pool.stats()).toMatchObject({ started: 2, crashed: 1 });
    });

    it("starts a permanently broken script only when a task needs it, never in a loop", async () => {
      const pool = fixturePool({ url: brokenWorkerUrl, size: 1, restartBackoff: { baseMs: 10, maxMs: 40 } });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const outcome = await pool.execute(request("echo", { text: "x" }, { attempt }), quiet, never);
        expect(errorOf(outcome)).toBeInstanceOf(WorkerCrashedError);
      }
      expect(pool.stats()).toMatchObject({ started: 3, crashed: 3, workers: 0, active: 0 });
      expect(pool.freeSlots).toBe(1);
    });

    it("fails the task with what to do when the script does not load (TypeScript a build did not compile)", async () => {
      // A production host serves a `.ts` file as video/mp2t, or not at all: no script runs.
      const url = new URL("/assets/tasks.worker-Ab12.ts", location.href);
      const pool = fixturePool({ url, size: 1, restartBackoff: { baseMs: 10, maxMs: 20 } });
      const error = errorOf(await pool.execute(request("echo", { text: "x" }), quiet, never));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toContain(`The worker script did not load: ${url.href}.`);
      expect(error.message).toContain("TypeScript source");
      expect(error.message).toContain(
        'new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" })',
      );
    });

    it("fails the task when the script never calls expose within the start timeout", async () => {
      const pool = fixturePool({ url: silentWorkerUrl, size: 1, startTimeoutMs: 300 });
      const error = errorOf(await pool.execute(request("echo", { text: "x" }), quiet, never));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toContain("expose()");
    });

    it("fails the task when the worker cannot even be constructed", async () => {
      const pool = fixturePool({
        size: 1,
        createWorker: () => {
          throw new SyntaxError("bad worker URL");
        },
      });
      const error = errorOf(await pool.execute(request("echo", { text: "x" }), quiet, never));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toContain("bad worker URL");
    });
  });
});
