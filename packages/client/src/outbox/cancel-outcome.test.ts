import type { TaskView } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { pendingRecord } from "../fixtures/records.ts";
import { decideCancel } from "./cancel-outcome.ts";

const backoff = { kind: "fixed", delayMs: 100 } as const;
const ctx = { now: 1_000, backoff };
const record = pendingRecord({ state: "sent", cancel: { seq: 9, attempts: 2, runAt: 0 } });

describe("decideCancel", () => {
  it("answers cancelled with the task the edge cancelled", () => {
    const view: TaskView = {
      id: record.id,
      topic: "demo.echo",
      status: "cancelled",
      attempts: 0,
      deliveries: [],
    };
    expect(decideCancel(record, { kind: "cancelled", view }, ctx)).toEqual({
      event: { type: "cancel-answered", now: 1_000, answer: { kind: "cancelled", view } },
    });
  });

  it("ends the cancel and leaves the task as it is on 409 already_final and on 404", () => {
    expect(decideCancel(record, { kind: "status", status: 409, code: "already_final" }, ctx).event).toEqual({
      type: "cancel-answered",
      now: 1_000,
      answer: { kind: "already_final" },
    });
    expect(decideCancel(record, { kind: "status", status: 404, code: "not_found" }, ctx).event).toEqual({
      type: "cancel-answered",
      now: 1_000,
      answer: { kind: "not_found" },
    });
  });

  it("retries after a network failure, a 5xx or a 429, never sooner than Retry-After", () => {
    expect(decideCancel(record, { kind: "network", message: "offline" }, ctx).event).toMatchObject({
      type: "cancel-retry",
      runAt: 1_100,
      error: { code: "network_error", retryable: true },
    });
    const busy = decideCancel(record, { kind: "status", status: 429, retryAfterMs: 5_000 }, ctx);
    expect(busy).toMatchObject({ event: { type: "cancel-retry", runAt: 6_000 }, holdUntil: 6_000 });
    expect(decideCancel(record, { kind: "status", status: 503 }, ctx).event).toMatchObject({
      type: "cancel-retry",
      error: { code: "http_503" },
    });
  });

  it("asks for a fresh token on 401 and changes nothing", () => {
    expect(decideCancel(record, { kind: "status", status: 401 }, ctx)).toEqual({ unauthorized: true });
  });

  it("changes nothing when our own close stopped the call", () => {
    expect(decideCancel(record, { kind: "stopped" }, ctx)).toEqual({ stopped: true });
  });

  it("ends the cancel as refused on another 4xx, with the edge's code", () => {
    expect(decideCancel(record, { kind: "status", status: 403, code: "forbidden" }, ctx).event).toMatchObject(
      {
        type: "cancel-answered",
        answer: { kind: "refused", error: { code: "forbidden", retryable: false } },
      },
    );
  });
});
