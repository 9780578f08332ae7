import { afterEach, describe, expect, it } from "vitest";
import type { TaskEventDetail } from "../lifecycle/task-events.ts";
import { createErrand } from "../runtime/create-errand.ts";
import type { Errand } from "../runtime/errand.ts";
import type { ErrandOptions } from "../runtime/runtime-options.ts";
import { poolWorkerUrl } from "./fixtures/harness.ts";
import { type Probe, poolTasks } from "./fixtures/tasks.ts";

type PoolTasks = typeof poolTasks;
const open: Errand<PoolTasks>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((errand) => errand.close()));
});

async function start(options: Partial<ErrandOptions<PoolTasks>> = {}): Promise<Errand<PoolTasks>> {
  const errand = await createErrand<PoolTasks>({
    tasks: poolTasks,
    dbName: `pool-${crypto.randomUUID()}`,
    persist: false,
    worker: poolWorkerUrl,
    ...options,
  });
  open.push(errand);
  return errand;
}

describe("an Errand runtime with a worker", () => {
  it("runs 1,000 durable tasks on a pool of 3, all succeeding, never more than 3 at once", async () => {
    const errand = await start({ concurrency: 3 });
    const handles = await errand.enqueueMany(
      Array.from({ length: 1000 }, () => ({ type: "probe" as const, payload: { holdMs: 0 } })),
    );
    const probes = (await Promise.all(handles.map((h) => h.result()))) as Probe[];

    expect(probes).toHaveLength(1000);
    expect(Math.max(...probes.map((p) => p.maxRunning))).toBe(1);
    expect(new Set(probes.map((p) => p.workerId)).size).toBeLessThanOrEqual(3);
    const succeeded = await errand.list({ state: "succeeded" });
    expect(succeeded).toHaveLength(1000);
    expect(succeeded.every((t) => t.attempts === 1)).toBe(true);
  });

  it("moves a payload's marked buffer to the worker for an ephemeral task, detaching the page's copy", async () => {
    const errand = await start();
    const buffer = new Uint8Array([1, 2, 3, 250]).buffer;
    const handle = await errand.enqueue("sum", { buffer }, { durable: false, transfer: [buffer] });
    expect(await handle.result()).toEqual({ length: 4, total: 256 });
    expect(buffer.byteLength).toBe(0);
  });

  it("refuses transferables on a durable task at enqueue, storing nothing", async () => {
    const errand = await start();
    const buffer = new Uint8Array([1]).buffer;
    await expect(errand.enqueue("sum", { buffer }, { transfer: [buffer] })).rejects.toMatchObject({
      name: "ValidationError",
      issues: [{ path: "options.transfer" }],
    });
    expect(buffer.byteLength).toBe(1);
    expect(await errand.list()).toEqual([]);
  });

  it("retries a task whose worker crashed, on a replacement worker, until it succeeds", async () => {
    const errand = await start({
      worker: { url: poolWorkerUrl, size: 1, restartBackoff: { baseMs: 1, maxMs: 10 } },
    });
    const failures: TaskEventDetail[] = [];
    errand.on("task.failed", (detail) => failures.push(detail));
    const handle = await errand.enqueue(
      "crash",
      { how: "close", crashOnAttempt: 1 },
      { retry: { maxAttempts: 3, backoff: { kind: "fixed", delayMs: 1 } } },
    );

    expect(await handle.result()).toBe("survived attempt 2");
    expect(await errand.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(failures.map((f) => f.error?.code)).toEqual(["worker_crashed"]);
  });

  it("sends a task that times out and keeps ignoring its signal to dead after its attempts", async () => {
    const errand = await start({ worker: { url: poolWorkerUrl, size: 1, graceMs: 20 } });
    const handle = await errand.enqueue(
      "hang",
      {},
      { timeout: 50, retry: { maxAttempts: 2, backoff: { kind: "fixed", delayMs: 1 } } },
    );

    await expect(handle.result()).rejects.toMatchObject({ code: "timeout" });
    expect(await errand.get(handle.id)).toMatchObject({ state: "dead", attempts: 2 });
    expect(await (await errand.enqueue("echo", { text: "still works" })).result()).toBe("still works");
  });

  it("reports a handler's progress as task.progress events, in order", async () => {
    const errand = await start({ concurrency: 1 });
    const seen: number[] = [];
    errand.on("task.progress", (detail) => {
      if (detail.progress !== undefined) seen.push(detail.progress);
    });
    const handle = await errand.enqueue("progress", { steps: 10 });
    expect(await handle.result()).toBe(10);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, k) => (k + 1) / 10));
  });
});
