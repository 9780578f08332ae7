import { defineTasks, task } from "@errand/core";
import { describe, expect, it } from "vitest";
import { deferred } from "../fixtures/deferred.ts";
import { fixtureTasks } from "../fixtures/runtime.worker.ts";
import { localTask, testRuntimes } from "../fixtures/runtimes.ts";
import { transition } from "../lifecycle/transition.ts";
import { openQueueDb } from "../stores/db.ts";
import { IdbTaskStore } from "../stores/idb-task-store.ts";
import { fromStored, type StoredTask, toStored } from "../stores/stored-task.ts";

const { runtime, closeLater } = testRuntimes();

async function rawStore(dbName: string): Promise<IdbTaskStore> {
  const store = new IdbTaskStore(
    await openQueueDb(dbName, { onVersionChange() {}, onTerminated() {} }),
    dbName,
  );
  closeLater(() => store.close());
  return store;
}

/**
 * Leases task `id` to an owner "ghost" that holds no Web Lock (as if its page had closed), written
 * straight to the store, whatever the task's `runAt`; returns the record written. `started`: the
 * ghost started the attempt (its start mark committed), rather than holding it in its window.
 */
async function claimAsGhost(dbName: string, id: string, leaseMs: number, started = true) {
  const db = await openQueueDb(dbName, { onVersionChange() {}, onTerminated() {} });
  closeLater(() => db.close());
  const tx = db.transaction("tasks", "readwrite");
  const pending = fromStored((await tx.store.get(id)) as StoredTask);
  const taken = transition(pending, {
    type: "claim",
    owner: "ghost",
    now: Date.now(),
    leaseMs,
    maxAttempts: 5,
  });
  const written = started ? transition(taken, { type: "start", token: taken.fence, now: Date.now() }) : taken;
  await Promise.all([tx.store.put(toStored(written)), tx.done]);
  return written;
}

