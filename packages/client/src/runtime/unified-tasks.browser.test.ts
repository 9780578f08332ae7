import {
  CancelledError,
  defineTasks,
  type EdgeTaskStatus,
  type JsonValue,
  NonRetryableError,
  task,
  ValidationError,
} from "@errand/core";
import type { DeliveryView } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { createOnlineManager } from "../browser/online-manager.ts";
import { EDGE_URL, type FakeEdge, type FakeEdgeHooks, fakeEdge, grant } from "../fixtures/fake-edge.ts";
import { testRuntimes } from "../fixtures/runtimes.ts";
import type { TaskEventDetail } from "../lifecycle/task-events.ts";

const { runtime } = testRuntimes();

const tasks = defineTasks({
  double: task<number, number>(),
  /** Fails for good on its first attempt, succeeds on a replay. */
  once: task<number, number>(),
  /** Runs until cancelled. */
  hold: task<number, number>(),
  "demo.echo": task<JsonValue, unknown>(),
});

/** One queue subscription, following the task's status. */
const queueDelivery = (status: EdgeTaskStatus): DeliveryView[] => [
  {
    subscription: "s-queue",
    status: status === "delivered" ? "delivered" : status === "cancelled" ? "cancelled" : "pending",
    attempts: 1,
  },
];

