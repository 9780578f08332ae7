import { resolvePolicy, StorageError } from "@errand/core";
import { afterEach, describe, expect, it } from "vitest";
import { buildRecord } from "../lifecycle/enqueue-options.ts";
import type { Executor } from "../lifecycle/executor.ts";
import type { TaskRecord } from "../lifecycle/task-record.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import { Scheduler } from "./scheduler.ts";
import type { SchedulerOptions } from "./scheduler-options.ts";

const defs = { work: { version: 1 } };

/** An executor of `slots` slots whose every attempt succeeds a timer turn after it started. */
function quickExecutor(slots: number): Executor {
  let running = 0;
  const listeners = new Set<() => void>();
  return {
    get freeSlots() {
      return slots - running;
    },
    async execute(request) {
      running += 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
      running -= 1;
      for (const listener of listeners) listener();
      return { ok: true, result: request.payload };
    },
    onSlotFree(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {},
  };
}

/**
 * An executor of `slots` slots whose attempt of payload `{ ms }` takes that long; `heard` records
 * each attempt's start and end, by task id.
 */
function timedExecutor(slots: number, heard: { started: Map<string, number>; ended: Map<string, number> }) {
  let running = 0;
  const listeners = new Set<() => void>();
  const executor: Executor = {
    get freeSlots() {
      return slots - running;
    },
    async execute(request) {
      running += 1;
      heard.started.set(request.id, performance.now());
      await new Promise((resolve) => setTimeout(resolve, (request.payload as { ms: number }).ms));
      heard.ended.set(request.id, performance.now());
      running -= 1;
      for (const listener of listeners) listener();
      return { ok: true, result: null };
    },
    onSlotFree(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {},
  };
  return executor;
}

/** A memory store whose every commit takes `delayMs`, as an IndexedDB transaction does. */
class SlowStore extends MemoryTaskStore {
  constructor(readonly delayMs: number) {
    super();
  }
  override async commit(...args: Parameters<MemoryTaskStore["commit"]>) {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.commit(...args);
  }
}

/** A memory store that counts its commits. */
class CountingStore extends MemoryTaskStore {
  commits = 0;
  override commit(...args: Parameters<MemoryTaskStore["commit"]>) {
    this.commits += 1;
    return super.commit(...args);
  }
}

const schedulers: Scheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.close();
});

/** A scheduler over `store` whose runtime-side hooks record what they hear. */
function schedulerOver(store: MemoryTaskStore, options: Partial<SchedulerOptions>) {
  const succeeded: string[] = [];
  const scheduler = new Scheduler({
    slots: [{ store, durable: false }],
    executor: quickExecutor(2),
    owner: "me",
    leaseMs: 15_000,
    prefetch: 32,
    commitMs: 4,
    commitEvery: 64,
    pollMs: 60_000,
    defs,
    policyOf: () => resolvePolicy({}),
    transferOf: () => undefined,
    liveness: async () => ({ liveOwners: undefined, checkedAt: Date.now(), aliveGraceMs: 0 }),
    changed: (_before, after) => {
      if (after.state === "succeeded") succeeded.push(after.id);
    },
    emit: () => {},
    progress: () => {},
    leaseLost: () => {},
    failed: (error) => {
      throw error;
    },
    ...options,
  });
  schedulers.push(scheduler);
  return { scheduler, succeeded };
}

async function enqueue(
  store: MemoryTaskStore,
  n: number,
  payload: (i: number) => unknown = (i) => i,
  options: { prefix?: string; priority?: number } = {},
): Promise<TaskRecord[]> {
  const now = Date.now();
  const { prefix = "t", priority } = options;
  const records = Array.from({ length: n }, (_, i) =>
    buildRecord(
      "work",
      payload(i),
      priority === undefined ? { durable: false } : { durable: false, priority },
      { id: `${prefix}${String(i).padStart(4, "0")}`, now, defs, policies: {} },
    ),
  );
  return (await store.insert(records)).map((one) => one.record);
}

describe("the scheduler's commits", () => {
  describe("when the window feeds the slots", () => {
    it("commits the outcomes of quick tasks in groups, each with the claim that refills the window", async () => {
      const store = new CountingStore();
      await enqueue(store, 300);
      const { scheduler, succeeded } = schedulerOver(store, {});
      scheduler.wake();
      await expect.poll(() => succeeded.length).toBe(300);
      // One commit per outcome would be 300; grouped, a commit carries several.
      expect(store.commits).toBeLessThan(100);
    });
  });

  describe("with prefetch 0", () => {
    it("claims only for free slots, and commits each outcome with the claim of the slot it freed", async () => {
      const store = new CountingStore();
      await enqueue(store, 40);
      const claims: number[] = [];
      const claim = store.claim.bind(store);
      store.claim = async (request) => {
        claims.push(request.limit);
        return claim(request);
      };
      const { scheduler, succeeded } = schedulerOver(store, { prefetch: 0 });
      scheduler.wake();
      await expect.poll(() => succeeded.length).toBe(40);
      expect(Math.max(...claims)).toBe(2);
    });
  });

  describe("when the automatic window shrinks because attempts got longer", () => {
    it("hands back its tail, so a later higher-priority task waits for a slot, not for the whole window", async () => {
      const store = new SlowStore(10);
      await enqueue(store, 300, () => ({ ms: 1 }), { prefix: "short" });
      await enqueue(store, 80, () => ({ ms: 100 }), { prefix: "long" });
      const heard = { started: new Map<string, number>(), ended: new Map<string, number>() };
      const { scheduler } = schedulerOver(store, {
        slots: [{ store, durable: true }],
        executor: timedExecutor(2, heard),
        prefetch: "auto",
        commitMs: 10,
      });
      scheduler.wake();
      // The short tasks sized the window large; the first long one to end shrinks it.
      await expect
        .poll(() => [...heard.ended.keys()].some((id) => id.startsWith("long")), { timeout: 10_000 })
        .toBe(true);
      const [urgent] = await enqueue(store, 1, () => ({ ms: 1 }), { prefix: "urgent", priority: 9 });
      const enqueuedAt = performance.now();
      scheduler.wake();
      await expect.poll(() => heard.started.has(urgent?.id ?? ""), { timeout: 10_000 }).toBe(true);
      // Two long attempts and a few commits at most; behind the window it waited some 4 s.
      expect((heard.started.get(urgent?.id ?? "") ?? Infinity) - enqueuedAt).toBeLessThan(600);
    }, 20_000);
  });

  describe("when a pass's transaction fails as a whole", () => {
    it("commits its changes one by one, so one result over quota fails only its own task", async () => {
      const store = new MemoryTaskStore();
      const [poison] = await enqueue(store, 40);
      // Like IndexedDB, whose transaction aborts with QuotaExceededError when one record is too large.
      const commit = store.commit.bind(store);
      store.commit = async (changes, claim) => {
        if (changes.some((one) => one.id === poison?.id && one.event.type === "succeed"))
          throw new StorageError("quota_exceeded", "QuotaExceededError");
        return commit(changes, claim);
      };
      const failures: unknown[] = [];
      const { scheduler, succeeded } = schedulerOver(store, { failed: (error) => failures.push(error) });
      scheduler.wake();
      await expect.poll(() => succeeded.length).toBe(39);
      await expect.poll(async () => (await store.get(poison?.id ?? ""))?.state).toBe("dead");
      expect((await store.get(poison?.id ?? ""))?.error?.code).toBe("result_not_storable");
      expect(failures).toEqual([]);
    });
  });
});
