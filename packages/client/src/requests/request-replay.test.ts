import { describe, expect, it } from "vitest";
import { pendingRequest } from "../fixtures/records.ts";
import type { RequestRecord } from "../lifecycle/request-record.ts";
import { replayHeaders, requestAfter } from "./request-replay.ts";

const record: RequestRecord = { ...pendingRequest({ id: "r1", url: "https://app.example/api" }), seq: 1 };
const ctx = { now: 1000, backoff: { kind: "fixed", delayMs: 2000 } as const };
const answer = (status: number, retryAfterMs?: number) => ({
  kind: "response" as const,
  response: { status, statusText: "", headers: [], body: new ArrayBuffer(0) },
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

describe("requestAfter", () => {
  it("ends with the response on a 2xx, stamped with when it finished", () => {
    expect(requestAfter(record, answer(201), ctx)).toMatchObject({
      state: "succeeded",
      response: { status: 201 },
      finishedAt: 1000,
    });
  });

  it("ends dead on a 400, keeping the response for the caller, stamped with when it finished", () => {
    expect(requestAfter(record, answer(400), ctx)).toMatchObject({
      state: "dead",
      response: { status: 400 },
      error: { code: "http_400", retryable: false },
      finishedAt: 1000,
    });
  });

  it("retries a 500, a 429 and a network failure, honouring Retry-After", () => {
    expect(requestAfter(record, answer(500), ctx)).toMatchObject({
      state: "pending",
      attempts: 1,
      runAt: 3000,
    });
    expect(requestAfter(record, answer(429, 10_000), ctx)).toMatchObject({ state: "pending", runAt: 11_000 });
    const offline = requestAfter(record, { kind: "network", message: "offline" }, ctx);
    expect(offline).toMatchObject({ state: "pending", error: { code: "network_error" } });
    expect(offline.finishedAt).toBeUndefined();
  });

  it("leaves the record as it was, the same object, when our own stop (close) ended the attempt", () => {
    const retried = requestAfter(record, { kind: "network", message: "offline" }, ctx);
    expect(requestAfter(retried, { kind: "stopped" }, ctx)).toBe(retried);
  });
});

describe("replayHeaders", () => {
  it("sends the record's id as Idempotency-Key", () => {
    const headers = replayHeaders({ ...record, headers: [["content-type", "text/plain"]] });
    expect([...headers]).toEqual([
      ["content-type", "text/plain"],
      ["idempotency-key", "r1"],
    ]);
  });

  it("keeps an Idempotency-Key the app set itself", () => {
    const headers = replayHeaders({ ...record, headers: [["Idempotency-Key", "order-7"]] });
    expect(headers.get("idempotency-key")).toBe("order-7");
  });
});
