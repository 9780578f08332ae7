import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { edgeDetailOf, edgeEventsFor } from "./edge-events.ts";

describe("edgeEventsFor", () => {
  const pending = pendingRecord();

  it("names each change of state", () => {
    expect(edgeEventsFor(undefined, pending)).toEqual(["edge.enqueued"]);
    expect(edgeEventsFor(pending, { ...pending, state: "sent" })).toEqual(["edge.sent"]);
    expect(edgeEventsFor({ ...pending, state: "sent" }, { ...pending, state: "succeeded" })).toEqual([
      "edge.succeeded",
    ]);
    expect(edgeEventsFor(pending, { ...pending, state: "dead" })).toEqual(["edge.dead"]);
    expect(edgeEventsFor(pending, { ...pending, state: "cancelled" })).toEqual(["edge.cancelled"]);
  });

  it("says retrying when a push failed, and status when only the edge status moved", () => {
    expect(edgeEventsFor(pending, { ...pending, attempts: 1, runAt: 9 })).toEqual(["edge.retrying"]);
    const sent = { ...pending, state: "sent" as const, edgeStatus: "accepted" as const };
    expect(edgeEventsFor(sent, { ...sent, edgeStatus: "queued" })).toEqual(["edge.status"]);
    expect(edgeEventsFor(sent, sent)).toEqual([]);
  });
});

describe("edgeDetailOf", () => {
  it("carries the result of a succeeded task and the retry time of a retrying one", () => {
    const done = { ...pendingRecord(), state: "succeeded" as const, result: { ok: true } };
    expect(edgeDetailOf(done)).toMatchObject({ target: "edge", state: "succeeded", result: { ok: true } });
    expect(edgeDetailOf({ ...pendingRecord(), attempts: 2, runAt: 77 }, true)).toMatchObject({
      runAt: 77,
      remote: true,
    });
  });
});