describe("leases", () => {
  it("re-runs a task whose owner was dropped mid-run without an ack at once, without waiting out its lease", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const worker = new Worker(new URL("../fixtures/runtime.worker.ts", import.meta.url), { type: "module" });
    closeLater(() => worker.terminate());
    const started = deferred<{ started: string; attempt: number }>();
    const ready = deferred();
    worker.onmessage = (event) => (event.data.ready ? ready.resolve() : started.resolve(event.data));
    // A lease of a minute: only the owner's vanished Web Lock can let the task run again in time.
    worker.postMessage({ dbName, leaseMs: 60_000 });
    await ready.promise;

    const producer = await runtime({ tasks: fixtureTasks, dbName });
    const handle = await producer.enqueue("hang", { label: "abandoned" });
    expect(await started.promise).toEqual({ started: handle.id, attempt: 1 });
    // Mid-run: the start mark (which rides with the worker's next pass) committed. A drop before
    // it would refund the attempt, as for a task that only waited in the window.
    await expect.poll(async () => (await localTask(producer, handle.id))?.lease?.started).toBe(true);
    const lease = (await localTask(producer, handle.id))?.lease;
    worker.terminate();

    const startedAt: number[] = [];
    const rescuer = await runtime({
      tasks: fixtureTasks,
      dbName,
      leaseMs: 400,
      pollMs: 50,
      handlers: {
        hang: ({ label }, ctx) => {
          startedAt.push(Date.now());
          return `${label} finished on attempt ${ctx.attempt}`;
        },
      },
    });
    expect(await rescuer.handle(handle.id).result()).toBe("abandoned finished on attempt 2");
    expect(startedAt).toHaveLength(1);
    expect(startedAt[0]).toBeLessThan((lease?.expiresAt ?? 0) - 30_000);
    expect(await rescuer.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 2, fence: 2 });
  });

  describe("when another owner took the task over", () => {
    it("refuses the first owner's late completion and heartbeat, leaving the new owner's attempt untouched", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const tasks = defineTasks({ work: task<{ n: number }, string>() });
      const running = deferred();
      const finish = deferred();
      const first = await runtime({
        tasks,
        dbName,
        leaseMs: 60_000,
        handlers: {
          work: async () => {
            running.resolve();
            await finish.promise;
            return "late";
          },
        },
      });
      const lost = deferred<{ id: string; error?: { code: string } }>();
      first.on("task.lease_lost", (detail) => lost.resolve(detail));
      const handle = await first.enqueue("work", { n: 1 });
      await running.promise;
      const held = await localTask(first, handle.id);

      // Another context judges the lease abandoned (its clock is past the expiry and the grace).
      const thief = await rawStore(dbName);
      const later = (held?.lease?.expiresAt ?? 0) + 1;
      const stolen = await thief.claim({
        owner: "thief",
        limit: 5,
        now: later,
        leaseMs: 60_000,
        maxAttempts: () => 5,
        liveOwners: new Set([first.owner]),
        checkedAt: later,
        aliveGraceMs: 0,
      });
      expect(stolen.claimed.map((t) => [t.id, t.lease?.token])).toEqual([[handle.id, 2]]);

      finish.resolve();
      expect(await lost.promise).toMatchObject({ id: handle.id, error: { code: "stale_lease" } });
      expect(await first.get(handle.id)).toMatchObject({
        state: "running",
        attempts: 2,
        lease: { owner: "thief", token: 2 },
      });
    });

    it("respects an expired lease whose owner still holds its Web Lock until the grace period ends", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const tasks = defineTasks({ work: task<{ n: number }, string>() });
      const owner = await runtime({
        tasks,
        dbName,
        leaseMs: 60_000,
        handlers: { work: () => new Promise<string>(() => {}) },
      });
      const handle = await owner.enqueue("work", { n: 1 });
      await expect.poll(async () => (await owner.get(handle.id))?.state).toBe("running");
      const expiresAt = (await localTask(owner, handle.id))?.lease?.expiresAt ?? 0;
      const locks = await navigator.locks.query();
      const live = new Set(
        (locks.held ?? []).flatMap((l) => (l.name?.endsWith(owner.owner) ? [owner.owner] : [])),
      );
      expect(live.has(owner.owner)).toBe(true);

      const other = await rawStore(dbName);
      const attempt = (now: number, rescue = true) =>
        other.claim({
          owner: "other",
          limit: 1,
          now,
          leaseMs: 1000,
          maxAttempts: () => 5,
          liveOwners: live,
          checkedAt: now,
          aliveGraceMs: 5_000,
          rescue,
        });
      const early = await attempt(expiresAt + 4_999);
      expect(early.claimed).toEqual([]);
      expect(early.nextWakeAt).toBe(expiresAt + 5_000);
      expect(early.rescueAt).toBe(expiresAt + 5_000);
      const notLooking = await attempt(expiresAt + 5_000, false);
      expect(notLooking).toEqual({ claimed: [], settled: [], nextWakeAt: undefined });
      expect((await attempt(expiresAt + 5_000)).claimed.map((t) => t.id)).toEqual([handle.id]);
    });
  });

  describe("when the runtime has a fixed owner id", () => {
    it("takes over a task a crashed earlier session of its owner id left running, once its lease lapsed", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const tasks = defineTasks({ work: task<{ n: number }, string>() });
      const producer = await runtime({ tasks, dbName });
      const handle = await producer.enqueue("work", { n: 7 });
      // The earlier session claimed it and died: nothing renews its lease.
      const crashed = await rawStore(dbName);
      const now = Date.now();
      const taken = await crashed.claim({
        owner: "fixed-owner",
        limit: 1,
        now,
        leaseMs: 200,
        maxAttempts: () => 5,
        liveOwners: undefined,
        checkedAt: now,
        aliveGraceMs: 0,
      });
      expect(taken.claimed.map((t) => t.id)).toEqual([handle.id]);
      // It ran: its start mark committed before the crash.
      const [marked] = await crashed.apply([
        { id: handle.id, event: { type: "start", token: taken.claimed[0]?.fence ?? 0, now } },
      ]);
      expect(marked?.ok).toBe(true);

      const restarted = await runtime({
        tasks,
        dbName,
        ownerId: "fixed-owner",
        leaseMs: 200,
        pollMs: 50,
        handlers: { work: ({ n }, ctx) => `${n} on attempt ${ctx.attempt}` },
      });
      // Bounded: the poll gives up after the project's poll timeout instead of hanging.
      await expect.poll(async () => (await restarted.get(handle.id))?.state).toBe("succeeded");
      expect(await restarted.handle(handle.id).result()).toBe("7 on attempt 2");
    });
  });

  describe("when the lost lease never started (its task waited in a closed tab's window)", () => {
    it("takes the task over without charging the attempt, so it runs even on its last one", async () => {
      const dbName = `q-${crypto.randomUUID()}`;
      const tasks = defineTasks({ work: task<{ n: number }, string>() });
      const producer = await runtime({ tasks, dbName });
      const handle = await producer.enqueue("work", { n: 7 }, { retry: { maxAttempts: 1 } });
      // Claimed ahead by a tab that then closed (its Web Lock is gone) before starting it.
      const ghost = await claimAsGhost(dbName, handle.id, 60_000, false);
      expect(ghost.lease?.started).toBe(false);

      const reloaded = await runtime({
        tasks,
        dbName,
        pollMs: 50,
        handlers: { work: ({ n }, ctx) => `${n} on attempt ${ctx.attempt}` },
      });
      expect(await reloaded.handle(handle.id).result()).toBe("7 on attempt 1");
      expect(await reloaded.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 1, fence: 2 });
    });
  });

  it("takes over a lock-less owner's task at its next look while its own tasks keep every pass busy", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const tasks = defineTasks({ tick: task<number, number>(), work: task<string, string>() });
    const ticks = 1_000;
    let ticked = 0;
    const rescued = deferred<{ at: number; ticked: number }>();
    // A poll of a minute: only the scheduler's own cadence of looks can find the lapsed lease in time.
    const errand = await runtime({
      tasks,
      dbName,
      concurrency: 1,
      leaseMs: 300,
      pollMs: 60_000,
      handlers: {
        tick: async (n) => {
          await new Promise((r) => setTimeout(r, 5));
          ticked += 1;
          return n;
        },
        work: (label) => {
          rescued.resolve({ at: Date.now(), ticked });
          return `${label} rescued`;
        },
      },
    });
    await errand.enqueueMany(
      Array.from({ length: ticks }, (_, i) => ({ type: "tick" as const, payload: i })),
    );
    await expect.poll(() => ticked).toBeGreaterThan(0);

    // An owner that never held a Web Lock (as if its page had closed) takes a task the runtime
    // has not seen running. The task waits a minute to be due, so the runtime cannot claim it
    // first; the other owner's claim, written straight to the store, ignores that.
    // Its lease lasts a minute: the vanished lock, seen at a look, is what frees the task.
    const handle = await errand.enqueue("work", "ghost's", { priority: 10, delay: 60_000 });
    const taken = await claimAsGhost(dbName, handle.id, 60_000);
    const expiresAt = taken.lease?.expiresAt ?? 0;

    expect(await errand.handle(handle.id).result()).toBe("ghost's rescued");
    const { at, ticked: before } = await rescued.promise;
    expect(at).toBeLessThan(expiresAt);
    expect(before).toBeLessThan(ticks);
  });

  it("looks for a lapsed lease within about a second of going idle, not at its next poll", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const tasks = defineTasks({ tick: task<number, number>(), work: task<string, string>() });
    let steps = 0;
    const rescued = deferred<number>();
    // A poll of a minute: only the wake-up for the next look can find the lapsed lease in time.
    const errand = await runtime({
      tasks,
      dbName,
      concurrency: 1,
      leaseMs: 300,
      pollMs: 60_000,
      handlers: {
        tick: (n) => n,
        work: (label) => {
          rescued.resolve(steps);
          return `${label} rescued`;
        },
      },
    });

    // The runtime looked as it started. Then an owner that never held a Web Lock takes a task the
    // runtime cannot claim first (it waits a minute to be due), writing straight to the store.
    const handle = await errand.enqueue("work", "ghost's", { delay: 60_000 });
    await claimAsGhost(dbName, handle.id, 200);

    // The runtime runs a task of its own and goes idle. Its passes for it came within a second of
    // its last look, so they did not look, and nothing else wakes it before the poll.
    expect(await (await errand.enqueue("tick", 1)).result()).toBe(1);

    // Timer steps, not wall time: the host pauses this VM for seconds at a time, which delays every
    // timer alike. The look is due within 10 steps of 100 ms; the poll only after 600.
    const limit = 50;
    const clock = new Promise<string>((resolve) => {
      const step = () => {
        steps += 1;
        if (steps >= limit) resolve(`not rescued within ${limit} steps of 100 ms`);
        else timer = setTimeout(step, 100);
      };
      let timer = setTimeout(step, 100);
      closeLater(() => clearTimeout(timer));
    });
    expect(await Promise.race([errand.handle(handle.id).result(), clock])).toBe("ghost's rescued");
    expect(await rescued.promise).toBeLessThan(limit);
    expect(await errand.get(handle.id)).toMatchObject({ state: "succeeded", attempts: 2 });
  });
});

