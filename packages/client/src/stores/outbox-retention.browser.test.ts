import { ErrandError } from "@errand/core";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { fakeEdge, grant, startedErrands, within } from "../fixtures/fake-edge.ts";
import { EDGE_FORGOT, FORGOTTEN_AFTER_MS } from "../lifecycle/outbox-transition.ts";

const { start } = startedErrands();

/** A fetch that answers the app's own URLs `saved` and sends the rest to `edge`. */
const withApp =
  (edge: ReturnType<typeof fakeEdge>): typeof fetch =>
  (input, init) =>
    String(input).startsWith("https://app.example/")
      ? Promise.resolve(new Response("saved"))
      : edge.fetch(input, init);

async function storedRequest(dbName: string, id: string): Promise<unknown> {
  const db = await openDB(dbName);
  try {
    return await db.get("requests", id);
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the retention of the outbox", () => {
  it("removes final edge tasks and finished queued requests in errand.sweep(), as it does tasks", async () => {
    const dbName = `sync-${crypto.randomUUID()}`;
    const edge = fakeEdge();
    const retention = { succeeded: 1, dead: 1, cancelled: 1 };
    const errand = await start({ fetch: withApp(edge), getToken: async () => grant("t") }, dbName, {
      retention,
    });
    const task = await errand.enqueue("demo.echo", { n: 1 }, { target: "edge" });
    const queued = await errand.queueRequest("https://app.example/save", { method: "POST", body: "x" });
    await expect
      .poll(async () => (await errand.edgeTask(task.id))?.state, { timeout: 20_000 })
      .toBe("succeeded");
    expect(await within(queued.response(), 20_000, "no response")).toBeInstanceOf(Response);
    await sleep(5);

    expect(await errand.sweep()).toBe(2);
    expect(await errand.edgeTask(task.id)).toBeUndefined();
    expect(await storedRequest(dbName, queued.id)).toBeUndefined();
  });

  it("removes them in the periodic sweep too, once their retention has passed", async () => {
    const edge = fakeEdge();
    const retention = { succeeded: 300, dead: 300, cancelled: 300 };
    const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") }, undefined, {
      retention,
      sweepMs: 100,
    });
    const task = await errand.enqueue("demo.echo", { n: 1 }, { target: "edge" });
    expect(await within(task.result(), 20_000, "pending")).toBeUndefined();
    await expect.poll(() => errand.edgeTask(task.id), { timeout: 10_000 }).toBeUndefined();
  });

  it("forgets a swept task's dedup key: the edge answers a new task with it duplicate, which ends it dead", async () => {
    const edge = fakeEdge();
    const retention = { succeeded: 1, dead: 1, cancelled: 1 };
    const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") }, undefined, {
      retention,
    });
    const first = await errand.enqueue("demo.echo", { n: 1 }, { target: "edge", dedupKey: "once" });
    expect(await within(first.result(), 20_000, "pending")).toBeUndefined();
    await sleep(5);
    expect(await errand.sweep()).toBe(1);

    const second = await errand.enqueue("demo.echo", { n: 2 }, { target: "edge", dedupKey: "once" });
    expect([second.created, second.id === first.id]).toEqual([true, false]);
    const outcome = await within(
      second.result().catch((e: unknown) => e),
      20_000,
      "pending",
    );
    expect(outcome).toBeInstanceOf(ErrandError);
    expect(outcome).toMatchObject({ code: "duplicate", details: { duplicateOf: first.id } });
    expect(edge.effects).toEqual([first.id]);
  });

  it("ends a sent task dead with edge_forgot once the edge no longer knows it, long after its last news", async () => {
    const dbName = `sync-${crypto.randomUUID()}`;
    // The edge takes the task, then answers every status read without it (its retention removed it).
    const edge = fakeEdge({ read: () => Response.json({ tasks: [] }) });
    const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") }, dbName);
    const task = await errand.enqueue("demo.echo", { n: 1 }, { target: "edge" });
    await expect.poll(async () => (await errand.edgeTask(task.id))?.state, { timeout: 20_000 }).toBe("sent");
    // Polls every 100 ms find it missing, but its last news is recent: it stays sent.
    await sleep(500);
    expect((await errand.edgeTask(task.id))?.state).toBe("sent");

    // Its last news dates from before the window: the next poll that misses it ends it.
    const db = await openDB(dbName);
    try {
      const record = await db.get("outbox", task.id);
      await db.put("outbox", { ...record, updatedAt: Date.now() - FORGOTTEN_AFTER_MS - 1 });
    } finally {
      db.close();
    }
    const outcome = await within(
      task.result().then(
        () => "succeeded",
        (error: unknown) => error,
      ),
      20_000,
      "still waiting",
    );
    expect(outcome).toBeInstanceOf(ErrandError);
    expect(outcome).toMatchObject({ code: EDGE_FORGOT, details: { finishedAtEdge: true } });
    expect((await errand.edgeTask(task.id))?.state).toBe("dead");
  });
});
