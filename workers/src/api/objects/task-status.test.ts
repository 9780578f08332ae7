import { describe, expect, it } from "vitest";
import { aggregateStatus, type DeliveryFacts } from "./task-status.ts";

const queued = { cancelled: false, queued: true };
const d = (over: Partial<DeliveryFacts>): DeliveryFacts => ({
  kind: "queue",
  status: "pending",
  resultFrom: false,
  hasResult: false,
  ...over,
});

describe("aggregateStatus", () => {
  it("marks a task with no subscriptions delivered at once", () => {
    expect(aggregateStatus({ cancelled: false, queued: false }, [])).toBe("delivered");
  });

  it("is accepted, then queued, while deliveries are pending", () => {
    expect(aggregateStatus({ cancelled: false, queued: false }, [d({})])).toBe("accepted");
    expect(aggregateStatus(queued, [d({})])).toBe("queued");
  });

  it("is delivered only when every queue and webhook delivery is delivered", () => {
    const one = d({ status: "delivered" });
    expect(aggregateStatus(queued, [one, d({ kind: "webhook" })])).toBe("queued");
    expect(aggregateStatus(queued, [one, d({ kind: "webhook", status: "delivered" })])).toBe("delivered");
  });

  it("never waits for a delivery cancelled with its subscription", () => {
    const gone = d({ kind: "webhook", status: "cancelled" });
    expect(aggregateStatus(queued, [d({ status: "delivered" }), gone])).toBe("delivered");
    expect(aggregateStatus(queued, [gone])).toBe("delivered");
    expect(aggregateStatus(queued, [d({}), gone])).toBe("queued");
  });

  it("never waits for a live delivery", () => {
    expect(aggregateStatus(queued, [d({ status: "delivered" }), d({ kind: "live" })])).toBe("delivered");
  });

  it("succeeds when the resultFrom subscription returned a result", () => {
    const rf = d({ status: "delivered", resultFrom: true, hasResult: true });
    expect(aggregateStatus(queued, [rf])).toBe("succeeded");
    expect(aggregateStatus(queued, [rf, d({ kind: "webhook" })])).toBe("queued");
  });

  it("is dead when any held delivery went dead, and cancelled above all", () => {
    expect(aggregateStatus(queued, [d({ status: "dead" }), d({ status: "delivered" })])).toBe("dead");
    expect(aggregateStatus({ cancelled: true, queued: true }, [d({ status: "dead" })])).toBe("cancelled");
  });
});