describe("handler versions", () => {
  const v1 = defineTasks({ resize: task<{ w: number }, number>() });
  const v2 = defineTasks({
    resize: task<{ width: number }, number>({
      version: 2,
      upgrade: (old) => ({ width: (old as { w: number }).w }),
    }),
  });
  const v2strict = defineTasks({ resize: task<{ width: number }, number>({ version: 2 }) });

  it("runs a task written for an older version through the declared upgrade", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const old = await runtime({ tasks: v1, dbName });
    const handle = await old.enqueue("resize", { w: 640 });
    const current = await runtime({ tasks: v2, dbName, handlers: { resize: ({ width }) => width / 2 } });
    expect(await current.handle(handle.id).result()).toBe(320);
  });

  it("sends a task no handler can read to dead with version_unsupported, never to a handler", async () => {
    const dbName = `q-${crypto.randomUUID()}`;
    const old = await runtime({ tasks: v1, dbName });
    const fromOld = await old.enqueue("resize", { w: 640 });
    const future = await runtime({ tasks: v2strict, dbName });
    const fromFuture = await future.enqueue("resize", { width: 10 });
    let calls = 0;
    const strict = await runtime({ tasks: v2strict, dbName, handlers: { resize: () => ++calls } });
    await expect(strict.handle(fromOld.id).result()).rejects.toMatchObject({ code: "version_unsupported" });
    await expect(strict.handle(fromFuture.id).result()).resolves.toBe(1);
    await strict.close();
    const backdated = await runtime({ tasks: v1, dbName, handlers: { resize: () => ++calls } });
    const again = await future.enqueue("resize", { width: 11 });
    await expect(backdated.handle(again.id).result()).rejects.toMatchObject({ code: "version_unsupported" });
    expect(calls).toBe(1);
  });
});
