import { ErrandError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { submitTasks } from "../transport/edge-http.ts";
import { createTokenSource } from "../transport/token-source.ts";
import { withDeadline } from "./deadline.ts";

const never = () => new Promise<never>(() => {});

describe("withDeadline", () => {
  it("rejects with a TimeoutError and aborts the request's signal when time runs out", async () => {
    let seen: AbortSignal | undefined;
    const outcome = withDeadline({ timeoutMs: 10 }, (signal) => {
      seen = signal;
      return never();
    });
    await expect(outcome).rejects.toMatchObject({ name: "TimeoutError" });
    expect(seen?.aborted).toBe(true);
  });

  it("rejects as soon as the stop signal aborts, even for a request that ignores its signal", async () => {
    const stop = new AbortController();
    const outcome = withDeadline({ timeoutMs: 60_000, signal: stop.signal }, never);
    stop.abort(new Error("closed"));
    await expect(outcome).rejects.toThrow("closed");
  });

  it("starts no request once the stop signal has aborted", async () => {
    const stop = new AbortController();
    stop.abort(new Error("closed"));
    let started = false;
    const outcome = withDeadline({ signal: stop.signal }, async () => {
      started = true;
      return 7;
    });
    await expect(outcome).rejects.toThrow("closed");
    expect(started).toBe(false);
  });

  it("passes a request's answer through", async () => {
    await expect(withDeadline({ timeoutMs: 60_000 }, async () => 7)).resolves.toBe(7);
  });
});

describe("the sync's requests", () => {
  const edge = { url: "https://edge.example", now: Date.now, timeoutMs: 20 };

  it("count a push that never answers as a network failure", async () => {
    const response = await submitTasks({ ...edge, fetch: never }, "t", []);
    expect(response).toMatchObject({ kind: "network" });
  });

  it("count a push whose body stalls midway as a network failure", async () => {
    const stalled = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('{"results":[')),
    });
    const fetch = async () => new Response(stalled, { status: 200 });
    const response = await submitTasks({ ...edge, fetch }, "t", []);
    expect(response).toMatchObject({ kind: "network" });
  });

  it("count a push that the caller's stop ended as stopped, not as a network failure", async () => {
    const stop = new AbortController();
    const response = submitTasks({ ...edge, timeoutMs: 60_000, signal: stop.signal, fetch: never }, "t", []);
    stop.abort(new DOMException("The runtime closed", "AbortError"));
    expect(await response).toEqual({ kind: "stopped" });
  });

  it("count a push that ran out of time as a network failure, though the caller stopped since", async () => {
    const stop = new AbortController();
    const fetch = (_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => {
          // The fetch gives up on its deadline; the caller stops before that failure reaches it.
          stop.abort(new DOMException("The runtime closed", "AbortError"));
          reject(init.signal?.reason);
        }),
      );
    const response = await submitTasks({ ...edge, signal: stop.signal, fetch }, "t", []);
    expect(response).toMatchObject({ kind: "network" });
  });

  it("make a token call that never answers a retryable token_unavailable", async () => {
    const tokens = createTokenSource({ getToken: never, timeoutMs: 20 });
    const error = await tokens.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrandError);
    expect(error).toMatchObject({ code: "token_unavailable", retryable: true });
  });

  it("make a token endpoint whose body stalls a retryable token_unavailable", async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: () => {} });
    const tokens = createTokenSource({
      tokenUrl: "https://app.example/token",
      fetch: async () => new Response(stalled, { status: 200 }),
      timeoutMs: 20,
    });
    await expect(tokens.get()).rejects.toMatchObject({ code: "token_unavailable", retryable: true });
  });
});
