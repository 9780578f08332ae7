import { afterEach, describe, expect, it } from "vitest";
import { buildRecord, type LocalEnqueueOptions } from "../lifecycle/enqueue-options.ts";
import { openQueueDb } from "./db.ts";
import { IdbTaskStore } from "./idb-task-store.ts";
import type { ClaimRequest } from "./store.ts";

// The claim walk in IndexedDB: one read for the first batch, a cursor past it only when needed.
const defs = { work: { version: 1 } };
const NOW = 1_000_000;
let ids = 0;
const make = (options: LocalEnqueueOptions = {}) =>
  buildRecord("work", {}, options, {
    id: `t${String(++ids).padStart(5, "0")}`,
    now: NOW,
    defs,
    policies: {},
  });
const request = (limit: number, owner = "me"): ClaimRequest => ({
  owner,
  limit,
  now: NOW,
  leaseMs: 60_000,
  maxAttempts: () => 3,
  liveOwners: undefined,
  checkedAt: NOW,
  aliveGraceMs: 0,
});

const stores: IdbTaskStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

async function storeWith(records: ReturnType<typeof make>[]): Promise<IdbTaskStore> {
  const name = `claim-${crypto.randomUUID()}`;
  const store = new IdbTaskStore(await openQueueDb(name, { onVersionChange() {}, onTerminated() {} }), name);
  stores.push(store);
  await store.insert(records);
  return store;
}

describe("claiming from IndexedDB", () => {
  it("takes due tasks in id order, a batch per pass, when all share one index key", async () => {
    const records = Array.from({ length: 250 }, () => make());
    const store = await storeWith(records);
    const passes = [];
    for (let i = 0; i < 3; i++) passes.push((await store.claim(request(100))).claimed.map((t) => t.id));
    expect(passes.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(passes.flat()).toEqual(records.map((r) => r.id));
  });

  it("goes on past a full batch held back by an ordering key, right after its last task", async () => {
    const keyed = Array.from({ length: 6 }, () => make({ orderingKey: "k" }));
    const free = Array.from({ length: 3 }, () => make());
    const store = await storeWith([...keyed, ...free]);
    const first = await store.claim(request(3));
    expect(first.claimed.map((t) => t.id)).toEqual([keyed[0]?.id, free[0]?.id, free[1]?.id]);
    // Limit reached with tasks left: the scheduler is told to come back at once.
    expect(first.nextWakeAt).toBe(NOW);
    const second = await store.claim(request(3));
    expect(second.claimed.map((t) => t.id)).toEqual([free[2]?.id]);
    expect(second.nextWakeAt).toBeUndefined();
  });

  it("skips the rest of a priority group that is not due yet and takes the next group", async () => {
    const highDue = make({ priority: 5 });
    const highLater = make({ priority: 5, delay: 500 });
    const highLatest = make({ priority: 5, delay: 900 });
    const low = [make(), make()];
    const store = await storeWith(
      [highLatest, low[0], highLater, highDue, low[1]].filter((r) => r !== undefined),
    );
    const small = await store.claim(request(2));
    expect(small.claimed.map((t) => t.id)).toEqual([highDue.id, low[0]?.id]);
    expect(small.nextWakeAt).toBe(NOW);
    const rest = await store.claim(request(10));
    expect(rest.claimed.map((t) => t.id)).toEqual([low[1]?.id]);
    expect(rest.nextWakeAt).toBe(NOW + 500);
  });

  it("never hands one task to two owners claiming at once", async () => {
    const records = Array.from({ length: 120 }, () => make());
    const store = await storeWith(records);
    const [a, b] = await Promise.all([store.claim(request(100, "a")), store.claim(request(100, "b"))]);
    const all = [...a.claimed, ...b.claimed].map((t) => t.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(records.map((r) => r.id));
  });
});
