import type { SubmitItem } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { type PlanFacts, planIngest } from "./ingest-plan.ts";

const item = (id: string, extra: Record<string, unknown> = {}): SubmitItem => ({
  ok: true,
  task: { id, topic: "orders", payload: { id }, ...extra },
});
const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  mayPublish: () => true,
  knownTopics: new Set(["orders"]),
  existing: [],
  hashes: new Map([
    [0, "h0"],
    [1, "h1"],
    [2, "h2"],
  ]),
  ...over,
});

describe("planIngest", () => {
  it("accepts new tasks and stores them in order", () => {
    const plan = planIngest([item("a"), item("b")], facts());
    expect(plan.results.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    expect(plan.toStore.map((s) => s.task.id)).toEqual(["a", "b"]);
  });

  it("reports a stored id with the same payload as duplicate and another payload as id_conflict", () => {
    const existing = [
      { id: "a", dedupKey: null, payloadHash: "h0" },
      { id: "b", dedupKey: null, payloadHash: "zz" },
    ];
    const plan = planIngest([item("a"), item("b")], facts({ existing }));
    expect(plan.results).toEqual([
      { id: "a", status: "duplicate" },
      { id: "b", status: "rejected", error: expect.objectContaining({ code: "id_conflict" }) },
    ]);
    expect(plan.toStore).toEqual([]);
  });

  it("dedupes on dedup keys, stored or earlier in the batch, naming the task that holds the key", () => {
    const existing = [{ id: "x", dedupKey: "k1", payloadHash: "h" }];
    const plan = planIngest(
      [item("a", { dedupKey: "k1" }), item("b", { dedupKey: "k2" }), item("c", { dedupKey: "k2" })],
      facts({ existing }),
    );
    expect(plan.results).toEqual([
      { id: "a", status: "duplicate", duplicateOf: "x" },
      { id: "b", status: "accepted" },
      { id: "c", status: "duplicate", duplicateOf: "b" },
    ]);
  });

  it("rejects forbidden and unknown topics, and passes invalid items through", () => {
    const invalid: SubmitItem = { ok: false, id: "bad", error: { code: "invalid_task", message: "no" } };
    const plan = planIngest(
      [item("a"), { ok: true, task: { id: "b", topic: "nope", payload: 1 } }, invalid],
      facts({ mayPublish: (t) => t === "nope" }),
    );
    expect(plan.results.map((r) => (r.status === "rejected" ? r.error.code : r.status))).toEqual([
      "topic_forbidden",
      "unknown_topic",
      "invalid_task",
    ]);
  });
});
