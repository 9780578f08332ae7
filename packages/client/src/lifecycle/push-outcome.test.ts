import type { Backoff } from "@errand/core";
import type { SubmitItemResult } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { decidePush, parseRetryAfter } from "./push-outcome.ts";

const backoff: Backoff = { kind: "exponential", baseMs: 1000, maxMs: 60_000, jitter: "none" };
const ctx = { now: 10_000, backoff };

describe("decidePush", () => {
  describe("when the edge answered per item", () => {
    it("marks accepted and duplicate items sent, and a rejected one dead with its code, leaving the others alone", () => {
      const [a, b, c] = [pendingRecord(), pendingRecord(), pendingRecord()];
      const batch = [a, b, c];
      const decision = decidePush(
        batch,
        {
          kind: "results",
          results: [
            { id: a.id, status: "accepted" },
            { id: b.id, status: "rejected", error: { code: "unknown_topic", message: "no topic" } },
            { id: c.id, status: "duplicate" },
          ],
        },
        ctx,
      );
      expect(decision.changes.map((c) => [c.id, c.event.type])).toEqual([
        [a.id, "sent"],
        [b.id, "reject"],
        [c.id, "sent"],
      ]);
      expect(decision.changes[1]?.event).toMatchObject({
        error: { code: "unknown_topic", retryable: false },
      });
    });

    it("ends an item whose dedup key another task holds dead with duplicate, naming that task", () => {
      const [mine, resent] = [pendingRecord({ dedupKey: "once" }), pendingRecord({ dedupKey: "again" })];
      const decision = decidePush(
        [mine, resent],
        {
          kind: "results",
          results: [
            { id: mine.id, status: "duplicate", duplicateOf: "elsewhere" },
            { id: resent.id, status: "duplicate" },
          ],
        },
        ctx,
      );
      expect(decision.changes.map((c) => c.event.type)).toEqual(["reject", "sent"]);
      expect(decision.changes[0]?.event).toMatchObject({
        error: { code: "duplicate", retryable: false, details: { duplicateOf: "elsewhere" } },
      });
    });

    it("ends a rejected item that carries no error dead with a generic code, and the others as answered", () => {
      const [a, b, c] = [pendingRecord(), pendingRecord(), pendingRecord()];
      const results = [
        { id: a.id, status: "rejected" },
        { id: b.id, status: "rejected", error: { message: 42 } },
        { id: c.id, status: "accepted" },
      ] as unknown as SubmitItemResult[];
      const decision = decidePush([a, b, c], { kind: "results", results }, ctx);
      expect(decision.changes.map((change) => change.event)).toMatchObject([
        { type: "reject", error: { code: "rejected", retryable: false } },
        { type: "reject", error: { code: "rejected", retryable: false } },
        { type: "sent" },
      ]);
    });

    it("retries an item the answer left out", () => {
      const first = pendingRecord();
      const decision = decidePush(
        [first, pendingRecord()],
        { kind: "results", results: [{ id: first.id, status: "accepted" }] },
        ctx,
      );
      expect(decision.changes[1]?.event).toMatchObject({ type: "retry", error: { code: "missing_result" } });
    });
  });

  describe("when the request failed as a whole", () => {
    it("retries every item of a 503 no sooner than Retry-After, and holds the subject until then", () => {
      const batch = [pendingRecord(), pendingRecord({ attempts: 3 })];
      const decision = decidePush(batch, { kind: "status", status: 503, retryAfterMs: 5_000 }, ctx);
      expect(decision.holdUntil).toBe(15_000);
      expect(decision.changes.map((c) => c.event)).toEqual([
        expect.objectContaining({ type: "retry", runAt: 15_000 }),
        // Backoff after the 4th attempt is 8 s: longer than Retry-After, so it wins.
        expect.objectContaining({ type: "retry", runAt: 18_000 }),
      ]);
    });

    it("retries a 500, a 429 and a network failure with backoff, never dead", () => {
      for (const response of [
        { kind: "status", status: 500 },
        { kind: "status", status: 429, retryAfterMs: 1000 },
        { kind: "network", message: "Failed to fetch" },
      ] as const) {
        const decision = decidePush([pendingRecord({ attempts: 40 })], response, ctx);
        expect(decision.changes[0]?.event).toMatchObject({ type: "retry", runAt: 70_000 });
      }
    });

    it("changes nothing on a 401 and says the credential was refused", () => {
      expect(decidePush([pendingRecord()], { kind: "status", status: 401 }, ctx)).toEqual({
        changes: [],
        unauthorized: true,
      });
    });

    it("asks to split a request of several items that the edge refused whole", () => {
      const decision = decidePush([pendingRecord(), pendingRecord()], { kind: "status", status: 413 }, ctx);
      expect(decision).toEqual({ changes: [], split: true });
    });

    it("changes nothing when our own stop (close) ended the request, and says so", () => {
      const decision = decidePush([pendingRecord({ attempts: 2 })], { kind: "stopped" }, ctx);
      expect(decision).toEqual({ changes: [], stopped: true });
    });

    it("sends a single item the edge refused whole to dead with the code", () => {
      const decision = decidePush(
        [pendingRecord()],
        { kind: "status", status: 400, code: "invalid_request", message: "bad" },
        ctx,
      );
      expect(decision.changes[0]?.event).toMatchObject({
        type: "reject",
        error: { code: "invalid_request", retryable: false, details: { status: 400 } },
      });
    });
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores what it cannot read", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter(new Date(20_000).toUTCString(), 10_000)).toBe(10_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});