/** A runtime running its local tasks on the main thread and its edge tasks on `edge`. */
async function start(
  edge: FakeEdge,
  online = createOnlineManager({ onLine: () => true, listen: () => () => {} }),
  dbName = `q-${crypto.randomUUID()}`,
) {
  let failed = false;
  const errand = await runtime({
    tasks,
    dbName,
    handlers: {
      double: (n) => n * 2,
      once: (n) => {
        if (failed) return n;
        failed = true;
        throw new NonRetryableError("first attempt fails", { code: "first" });
      },
      hold: (_n, ctx) =>
        new Promise<number>((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
        ),
    },
    edge: {
      url: EDGE_URL,
      fetch: edge.fetch,
      getToken: async () => grant("t"),
      backoff: { kind: "fixed", delayMs: 50 },
      pollMs: 100,
      backgroundSync: false,
      online,
    },
  });
  return { errand, online };
}

const edgeWith = (hooks: FakeEdgeHooks = {}) => fakeEdge({ deliveries: queueDelivery, ...hooks });

describe("one API for local and edge tasks", () => {
  it("reads, awaits and hears a local task and an edge task through the same calls", async () => {
    const { errand } = await start(edgeWith());
    const heard: Pick<TaskEventDetail, "id" | "where">[] = [];
    errand.on("task.succeeded", ({ id, where }) => heard.push({ id, where }));
    const deprecated: string[] = [];
    errand.on("edge.succeeded", ({ id }) => deprecated.push(id));

    const local = await errand.enqueue("double", 21);
    const edge = await errand.enqueue("demo.echo", { hello: "edge" }, { target: "edge" });
    expect(await errand.handle(local.id, "double").result()).toBe(42);
    expect(await errand.handle(edge.id, "demo.echo").result()).toBeUndefined();

    expect(await errand.get(local.id)).toMatchObject({ where: "local", state: "succeeded", result: 42 });
    expect(await errand.get(edge.id)).toMatchObject({
      where: "edge",
      state: "succeeded",
      topic: "demo.echo",
      edgeStatus: "delivered",
      deliveries: [{ subscription: "s-queue", status: "delivered", attempts: 1 }],
    });
    expect((await errand.list()).map((t) => [t.id, t.where])).toEqual([
      [local.id, "local"],
      [edge.id, "edge"],
    ]);
    expect((await errand.list({ where: "edge" })).map((t) => t.id)).toEqual([edge.id]);
    expect((await errand.list({ where: "local", state: "succeeded" })).map((t) => t.id)).toEqual([local.id]);
    expect(await errand.list({ state: "sent" })).toEqual([]);

    await expect.poll(() => heard.length).toBe(2);
    expect(heard).toEqual(
      expect.arrayContaining([
        { id: local.id, where: "local" },
        { id: edge.id, where: "edge" },
      ]),
    );
    expect(deprecated).toEqual([edge.id]);
  });

  it("reports an edge task's deliveries while the edge still holds it", async () => {
    const { errand } = await start(edgeWith({ hold: true }));
    const statuses: string[] = [];
    errand.on("task.status", (detail) => statuses.push(`${detail.where} ${detail.edgeStatus}`));
    const { id } = await errand.enqueue("demo.echo", {}, { target: "edge" });
    await expect.poll(async () => (await errand.get(id))?.state).toBe("sent");
    await expect
      .poll(async () => {
        const task = await errand.get(id);
        return task?.where === "edge" ? task.deliveries : undefined;
      })
      .toEqual([{ subscription: "s-queue", status: "pending", attempts: 1 }]);
    expect(statuses).toContain("edge queued");
  });

  it("cancels and purges a local task and an edge task alike", async () => {
    const online = createOnlineManager({ onLine: () => true, listen: () => () => {} });
    online.setOnline(false);
    const { errand } = await start(edgeWith(), online);
    const cancelled: string[] = [];
    errand.on("task.cancelled", ({ id, where }) => cancelled.push(`${where} ${id}`));

    const local = await errand.enqueue("hold", 1);
    const edge = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
    await expect.poll(async () => (await errand.get(local.id))?.state).toBe("running");
    expect(await errand.get(edge.id)).toMatchObject({ where: "edge", state: "pending" });

    await expect(errand.cancel(local.id)).resolves.toBe(true);
    await expect(errand.cancel(edge.id)).resolves.toBe(true);
    await expect(local.result()).rejects.toBeInstanceOf(CancelledError);
    await expect(edge.result()).rejects.toBeInstanceOf(CancelledError);
    expect(cancelled.sort()).toEqual([`edge ${edge.id}`, `local ${local.id}`].sort());
    expect((await errand.list({ state: "cancelled" })).map((t) => t.where).sort()).toEqual(["edge", "local"]);

    await expect(errand.purge({ state: "cancelled" })).resolves.toBe(2);
    expect(await errand.list()).toEqual([]);
    await expect(errand.handle(edge.id).result()).rejects.toMatchObject({ code: "not_found" });
  });

  it("replays a dead local task and an edge task that died before the edge took it", async () => {
    // The edge refuses the first push for good (its topic was not there yet), takes the next.
    const refuseOnce = (_token: string, n: number) =>
      n > 1
        ? undefined
        : Response.json({
            results: [{ status: "rejected", error: { code: "unknown_topic", message: "no such topic yet" } }],
          });
    const { errand } = await start(edgeWith({ post: refuseOnce }));
    const local = await errand.enqueue("once", 7);
    const edge = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
    await expect(local.result()).rejects.toMatchObject({ code: "first" });
    await expect(edge.result()).rejects.toMatchObject({ code: "unknown_topic" });
    const replayed: string[] = [];
    errand.on("task.replayed", ({ where }) => replayed.push(where));

    await errand.replay(local.id);
    await errand.replay(edge.id);
    expect(replayed.sort()).toEqual(["edge", "local"]);
    expect(await errand.handle(local.id, "once").result()).toBe(7);
    expect(await errand.handle(edge.id, "demo.echo").result()).toBeUndefined();
    await expect(errand.replay(edge.id)).rejects.toMatchObject({ code: "invalid_transition" });
  });

  it("leaves the replay of a task that died at the edge to the edge", async () => {
    const dead = () =>
      Response.json({
        tasks: [{ id: taskId, topic: "demo.echo", status: "dead", attempts: 3, deliveries: [] }],
      });
    let taskId = "";
    const { errand } = await start(edgeWith({ read: () => (taskId === "" ? undefined : dead()) }));
    const { id } = await errand.enqueue("demo.echo", {}, { target: "edge" });
    taskId = id;
    await expect.poll(async () => (await errand.get(id))?.state).toBe("dead");
    await expect(errand.replay(id)).rejects.toMatchObject({ code: "replay_at_edge" });
  });

  it("rejects a typed handle's result when the task is of another type", async () => {
    const { errand } = await start(edgeWith());
    const local = await errand.enqueue("double", 1);
    const edge = await errand.enqueue("demo.echo", {}, { target: "edge" });
    await expect(errand.handle(local.id, "once").result()).rejects.toMatchObject({ code: "type_mismatch" });
    await expect(errand.handle(edge.id, "double").result()).rejects.toMatchObject({ code: "type_mismatch" });
  });

  describe("when two runtimes share a database", () => {
    it("opens one channel for each, over which the other hears both kinds of task", async () => {
      const opened: string[] = [];
      const Native = globalThis.BroadcastChannel;
      globalThis.BroadcastChannel = class extends Native {
        constructor(name: string) {
          super(name);
          opened.push(name);
        }
      };
      const dbName = `q-${crypto.randomUUID()}`;
      const both: Awaited<ReturnType<typeof start>>["errand"][] = [];
      try {
        for (const _ of [1, 2]) both.push((await start(edgeWith(), undefined, dbName)).errand);
      } finally {
        globalThis.BroadcastChannel = Native;
      }
      expect(opened).toEqual([`errand:${dbName}`, `errand:${dbName}`]);
      const [first, second] = both as [(typeof both)[0], (typeof both)[0]];

      const heard: string[] = [];
      second.on("task.enqueued", ({ where, remote }) => heard.push(`${where}${remote ? " remote" : ""}`));
      const deprecated: boolean[] = [];
      second.on("edge.enqueued", ({ remote }) => deprecated.push(remote));
      const edge = await first.enqueue("demo.echo", {}, { target: "edge" });
      const local = await first.enqueue("double", 2);
      await expect.poll(() => heard).toEqual(["edge remote", "local remote"]);
      expect(await second.handle(edge.id).result()).toBeUndefined();
      expect(await second.handle(local.id).result()).toBe(4);
      expect(deprecated).toEqual([true]);
    });
  });

  it("refuses a batch that mixes local and edge tasks, with or without an edge", async () => {
    const errand = await runtime({ tasks });
    const mixed = errand.enqueueMany([
      { type: "demo.echo", payload: {}, options: { target: "edge" } },
      { type: "double", payload: 1 },
    ]);
    await expect(mixed).rejects.toBeInstanceOf(ValidationError);
    await expect(mixed).rejects.toMatchObject({ issues: [{ path: "items" }] });
  });
});
