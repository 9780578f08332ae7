import { MAX_BATCH_ITEMS, MAX_BODY_BYTES, MAX_MESSAGE_BYTES } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { toWireTask } from "../lifecycle/outbox-record.ts";
import { planBatches } from "./batch-planner.ts";

const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((r) => r.id));

describe("planBatches", () => {
  it("splits by the contract's item count", () => {
    const records = Array.from({ length: 2 * MAX_BATCH_ITEMS + 1 }, () => pendingRecord());
    const { batches } = planBatches(records, 0);
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 1]);
    expect(batches.flat().map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it("splits by body bytes, keeping every request under the limit", () => {
    const big = "x".repeat(MAX_MESSAGE_BYTES - 100);
    const records = Array.from({ length: 20 }, () => pendingRecord({ payload: { big } }));
    const { batches } = planBatches(records, 0);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const body = JSON.stringify({ tasks: batch.map(toWireTask) });
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    }
    expect(batches.flat()).toHaveLength(20);
  });

  it("counts multi-byte characters as the bytes they encode to", () => {
    const records = Array.from({ length: 3 }, () => pendingRecord({ payload: "é".repeat(400) }));
    const { batches } = planBatches(records, 0, new Set(), { maxItems: 100, maxBodyBytes: 1700 });
    expect(batches.map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it("sends in sequence order whatever order it was given", () => {
    const a = pendingRecord();
    const b = pendingRecord();
    const c = pendingRecord();
    expect(ids(planBatches([c, a, b], 0).batches)).toEqual([[a.id, b.id, c.id]]);
  });

  describe("when tasks share an ordering key", () => {
    it("sends only the key's head, and the other keys' heads beside it", () => {
      const a1 = pendingRecord({ orderingKey: "a" });
      const a2 = pendingRecord({ orderingKey: "a" });
      const b1 = pendingRecord({ orderingKey: "b" });
      const free = pendingRecord();
      expect(ids(planBatches([a1, a2, b1, free], 0).batches)).toEqual([[a1.id, b1.id, free.id]]);
    });

    it("holds the whole key while its head waits for a retry", () => {
      const a1 = pendingRecord({ orderingKey: "a", runAt: 5_000 });
      const a2 = pendingRecord({ orderingKey: "a" });
      const plan = planBatches([a1, a2], 1_000);
      expect(plan.batches).toEqual([]);
      expect(plan.nextRunAt).toBe(5_000);
    });

    it("holds a key that has a task in flight", () => {
      const a2 = pendingRecord({ orderingKey: "a" });
      const free = pendingRecord();
      expect(ids(planBatches([a2, free], 0, new Set(["a"])).batches)).toEqual([[free.id]]);
    });
  });

  it("lets due tasks go while others wait for their retry", () => {
    const later = pendingRecord({ runAt: 9_000 });
    const now = pendingRecord();
    const plan = planBatches([later, now], 1_000);
    expect(ids(plan.batches)).toEqual([[now.id]]);
    expect(plan.nextRunAt).toBe(9_000);
  });

  it("sets aside a payload over the message limit instead of sending it with the others", () => {
    const poison = pendingRecord({ payload: "x".repeat(MAX_MESSAGE_BYTES + 1) });
    const fine = pendingRecord();
    const plan = planBatches([poison, fine], 0);
    expect(plan.tooLarge.map((r) => r.id)).toEqual([poison.id]);
    expect(ids(plan.batches)).toEqual([[fine.id]]);
  });
});
