import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { edgeAlias, edgeDetailOf, edgeEventsFor } from "./edge-events.ts";

describe("edgeEventsFor", () => {
  const pending = pendingRecord();

  it("names each change of state with the task events a local task fires", () => {
    expect(edgeEventsFor(undefined, pending)).toEqual(["task.enqueued"]);
    expect(edgeEventsFor(pending, { ...pending, state: "sent" })).toEqual(["task.sent"]);
    expect(edgeEventsFor({ ...pending, state: "sent" }, { ...pending, state: "succeeded" })).toEqual([
      "task.succeeded",
    ]);
    expect(edgeEventsFor(pending, { ...pending, state: "dead" })).toEqual(["task.dead"]);
    expect(edgeEventsFor(pending, { ...pending, state: "cancelled" })).toEqual(["task.cancelled"]);
    expect(edgeEventsFor({ ...pending, state: "dead" }, pending)).toEqual(["task.replayed"]);
  });

  it("says retrying when a push failed, and status when only the edge status moved", () => {
    expect(edgeEventsFor(pending, { ...pending, attempts: 1, runAt: 9 })).toEqual(["task.retrying"]);
    const sent = { ...pending, state: "sent" as const, edgeStatus: "accepted" as const };
    expect(edgeEventsFor(sent, { ...sent, edgeStatus: "queued" })).toEqual(["task.status"]);
    expect(edgeEventsFor(sent, sent)).toEqual([]);
  });

  it("says status when only the deliveries moved, a final task's too", () => {
    const done = {
      ...pending,
      state: "succeeded" as const,
      edgeStatus: "delivered" as const,
      deliveries: [],
    };
    const live = [{ subscription: "s-live", status: "delivered" as const, attempts: 1 }];
    expect(edgeEventsFor(done, { ...done, deliveries: live })).toEqual(["task.status"]);
  });
});

describe("edgeDetailOf", () => {
  it("says where the task runs, and carries the result of a succeeded task and the retry time of a retrying one", () => {
    const done = { ...pendingRecord(), state: "succeeded" as const, result: { ok: true } };
    expect(edgeDetailOf(done)).toMatchObject({
      where: "edge",
      topic: "demo.echo",
      state: "succeeded",
      result: { ok: true },
    });
    expect(edgeDetailOf({ ...pendingRecord(), attempts: 2, runAt: 77 }, true)).toMatchObject({
      runAt: 77,
      remote: true,
    });
  });
});

describe("edgeAlias", () => {
  it("names each edge task event as it was named before", () => {
    expect(edgeAlias("task.sent")).toBe("edge.sent");
    expect(edgeAlias("task.status")).toBe("edge.status");
  });
});
