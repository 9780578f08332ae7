import {
  CancelledError,
  defineTasks,
  NonRetryableError,
  StorageError,
  task,
  ValidationError,
} from "@errand/core";
import { openDB } from "idb";
import { afterEach, describe, expect, it } from "vitest";
import { openShippedLayout } from "../fixtures/shipped-schema.ts";
import type { HandlerContext } from "../lifecycle/executor.ts";
import type { TaskEventType } from "../lifecycle/task-events.ts";
import { createErrand } from "./create-errand.ts";
import type { Errand } from "./errand.ts";
import type { ErrandOptions } from "./runtime-options.ts";

const tasks = defineTasks({
  echo: task<{ value: number }, number>(),
  flaky: task<{ failures: number }, string>(),
  slow: task<{ ms: number }, string>(),
});
type Tasks = typeof tasks;

const open: Errand<Tasks>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function start(options: Partial<ErrandOptions<Tasks>> = {}): Promise<Errand<Tasks>> {
  const errand = await createErrand<Tasks>({
    tasks,
    dbName: `q-${crypto.randomUUID()}`,
    persist: false,
    ...options,
  });
  open.push(errand);
  return errand;
}

function record(errand: Errand<Tasks>, types: TaskEventType[]) {
  const seen: { type: TaskEventType; id: string; at: number }[] = [];
  for (const type of types) errand.on(type, (d) => seen.push({ type, id: d.id, at: Date.now() }));
  return seen;
}

async function rawCount(dbName: string): Promise<number> {
  const db = await openDB(dbName);
  const n = db.objectStoreNames.contains("tasks") ? await db.count("tasks") : 0;
  db.close();
  return n;
}

