import { describe, expect, it } from "vitest";
import { buildRecord, type LocalEnqueueOptions } from "../lifecycle/enqueue-options.ts";
import { MemoryTaskStore } from "./memory-store.ts";
import type { ClaimRequest } from "./store.ts";

const defs = { work: { version: 1 } };
let ids = 0;
const make = (options: LocalEnqueueOptions, now = 0) =>
  buildRecord(
    "work",
    {},
    { durable: false, ...options },
    { id: `t${String(++ids).padStart(4, "0")}`, now, defs, policies: {} },
  );
const request = (now: number, limit = 10): ClaimRequest => ({
  owner: "me",
  limit,
  now,
  leaseMs: 1000,
  maxAttempts: () => 3,
  liveOwners: undefined,
  checkedAt: now,
  aliveGraceMs: 0,
});

describe("MemoryTaskStore", () => {
  it("claims due tasks by priority, then runAt, and reports when the next delayed one is due", async () => {
    const store = new MemoryTaskStore();
    const [low, high, later] = [make({ priority: 0 }), make({ priority: 9 }, 5), make({ delay: 500 })];
    await store.insert([low, high, later].map((r) => r as NonNullable<typeof r>));
    const result = await store.claim(request(10));
    expect(result.claimed.map((t) => t.id)).toEqual([high.id, low.id]);
    expect(result.nextWakeAt).toBe(500);
  });

  it("runs one task per ordering key at a time, in sequence order, and halts a key on a dead head when asked", async () => {
    const store = new MemoryTaskStore();
    const [a1, a2, b1] = [
      make({ orderingKey: "a", onDead: "halt" }),
      make({ orderingKey: "a" }),
      make({ orderingKey: "b" }),
    ];
    const inserted = await store.insert([a1, a2, b1]);
    expect(inserted.map((r) => r.record.seq)).toEqual([1, 2, 1]);
    const first = await store.claim(request(1));
    expect(first.claimed.map((t) => t.id)).toEqual([a1.id, b1.id]);
    const head = first.claimed[0];
    if (head === undefined) throw new Error("no head");
    const error = { name: "Error", message: "x", code: "x", retryable: false };
    await store.apply([
      {
        id: a1.id,
        event: {
          type: "fail",
          token: head.fence,
          now: 2,
          error,
          decision: { retry: false, reason: "non_retryable" },
        },
      },
    ]);
    expect((await store.claim(request(3))).claimed).toEqual([]);
    await store.purge({ state: "dead" });
    expect((await store.claim(request(4))).claimed.map((t) => t.id)).toEqual([a2.id]);
  });

  it("returns the unfinished holder of a dedup key instead of adding a second task", async () => {
    const store = new MemoryTaskStore();
    const [first] = await store.insert([make({ dedupKey: "same" })]);
    const [second] = await store.insert([make({ dedupKey: "same" })]);
    expect(second?.created).toBe(false);
    expect(second?.record.id).toBe(first?.record.id);
  });
});
