import { ErrandError, StaleLeaseError, serializeError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { buildRecord } from "./enqueue-options.ts";
import { MAX_UNSTARTED_TAKEOVERS } from "./lease-policy.ts";
import type { Lease, TaskRecord } from "./task-record.ts";
import { transition } from "./transition.ts";

const defs = { work: { version: 1 } };
const t0 = 1_000_000;
const failure = serializeError(new Error("flaky"));

function pending(options: Parameters<typeof buildRecord>[2] = {}): TaskRecord {
  return buildRecord("work", { n: 1 }, options, { id: "task-1", now: t0, defs, policies: {} });
}

function claimed(task = pending(), owner = "a", now = t0): TaskRecord {
  return transition(task, { type: "claim", owner, now, leaseMs: 1000, maxAttempts: 3 });
}

describe("transition", () => {
  describe("when a pending task is claimed", () => {
    it("runs under a lease whose token grows by one per claim, counting the attempt", () => {
      const first = claimed();
      expect(first).toMatchObject({ state: "running", attempts: 1, fence: 1 });
      expect(first.lease).toEqual({
        owner: "a",
        token: 1,
        claimedAt: t0,
        expiresAt: t0 + 1000,
        started: false,
      });

      const retried = transition(first, {
        type: "fail",
        token: 1,
        now: t0 + 5,
        error: failure,
        decision: { retry: true, delayMs: 50 },
      });
      const second = claimed(retried, "b", t0 + 60);
      expect(second.lease?.token).toBe(2);
      expect(second.attempts).toBe(2);
    });

    it("runs a retry without the error of the attempt before, which it kept only while it waited", () => {
      const retried = transition(claimed(), {
        type: "fail",
        token: 1,
        now: t0 + 5,
        error: failure,
        decision: { retry: true, delayMs: 50 },
      });
      expect(retried.error).toEqual(failure);
      const second = claimed(retried, "a", t0 + 60);
      expect(second.state).toBe("running");
      expect("error" in second).toBe(false);
    });
  });

  describe("when an attempt ends", () => {
    it("stores the result and the finish time on success, and drops the lease", () => {
      const done = transition(claimed(), { type: "succeed", token: 1, now: t0 + 10, result: { ok: 1 } });
      expect(done).toMatchObject({ state: "succeeded", result: { ok: 1 }, finishedAt: t0 + 10 });
      expect(done.lease).toBeUndefined();
    });

    it("waits for the retry's delay and keeps the error when the decision is to retry", () => {
      const waiting = transition(claimed(), {
        type: "fail",
        token: 1,
        now: t0 + 10,
        error: failure,
        decision: { retry: true, delayMs: 500 },
      });
      expect(waiting).toMatchObject({ state: "pending", runAt: t0 + 510, error: failure, attempts: 1 });
      expect(waiting.finishedAt).toBeUndefined();
    });

    it("goes dead with the error when the decision is not to retry", () => {
      const dead = transition(claimed(), {
        type: "fail",
        token: 1,
        now: t0 + 10,
        error: failure,
        decision: { retry: false, reason: "exhausted" },
      });
      expect(dead).toMatchObject({ state: "dead", error: failure, finishedAt: t0 + 10 });
    });

    it("refuses an outcome carrying a token that is not the current lease's, changing nothing", () => {
      const stolen = claimed(claimed(), "b", t0 + 2000);
      expect(() => transition(stolen, { type: "succeed", token: 1, now: t0 + 2001, result: 1 })).toThrow(
        StaleLeaseError,
      );
      expect(() => transition(stolen, { type: "renew", token: 1, now: t0 + 2001, leaseMs: 1000 })).toThrow(
        StaleLeaseError,
      );
      expect(transition(stolen, { type: "succeed", token: 2, now: t0 + 2001, result: 1 }).state).toBe(
        "succeeded",
      );
    });

    it("refunds the attempt when the owner hands the task back on close", () => {
      const released = transition(claimed(), { type: "release", token: 1, now: t0 + 3 });
      expect(released).toMatchObject({ state: "pending", attempts: 0, runAt: t0 + 3 });
    });
  });

  describe("when a running task is taken over", () => {
    const takeOver = (task: TaskRecord, now = t0 + 2000) =>
      transition(task, { type: "claim", owner: "b", now, leaseMs: 1000, maxAttempts: 1 });
    const started = (task: TaskRecord) => transition(task, { type: "start", token: task.fence, now: t0 + 1 });

    it("goes dead with lease_expired instead of running when the lost attempt was the last", () => {
      const last = takeOver(started(claimed()));
      expect(last.state).toBe("dead");
      expect(last.error?.code).toBe("lease_expired");
    });

    it("counts the lost attempt of a lease written before the start mark existed", () => {
      const { started: _started, ...lease } = claimed().lease as Lease;
      const last = takeOver({ ...claimed(), lease });
      expect(last.error?.code).toBe("lease_expired");
    });

    describe("and its lease never started (it waited in its owner's window)", () => {
      it("refunds the attempt and runs it, even on the last attempt", () => {
        const again = takeOver(claimed());
        expect(again).toMatchObject({ state: "running", attempts: 1, fence: 2, unstartedTakeovers: 1 });
        expect(again.lease).toMatchObject({ owner: "b", token: 2, started: false });
      });

      it("applies the TTL of a task that never started: past it, the task goes dead with ttl_expired", () => {
        const lapsed = takeOver(claimed(pending({ ttl: 500 })), t0 + 600);
        expect(lapsed.state).toBe("dead");
        expect(lapsed.error?.code).toBe("ttl_expired");
        expect(takeOver(claimed(pending({ ttl: 500 })), t0 + 400).state).toBe("running");
      });

      it(`counts the attempt after ${MAX_UNSTARTED_TAKEOVERS} such takeovers in a row, so a tab that crashes before the mark cannot loop forever`, () => {
        let task = claimed();
        for (let i = 0; i < MAX_UNSTARTED_TAKEOVERS; i += 1) {
          task = transition(task, { type: "claim", owner: "b", now: t0 + i, leaseMs: 1000, maxAttempts: 3 });
          expect(task).toMatchObject({ state: "running", attempts: 1 });
        }
        expect(takeOver(task).error?.code).toBe("lease_expired");
      });

      it("starts counting takeovers afresh once an attempt starts", () => {
        const twice = takeOver(takeOver(claimed()));
        expect(twice.unstartedTakeovers).toBe(2);
        const marked = started(twice);
        expect(marked.lease?.started).toBe(true);
        expect("unstartedTakeovers" in marked).toBe(false);
      });
    });
  });

  describe("when a person acts", () => {
    it("cancels pending and running tasks, and refuses to cancel a final one with already_final", () => {
      expect(transition(pending(), { type: "cancel", now: t0 }).state).toBe("cancelled");
      const cancelled = transition(claimed(), { type: "cancel", now: t0 });
      expect(cancelled.state).toBe("cancelled");
      expect(cancelled.lease).toBeUndefined();
      expect(() => transition(cancelled, { type: "cancel", now: t0 })).toThrow(
        expect.objectContaining({ code: "already_final" }),
      );
    });

    it("replays a dead task with fresh attempts, keeping its ordering sequence", () => {
      const ordered = { ...pending({ orderingKey: "k" }), seq: 7 };
      const dead = transition(claimed(ordered), {
        type: "fail",
        token: 1,
        now: t0,
        error: failure,
        decision: { retry: false, reason: "non_retryable" },
      });
      const replayed = transition(dead, { type: "replay", now: t0 + 100 });
      expect(replayed).toMatchObject({ state: "pending", attempts: 0, seq: 7, gate: "k", runAt: t0 + 100 });
      expect(replayed.finishedAt).toBeUndefined();
    });

    it("refuses to replay a task that is not dead", () => {
      expect(() => transition(pending(), { type: "replay", now: t0 })).toThrow(ErrandError);
    });
  });

  describe("derived index fields", () => {
    it("keeps an ordering key blocked by a dead task only when it halts", () => {
      const fail = (task: TaskRecord) =>
        transition(claimed(task), {
          type: "fail",
          token: 1,
          now: t0,
          error: failure,
          decision: { retry: false, reason: "exhausted" },
        });
      expect(fail(pending({ orderingKey: "k", onDead: "halt" })).gate).toBe("k");
      expect(fail(pending({ orderingKey: "k" })).gate).toBeUndefined();
    });

    it("holds the dedup key only while the task is unfinished", () => {
      const task = pending({ dedupKey: "d" });
      expect(task.dedupGate).toBe("d");
      expect(claimed(task).dedupGate).toBe("d");
      expect(
        transition(claimed(task), { type: "succeed", token: 1, now: t0, result: null }).dedupGate,
      ).toBeUndefined();
    });

    it("sorts higher priorities first through a negated rank", () => {
      expect(pending({ priority: 5 }).rank).toBe(-5);
      expect(Object.is(pending().rank, 0)).toBe(true);
    });

    it("sends a pending task whose TTL ran out to dead with ttl_expired", () => {
      const expired = transition(pending({ ttl: 100 }), { type: "expire", now: t0 + 200 });
      expect(expired).toMatchObject({ state: "dead", error: { code: "ttl_expired" } });
    });
  });
});