function yieldToEventLoop(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

function sleepSignal(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

describe("an Errand runtime", () => {
  it("commits a task before enqueue resolves and resolves its result after it ran", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const errand = await start({ dbName, handlers: { echo: ({ value }) => value * 2 } });
    const handle = await errand.enqueue("echo", { value: 21 });
    expect(await rawCount(dbName)).toBe(1);
    expect(await handle.result()).toBe(42);
    expect(await errand.get(handle.id)).toMatchObject({
      state: "succeeded",
      attempts: 1,
      result: 42,
      version: 1,
    });
  });

  it("emits an event for every transition", async () => {
    const errand = await start({
      handlers: {
        flaky: async (_p, ctx) => {
          ctx.progress(0.5);
          if (ctx.attempt === 1) throw new Error("first time fails");
          return "ok";
        },
      },
    });
    const seen = record(errand, [
      "task.enqueued",
      "task.started",
      "task.progress",
      "task.failed",
      "task.retrying",
      "task.succeeded",
    ]);
    const handle = await errand.enqueue(
      "flaky",
      { failures: 1 },
      { retry: { backoff: { kind: "fixed", delayMs: 1 } } },
    );
    await handle.result();
    expect(seen.map((e) => e.type)).toEqual([
      "task.enqueued",
      "task.started",
      "task.progress",
      "task.failed",
      "task.retrying",
      "task.started",
      "task.progress",
      "task.succeeded",
    ]);
  });

  describe("when the input is bad", () => {
    it("rejects with a ValidationError and stores nothing, for one task and for a whole batch", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const errand = await start({ dbName });
      const bad = [
        () => errand.enqueue("nope" as "echo", { value: 1 }),
        () => errand.enqueue("toString" as "echo", { value: 1 }),
        () => errand.enqueue("constructor" as "echo", { value: 1 }),
        () => errand.enqueue("__proto__" as "echo", { value: 1 }),
        () => errand.enqueue("echo", { value: 1, f: () => 1 } as unknown as { value: number }),
        () => errand.enqueue("echo", { value: 1 }, { delay: -5 }),
        () => errand.enqueue("echo", { value: 1 }, { retry: { maxAttempts: 0 } }),
        () =>
          errand.enqueueMany([
            { type: "echo", payload: { value: 1 } },
            { type: "echo", payload: { value: 2 }, options: { priority: Number.NaN } },
          ]),
      ];
      for (const call of bad) await expect(call()).rejects.toBeInstanceOf(ValidationError);
      await expect(bad.at(-1)?.()).rejects.toMatchObject({ issues: [{ path: "items.1.options.priority" }] });
      await expect(
        errand.enqueueMany([
          { type: "echo", payload: { value: 1 } },
          { type: "echo", payload: { value: 2, f: () => 2 } as unknown as { value: number } },
        ]),
      ).rejects.toMatchObject({ issues: [{ path: "items.1.payload" }] });
      expect(await rawCount(dbName)).toBe(0);
    });

    it("refuses only the single enqueue whose payload cannot be stored, among calls that share its transaction", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const errand = await start({ dbName });
      const calls = await Promise.allSettled([
        errand.enqueue("echo", { value: 1 }),
        errand.enqueue("echo", { value: 2, f: () => 2 } as unknown as { value: number }),
        errand.enqueue("echo", { value: 3 }, { orderingKey: "k" }),
      ]);
      expect(calls.map((call) => call.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((calls[1] as PromiseRejectedResult).reason).toMatchObject({
        name: "ValidationError",
        issues: [{ path: "payload" }],
      });
      expect(await rawCount(dbName)).toBe(2);
    });
  });

  it("stores a batch in one transaction and coalesces concurrent single enqueues", async () => {
    const errand = await start();
    const handles = await errand.enqueueMany(
      Array.from({ length: 50 }, (_, i) => ({ type: "echo" as const, payload: { value: i } })),
    );
    const singles = await Promise.all(
      Array.from({ length: 50 }, (_, i) => errand.enqueue("echo", { value: i })),
    );
    expect(new Set([...handles, ...singles].map((h) => h.id)).size).toBe(100);
    expect((await errand.stats()).counts.pending).toBe(100);
  });

  describe("when an attempt fails", () => {
    it("times a durable task out after its own retry.timeoutMs, stored with it", async () => {
      const errand = await start({
        handlers: { slow: ({ ms }, ctx) => sleepSignal(ms, ctx.signal).then(() => "done") },
      });
      const handle = await errand.enqueue(
        "slow",
        { ms: 60_000 },
        { retry: { timeoutMs: 50, maxAttempts: 1 } },
      );
      await expect(handle.result()).rejects.toMatchObject({ code: "timeout" });
      expect(await errand.get(handle.id)).toMatchObject({
        state: "dead",
        attempts: 1,
        error: { code: "timeout" },
      });
    });

    it("retries per the policy: failing twice then succeeding ends succeeded after 3 attempts, each retry waiting its backoff", async () => {
      const starts: number[] = [];
      const failedAt: number[] = [];
      const errand = await start({
        handlers: {
          flaky: ({ failures }, ctx) => {
            starts.push(Date.now());
            if (ctx.attempt <= failures) {
              failedAt.push(Date.now());
              throw new Error(`failure ${ctx.attempt}`);
            }
            return `ok on ${ctx.attempt}`;
          },
        },
        policies: {
          flaky: {
            maxAttempts: 5,
            backoff: { kind: "exponential", baseMs: 40, maxMs: 1000, jitter: "none" },
          },
        },
      });
      const retries: number[] = [];
      errand.on("task.retrying", (d) => retries.push(d.runAt ?? Number.NaN));
      const handle = await errand.enqueue("flaky", { failures: 2 });
      expect(await handle.result()).toBe("ok on 3");
      expect(await errand.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 3 });
      // Backoff 40 ms, then 80 ms: each retry was scheduled at least that long after its failure
      // and started no earlier than scheduled.
      expect(retries).toHaveLength(2);
      expect((retries[0] ?? 0) - (failedAt[0] ?? Infinity)).toBeGreaterThanOrEqual(40);
      expect((retries[1] ?? 0) - (failedAt[1] ?? Infinity)).toBeGreaterThanOrEqual(80);
      expect(starts[1]).toBeGreaterThanOrEqual(retries[0] ?? Infinity);
      expect(starts[2]).toBeGreaterThanOrEqual(retries[1] ?? Infinity);
    });

    it("sends a task that throws a NonRetryableError straight to dead, and replay revives it", async () => {
      let calls = 0;
      const errand = await start({
        handlers: {
          flaky: () => {
            calls += 1;
            if (calls === 1) throw new NonRetryableError("bad input", { code: "bad_input" });
            return "second life";
          },
        },
      });
      const handle = await errand.enqueue("flaky", { failures: 0 });
      await expect(handle.result()).rejects.toMatchObject({ name: "NonRetryableError", code: "bad_input" });
      expect(await errand.get(handle.id)).toMatchObject({ state: "dead", attempts: 1 });
      expect(await errand.list({ state: "dead" })).toHaveLength(1);

      await errand.replay(handle.id);
      expect(await errand.handle(handle.id).result()).toBe("second life");
      expect(await errand.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 1 });
    });

    it("fails an attempt that runs past its timeout with a TimeoutError", async () => {
      const errand = await start({
        handlers: {
          slow: async ({ ms }, ctx) => {
            await sleepSignal(ms, ctx.signal);
            return "late";
          },
        },
      });
      const handle = await errand.enqueue("slow", { ms: 5_000 }, { timeout: 30, retry: { maxAttempts: 1 } });
      await expect(handle.result()).rejects.toMatchObject({ name: "TimeoutError", code: "timeout" });
    });
  });

  describe("ordering keys", () => {
    it("completes 100 tasks over 3 keys in enqueue order per key, one at a time per key", async () => {
      const finished: Record<string, number[]> = {};
      const active = new Map<string, number>();
      let overlap = false;
      const errand = await start({
        concurrency: 4,
        handlers: {
          echo: async ({ value }, ctx: HandlerContext) => {
            const key = `k${value % 3}`;
            active.set(key, (active.get(key) ?? 0) + 1);
            if ((active.get(key) ?? 0) > 1) overlap = true;
            // Yield a varying number of times (not setTimeout: the test page's timers are throttled).
            for (let n = ctx.id.charCodeAt(35) % 4; n > 0; n--) await yieldToEventLoop();
            active.set(key, (active.get(key) ?? 0) - 1);
            finished[key] = [...(finished[key] ?? []), value];
            return value;
          },
        },
      });
      const handles = [];
      for (let i = 0; i < 100; i++)
        handles.push(
          errand.enqueue("echo", { value: i }, { orderingKey: `k${i % 3}`, priority: (i * 7) % 5 }),
        );
      await Promise.all((await Promise.all(handles)).map((h) => h.result()));
      expect(overlap).toBe(false);
      for (const key of ["k0", "k1", "k2"]) {
        const values = finished[key] ?? [];
        expect(values).toEqual([...values].sort((a, b) => a - b));
      }
      expect(Object.values(finished).flat()).toHaveLength(100);
    });

    it("moves on past a dead head by default, and halts the key until replay when onDead is halt", async () => {
      const ran: string[] = [];
      let headRuns = 0;
      const errand = await start({
        handlers: {
          flaky: ({ failures }, ctx) => {
            ran.push(`${failures}:${ctx.attempt}`);
            // The head fails on its first run only; replayed, it succeeds.
            if (failures > 0 && ++headRuns === 1) throw new NonRetryableError("no");
            return "ok";
          },
        },
      });
      const [head, next] = await errand.enqueueMany([
        { type: "flaky", payload: { failures: 1 }, options: { orderingKey: "h", onDead: "halt" } },
        { type: "flaky", payload: { failures: 0 }, options: { orderingKey: "h" } },
      ]);
      await expect(head?.result()).rejects.toBeInstanceOf(NonRetryableError);
      await new Promise((r) => setTimeout(r, 100));
      expect((await errand.get(next?.id ?? ""))?.state).toBe("pending");
      await errand.replay(head?.id ?? "");
      await expect(next?.result()).resolves.toBe("ok");
      expect(ran).toEqual(["1:1", "1:1", "0:1"]);
    });
  });

  it("returns the unfinished task holding a dedup key instead of a new one", async () => {
    const errand = await start();
    const first = await errand.enqueue("echo", { value: 1 }, { dedupKey: "once" });
    const second = await errand.enqueue("echo", { value: 2 }, { dedupKey: "once" });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ id: first.id, created: false });
    expect((await errand.stats()).counts.pending).toBe(1);
  });

  it("does not start a delayed task before its delay", async () => {
    const started: number[] = [];
    const errand = await start({
      handlers: {
        echo: ({ value }) => {
          started.push(Date.now());
          return value;
        },
      },
    });
    const before = Date.now();
    await (await errand.enqueue("echo", { value: 1 }, { delay: 150 })).result();
    expect(started[0]).toBeGreaterThanOrEqual(before + 150);
  });

  it("runs higher priorities first", async () => {
    const order: number[] = [];
    const errand = await start({
      concurrency: 1,
      handlers: {
        echo: ({ value }) => {
          order.push(value);
          return value;
        },
      },
    });
    const handles = await errand.enqueueMany(
      [1, 5, 3, 9, 0].map((p) => ({
        type: "echo" as const,
        payload: { value: p },
        options: { priority: p },
      })),
    );
    await Promise.all(handles.map((h) => h.result()));
    expect(order).toEqual([9, 5, 3, 1, 0]);
  });

  describe("cancel", () => {
    it("cancels a pending task, which then never runs", async () => {
      const errand = await start({ handlers: { echo: ({ value }) => value } });
      const handle = await errand.enqueue("echo", { value: 1 }, { delay: 60_000 });
      expect(await errand.cancel(handle.id)).toBe(true);
      await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
      expect(await errand.cancel(handle.id)).toBe(false);
    });

    it("aborts a running attempt's signal", async () => {
      let aborted: unknown;
      let started = () => {};
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const errand = await start({
        handlers: {
          slow: async ({ ms }, ctx) => {
            started();
            await sleepSignal(ms, ctx.signal).catch((e) => {
              aborted = e;
              throw e;
            });
            return "finished";
          },
        },
      });
      const cancelled = record(errand, ["task.cancelled", "task.lease_lost", "task.succeeded"]);
      const handle = await errand.enqueue("slow", { ms: 30_000 });
      await running;
      expect(await errand.cancel(handle.id)).toBe(true);
      await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
      await expect.poll(() => aborted).toBeInstanceOf(CancelledError);
      expect(cancelled.map((e) => e.type)).toEqual(["task.cancelled"]);
    });
  });

  it("sends a task not started before its TTL to dead with ttl_expired", async () => {
    const errand = await start({
      concurrency: 1,
      handlers: {
        slow: async ({ ms }, ctx) => {
          await sleepSignal(ms, ctx.signal);
          return "done";
        },
      },
    });
    const blocker = await errand.enqueue("slow", { ms: 300 }, { priority: 10 });
    const late = await errand.enqueue("slow", { ms: 1 }, { ttl: 50 });
    await expect(late.result()).rejects.toMatchObject({ code: "ttl_expired" });
    expect(await blocker.result()).toBe("done");
  });

  it("gives a task's stored outcome to a runtime opened later on the same database", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const first = await createErrand<Tasks>({
      tasks,
      dbName,
      persist: false,
      handlers: { echo: ({ value }) => value + 1 },
    });
    const handle = await first.enqueue("echo", { value: 1 });
    await handle.result();
    await first.close();
    const second = await start({ dbName });
    expect(await second.handle(handle.id).result()).toBe(2);
    await expect(second.handle("no-such-task").result()).rejects.toMatchObject({ code: "not_found" });
  });

  it("keeps ephemeral tasks in memory with the same API", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const errand = await start({ dbName, handlers: { echo: ({ value }) => value } });
    const port = new MessageChannel().port1;
    const handle = await errand.enqueue("echo", { value: 7, port } as unknown as { value: number }, {
      durable: false,
    });
    expect(await handle.result()).toBe(7);
    expect(await errand.get(handle.id)).toMatchObject({ durable: false, state: "succeeded" });
    expect(await rawCount(dbName)).toBe(0);
  });

  it("reports counts, the oldest pending age and storage figures, and purges and sweeps finished tasks", async () => {
    const errand = await start({ handlers: { echo: ({ value }) => value }, retention: { succeeded: 1 } });
    await errand.enqueue("echo", { value: 1 }, { delay: 60_000 });
    const done = await errand.enqueue("echo", { value: 2 });
    await done.result();
    const stats = await errand.stats();
    expect(stats.counts).toMatchObject({ pending: 1, succeeded: 1, running: 0, dead: 0, cancelled: 0 });
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    if ("storage" in navigator) {
      expect(stats.storage.quota).toBeGreaterThan(0);
      expect(typeof stats.storage.persisted).toBe("boolean");
    } else {
      // WebKitGTK has no StorageManager: the figures are unknown, and say so.
      expect(stats.storage).toEqual({ usage: null, quota: null, persisted: null });
    }
    await new Promise((r) => setTimeout(r, 5));
    expect(await errand.sweep()).toBe(1);
    expect(await errand.get(done.id)).toBeUndefined();
    await expect(errand.purge({ state: "pending" as "dead" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("reports the age of the oldest pending task, not of the first one due", async () => {
    const errand = await start({ handlers: { echo: ({ value }) => value } });
    await errand.enqueue("echo", { value: 1 }, { delay: 60_000 });
    await new Promise((r) => setTimeout(r, 60));
    await errand.enqueue("echo", { value: 2 }, { delay: 1_000, priority: 10 });
    expect((await errand.stats()).oldestPendingAgeMs).toBeGreaterThanOrEqual(60);
  });

  describe("when the database was written by version 2 of the schema", () => {
    it("drops the state index on upgrade and keeps, lists, counts and runs the tasks", async () => {
      const source = `q-${crypto.randomUUID()}`;
      const first = await start({ dbName: source });
      await first.enqueueMany([
        { type: "echo", payload: { value: 1 } },
        { type: "echo", payload: { value: 2 }, options: { priority: 5 } },
      ]);
      await first.close();
      const raw = await openDB(source);
      const records = await raw.getAll("tasks");
      raw.close();

      const dbName = `q-${crypto.randomUUID()}`;
      const v2 = await openShippedLayout(dbName, 2);
      for (const r of records) await v2.put("tasks", r);
      v2.close();

      const errand = await start({ dbName, handlers: { echo: ({ value }) => value * 10 } });
      const ids = records.map((r) => r.id as string).sort();
      const upgraded = await openDB(dbName);
      expect([upgraded.version, [...upgraded.transaction("tasks").store.indexNames].sort()]).toEqual([
        5,
        ["dedup", "due", "finished", "gate"],
      ]);
      upgraded.close();
      for (const id of ids) expect(await errand.handle(id).result()).toBeGreaterThanOrEqual(10);
      expect((await errand.list({ state: "succeeded" })).map((t) => t.id)).toEqual(ids);
      expect((await errand.stats()).counts).toMatchObject({ pending: 0, succeeded: 2 });
    });
  });

  describe("when another tab opens a newer version of the database", () => {
    it("closes its connection, says so in an event, and fails later calls with a StorageError", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const errand = await start({ dbName });
      const changed = new Promise((resolve) => errand.on("storage.versionchange", resolve));
      const newer = await openDB(dbName, 99);
      newer.close();
      expect(await changed).toMatchObject({ newVersion: 99 });
      const failure = errand.enqueue("echo", { value: 1 });
      await expect(failure).rejects.toBeInstanceOf(StorageError);
      await expect(failure).rejects.toMatchObject({ code: "db_closed" });
    });
  });
});
