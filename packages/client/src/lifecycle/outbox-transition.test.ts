import { deserializeError, registerError, serializeError } from "@errand/core";
import type { TaskView } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { EDGE_FORGOT, FORGOTTEN_AFTER_MS, localStateOf, outboxTransition } from "./outbox-transition.ts";

const view = (over: Partial<TaskView>): TaskView => ({
  id: "x",
  topic: "demo.echo",
  status: "queued",
  attempts: 1,
  deliveries: [],
  ...over,
});
const failure = { name: "ErrandError", code: "http_503", message: "busy", retryable: true };

describe("outboxTransition", () => {
  it("moves a pending task to sent when the edge accepted it", () => {
    const next = outboxTransition(pendingRecord(), { type: "sent", now: 7 });
    expect(next).toMatchObject({ state: "sent", updatedAt: 7 });
    expect(next.finishedAt).toBeUndefined();
  });

  it("counts a failed push and waits until the retry time", () => {
    const next = outboxTransition(pendingRecord(), { type: "retry", now: 7, runAt: 1007, error: failure });
    expect(next).toMatchObject({ state: "pending", attempts: 1, runAt: 1007, error: failure });
  });

  it("sends a rejected task to dead with the server's error", () => {
    const error = { ...failure, code: "unknown_topic", retryable: false };
    const next = outboxTransition(pendingRecord(), { type: "reject", now: 7, error });
    expect(next).toMatchObject({ state: "dead", error, finishedAt: 7 });
  });

  describe("when the edge reports a status", () => {
    it("succeeds with the result of the resultFrom subscription", () => {
      const sent = outboxTransition(pendingRecord(), { type: "sent", now: 1 });
      const next = outboxTransition(sent, {
        type: "status",
        now: 2,
        view: view({ status: "succeeded", result: { ok: 1 } }),
      });
      expect(next).toMatchObject({ state: "succeeded", result: { ok: 1 }, edgeStatus: "succeeded" });
    });

    it("treats delivered as final: a topic without resultFrom succeeds without a result", () => {
      const next = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "delivered" }),
      });
      expect(next.state).toBe("succeeded");
      expect("result" in next).toBe(false);
    });

    it("goes dead with the code of the delivery that gave up", () => {
      const next = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({
          status: "dead",
          deliveries: [
            { subscription: "s1", status: "delivered", attempts: 1 },
            {
              subscription: "s2",
              status: "dead",
              attempts: 5,
              lastError: { code: "fatal_by_request", message: "no" },
            },
          ],
        }),
      });
      expect(next.state).toBe("dead");
      expect(next.error).toMatchObject({ code: "fatal_by_request", retryable: false });
    });

    it("keeps the name and details of a consumer's serialized error, so its class is rebuilt here", () => {
      class QuotaReached extends Error {
        override name = "QuotaReached";
        constructor(readonly limit: number) {
          super(`Quota of ${limit} reached`);
        }
      }
      const unregister = registerError<QuotaReached>({
        name: "QuotaReached",
        canHandle: (value) => value instanceof QuotaReached,
        serialize: (error) => ({ message: error.message, details: { limit: error.limit } }),
        deserialize: (data) => new QuotaReached(Number(data.details?.limit)),
      });
      const { name, code, message, details } = serializeError(new QuotaReached(4));
      const next = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({
          status: "dead",
          deliveries: [
            {
              subscription: "s1",
              status: "dead",
              attempts: 1,
              lastError: { name, code, message, details } as never,
            },
          ],
        }),
      });
      const error = next.error === undefined ? undefined : deserializeError(next.error);
      unregister();
      expect(error).toBeInstanceOf(QuotaReached);
      expect(error).toMatchObject({ limit: 4, message: "Quota of 4 reached" });
      expect(next.error?.details).toEqual({ limit: 4, subscription: "s1", attempts: 1 });
    });

    it("marks a pending task sent when its status arrives before the push's answer", () => {
      const next = outboxTransition(pendingRecord(), {
        type: "status",
        now: 2,
        view: view({ status: "queued" }),
      });
      expect(next.state).toBe("sent");
    });

    it("ignores anything that arrives after the task is final", () => {
      const done = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "succeeded", result: 1 }),
      });
      expect(outboxTransition(done, { type: "status", now: 3, view: view({ status: "dead" }) })).toBe(done);
      expect(outboxTransition(done, { type: "retry", now: 3, runAt: 9, error: failure })).toBe(done);
    });

    it("changes nothing when the status is the one it already knows", () => {
      const sent = outboxTransition(pendingRecord(), {
        type: "status",
        now: 2,
        view: view({ status: "queued" }),
      });
      expect(outboxTransition(sent, { type: "status", now: 3, view: view({ status: "queued" }) })).toBe(sent);
    });
  });

  describe("when the edge reports deliveries", () => {
    const queue = { subscription: "s-queue", status: "pending" as const, attempts: 1 };
    const live = { subscription: "s-live", status: "delivered" as const, attempts: 1 };

    it("keeps each subscription's delivery as the edge reported it", () => {
      const next = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "queued", deliveries: [queue, live] }),
      });
      expect(next).toMatchObject({ state: "sent", deliveries: [queue, live], updatedAt: 2 });
    });

    it("takes the deliveries of a final task still, and nothing else", () => {
      const done = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "delivered", deliveries: [{ ...queue, status: "delivered" }] }),
      });
      const later = view({ status: "dead", deliveries: [{ ...queue, status: "delivered" }, live] });
      const next = outboxTransition(done, { type: "status", now: 3, view: later });
      expect(next).toEqual({ ...done, deliveries: later.deliveries, updatedAt: 3 });
    });

    it("keeps the record itself, deliveries' array included, when they did not change", () => {
      const sent = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "queued", deliveries: [queue] }),
      });
      const again = view({ status: "queued", deliveries: [{ ...queue }] });
      expect(outboxTransition(sent, { type: "status", now: 3, view: again })).toBe(sent);
    });
  });

  describe("when the app replays the task", () => {
    it("puts a task that died before the edge took it back to pending with fresh attempts", () => {
      const dead = outboxTransition(pendingRecord({ attempts: 3 }), {
        type: "reject",
        now: 2,
        error: failure,
      });
      const next = outboxTransition(dead, { type: "replay", now: 5 });
      expect(next).toMatchObject({ state: "pending", attempts: 0, runAt: 5, updatedAt: 5 });
      expect(next).not.toHaveProperty("error");
      expect(next).not.toHaveProperty("finishedAt");
    });

    it("changes nothing for a task that is not dead, or that died at the edge", () => {
      const pending = pendingRecord();
      expect(outboxTransition(pending, { type: "replay", now: 5 })).toBe(pending);
      const diedThere = outboxTransition(pendingRecord({ state: "sent" }), {
        type: "status",
        now: 2,
        view: view({ status: "dead" }),
      });
      expect(outboxTransition(diedThere, { type: "replay", now: 5 })).toBe(diedThere);
    });
  });

  it("ends a sent task dead with edge_forgot once the edge leaves it out long after its last news", () => {
    const sent = outboxTransition(pendingRecord(), { type: "sent", now: 1_000 });
    // Left out soon after: too early to believe it was removed, nothing changes.
    expect(outboxTransition(sent, { type: "absent", now: 1_000 + FORGOTTEN_AFTER_MS - 1 })).toBe(sent);
    const gone = outboxTransition(sent, { type: "absent", now: 1_000 + FORGOTTEN_AFTER_MS });
    expect(gone).toMatchObject({
      state: "dead",
      error: { code: EDGE_FORGOT, retryable: false },
      finishedAt: 1_000 + FORGOTTEN_AFTER_MS,
    });
    // A pending task was never accepted: the edge not knowing it is expected.
    const pending = pendingRecord();
    expect(outboxTransition(pending, { type: "absent", now: 10 * FORGOTTEN_AFTER_MS })).toBe(pending);
  });

  describe("when the app cancels the task", () => {
    const sent = () => outboxTransition(pendingRecord({ orderingKey: "k" }), { type: "sent", now: 1 });
    const cancelling = () => outboxTransition(sent(), { type: "cancel", now: 5, seq: 40 });

    it("keeps a sent task sent with a cancel waiting for the edge, numbered in outbox order", () => {
      expect(cancelling()).toMatchObject({ state: "sent", cancel: { seq: 40, attempts: 0, runAt: 5 } });
    });

    it("keeps the first cancel when the app cancels a sent task twice", () => {
      const once = cancelling();
      expect(once.cancel?.seq).toBe(40);
      expect(outboxTransition(once, { type: "cancel", now: 9, seq: 41 })).toBe(once);
    });

    it("counts a failed cancel call and waits until its retry time", () => {
      const next = outboxTransition(cancelling(), {
        type: "cancel-retry",
        now: 7,
        runAt: 1007,
        error: failure,
      });
      expect(next).toMatchObject({
        state: "sent",
        cancel: { seq: 40, attempts: 1, runAt: 1007, error: failure },
      });
    });

    it("ends the task cancelled when the edge answers with the task it cancelled", () => {
      const next = outboxTransition(cancelling(), {
        type: "cancel-answered",
        now: 8,
        answer: { kind: "cancelled", view: view({ status: "cancelled" }) },
      });
      expect(next).toMatchObject({ state: "cancelled", edgeStatus: "cancelled", finishedAt: 8 });
      expect(next.cancel).toBeUndefined();
    });

    it("leaves the task sent, its cancel ended, when the edge answers already_final", () => {
      const next = outboxTransition(cancelling(), {
        type: "cancel-answered",
        now: 8,
        answer: { kind: "already_final" },
      });
      expect(next).toMatchObject({ state: "sent", updatedAt: 8 });
      expect(next.cancel).toBeUndefined();
      // Its status stream then tells how the edge ended it.
      const done = outboxTransition(next, { type: "status", now: 9, view: view({ status: "succeeded" }) });
      expect(done).toMatchObject({ state: "succeeded" });
    });

    it("drops the waiting cancel when the edge reports the task final first", () => {
      const waiting = cancelling();
      expect(waiting.cancel).toBeDefined();
      const next = outboxTransition(waiting, {
        type: "status",
        now: 8,
        view: view({ status: "delivered" }),
      });
      expect(next).toMatchObject({ state: "succeeded" });
      expect(next.cancel).toBeUndefined();
    });

    it("sends a cancel after all when the edge took a task cancelled here while its push was in flight", () => {
      const cancelled = outboxTransition(pendingRecord(), { type: "cancel", now: 5, seq: 40 });
      const taken = outboxTransition(cancelled, { type: "sent", now: 6 });
      expect(taken).toMatchObject({
        state: "cancelled",
        edgeStatus: "accepted",
        cancel: { attempts: 0, runAt: 6 },
      });
      // A resend answered duplicate changes nothing more.
      expect(outboxTransition(taken, { type: "sent", now: 7 })).toBe(taken);
      const confirmed = outboxTransition(taken, {
        type: "cancel-answered",
        now: 8,
        answer: { kind: "cancelled", view: view({ status: "cancelled" }) },
      });
      expect(confirmed).toMatchObject({ state: "cancelled", edgeStatus: "cancelled" });
      expect(confirmed.cancel).toBeUndefined();
    });
  });

  it("maps every edge status to a local state", () => {
    expect(
      (["accepted", "queued", "delivered", "succeeded", "dead", "cancelled"] as const).map(localStateOf),
    ).toEqual(["sent", "sent", "succeeded", "succeeded", "dead", "cancelled"]);
  });
});
