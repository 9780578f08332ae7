import { describe, expect, it } from "vitest";
import { isDeclaredTarget, queueFor } from "./delivery-queues.ts";

const queues = new Map([
  ["errand-delivery", "main"],
  ["orders-0", "q0"],
  ["orders-1", "q1"],
  ["orders-2", "q2"],
]);

describe("queueFor", () => {
  it("sends a target naming one queue to that queue", () => {
    expect(queueFor(queues, "errand-delivery", "ab".repeat(32))).toBe("main");
    expect(queueFor(queues, "nowhere", "ab".repeat(32))).toBeUndefined();
  });

  it("spreads a prefix target over its queues, one queue per object, every queue used", () => {
    const objects = Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(8, "0").repeat(8));
    const picked = objects.map((object) => queueFor(queues, "orders-*", object));
    expect(new Set(picked)).toEqual(new Set(["q0", "q1", "q2"]));
    for (const object of objects)
      expect(queueFor(queues, "orders-*", object)).toBe(queueFor(queues, "orders-*", object));
    for (const q of ["q0", "q1", "q2"]) expect(picked.filter((p) => p === q).length).toBe(100);
  });

  it("declares a target only when a queue matches it", () => {
    expect(isDeclaredTarget(queues, "orders-*")).toBe(true);
    expect(isDeclaredTarget(queues, "errand-*")).toBe(true);
    expect(isDeclaredTarget(queues, "billing-*")).toBe(false);
    expect(isDeclaredTarget(queues, "orders-")).toBe(false);
  });
});
