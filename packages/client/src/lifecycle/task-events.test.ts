import { serializeError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { buildRecord } from "./enqueue-options.ts";
import { detailOf, eventsFor } from "./task-events.ts";
import { transition } from "./transition.ts";

const record = buildRecord("work", {}, {}, { id: "x", now: 0, defs: { work: { version: 1 } }, policies: {} });
const running = transition(record, { type: "claim", owner: "a", now: 1, leaseMs: 10, maxAttempts: 2 });
const error = serializeError(new Error("boom"));
const retrying = transition(running, {
  type: "fail",
  token: 1,
  now: 2,
  error,
  decision: { retry: true, delayMs: 5 },
});

describe("eventsFor", () => {
  it("names each lifecycle step", () => {
    expect(eventsFor(undefined, record)).toEqual(["task.enqueued"]);
    expect(eventsFor(record, running)).toEqual(["task.started"]);
    expect(eventsFor(running, transition(running, { type: "renew", token: 1, now: 2, leaseMs: 10 }))).toEqual(
      [],
    );
    expect(eventsFor(running, transition(running, { type: "succeed", token: 1, now: 2, result: 1 }))).toEqual(
      ["task.succeeded"],
    );
    expect(eventsFor(running, retrying)).toEqual(["task.failed", "task.retrying"]);
    const dead = transition(running, {
      type: "fail",
      token: 1,
      now: 2,
      error,
      decision: { retry: false, reason: "exhausted" },
    });
    expect(eventsFor(running, dead)).toEqual(["task.failed", "task.dead"]);
    expect(eventsFor(dead, transition(dead, { type: "replay", now: 3 }))).toEqual(["task.replayed"]);
    expect(eventsFor(running, transition(running, { type: "cancel", now: 3 }))).toEqual(["task.cancelled"]);
    expect(eventsFor(running, transition(running, { type: "release", token: 1, now: 3 }))).toEqual([
      "task.released",
    ]);
  });
});

describe("detailOf", () => {
  describe("when a retried task runs again", () => {
    const again = transition(retrying, { type: "claim", owner: "a", now: 7, leaseMs: 10, maxAttempts: 2 });

    it("says why it waits while it is pending", () => {
      expect(detailOf(retrying)).toMatchObject({ state: "pending", attempt: 1, error, runAt: 7 });
    });

    it("carries no error of the attempt before in its started or progress detail", () => {
      expect(detailOf(again)).toEqual({
        id: "x",
        type: "work",
        where: "local",
        state: "running",
        attempt: 2,
        remote: false,
      });
      const renewed = transition(again, { type: "renew", token: 2, now: 8, leaseMs: 10, progress: 0.5 });
      expect(detailOf(renewed)).toEqual({
        id: "x",
        type: "work",
        where: "local",
        state: "running",
        attempt: 2,
        remote: false,
        progress: 0.5,
      });
    });
  });
});
