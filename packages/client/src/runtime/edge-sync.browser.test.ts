import { ErrandError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { createOnlineManager } from "../browser/online-manager.ts";
import {
  fakeEdge,
  grant,
  type SyncErrand,
  startErrand,
  startedErrands,
  within,
} from "../fixtures/fake-edge.ts";
import { openQueueDb } from "../stores/db.ts";
import { OutboxStore } from "../stores/outbox-store.ts";
import type { TokenGrant } from "../transport/token-source.ts";

const { start } = startedErrands();

const unauthorized = () =>
  Response.json({ error: { code: "unauthorized", message: "expired" } }, { status: 401 });
const stall = () => new Promise<Response>(() => {});

/** Reads database `dbName` through a connection of its own, beside any runtime over it. */
async function stored<T>(dbName: string, read: (store: OutboxStore) => Promise<T>): Promise<T> {
  const db = await openQueueDb(dbName, { onVersionChange() {}, onTerminated() {} });
  try {
    return await read(new OutboxStore(db));
  } finally {
    db.close();
  }
}

describe("EdgeSync", () => {
  it("refuses a local option on an edge task, storing and sending nothing", async () => {
    const edge = fakeEdge();
    const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
    // An untyped caller: the types refuse these options (edge-facade.test.ts).
    const local = { target: "edge", priority: 5, retry: { maxAttempts: 1 } } as never;
    await expect(errand.enqueue("demo.echo", { a: 1 }, local)).rejects.toMatchObject({
      code: "invalid_input",
      issues: [{ path: "options.priority" }, { path: "options.retry" }],
    });
    await expect(
      errand.enqueueMany([{ type: "demo.echo", payload: {}, options: local }]),
    ).rejects.toMatchObject({
      issues: [{ path: "items.0.options.priority" }, { path: "items.0.options.retry" }],
    });
    expect(await errand.edgeTasks()).toEqual([]);
    expect(await errand.list()).toEqual([]);
    expect(edge.posts).toEqual([]);
  });

  describe("when the edge refuses a token and the refresh fails", () => {
    it("keeps pushing after a refresh that failed for a passing reason", async () => {
      let calls = 0;
      const getToken = async () => {
        calls += 1;
        if (calls === 2)
          throw new ErrandError("token_unavailable", "token endpoint 503", { retryable: true });
        return grant(`t${calls}`);
      };
      // The edge refuses the first token (expired there), takes any other.
      const edge = fakeEdge({ post: (token) => (token === "t1" ? unauthorized() : undefined) });
      const errand = await start({ fetch: edge.fetch, getToken });
      const a = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([a.id]);
      const b = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([a.id, b.id]);
      expect(errand.syncState()?.paused).toBeUndefined();
    });

    it("pushes another subject's tasks after a refresh brought that subject's token", async () => {
      let calls = 0;
      let user = "ada";
      const getToken = async () => grant(`${user}-${++calls}`, user);
      // The edge refuses every token of ada's.
      const edge = fakeEdge({ post: (token) => (token.startsWith("ada") ? unauthorized() : undefined) });
      const errand = await start({ fetch: edge.fetch, getToken });
      await within(errand.edgeTasks(), 20_000, "no list"); // the start-up token names ada
      user = "bob"; // signed in as bob elsewhere (cookies), no signOut() here
      const ada = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => errand.syncState()?.paused).toBe("unauthorized");
      const bob = await errand.enqueue("demo.echo", { b: 1 }, { target: "edge" });
      expect((await errand.edgeTask(bob.id))?.subject).toBe("bob");
      await expect.poll(() => edge.effects).toEqual([bob.id]);
      expect((await errand.edgeTask(ada.id))?.state).toBe("pending");
    });

    it("pauses when the refresh is refused", async () => {
      let calls = 0;
      const getToken = async () => {
        calls += 1;
        if (calls === 2) throw new ErrandError("token_refused", "signed out", { retryable: false });
        return grant(`t${calls}`);
      };
      const edge = fakeEdge({ post: (token) => (token === "t1" ? unauthorized() : undefined) });
      const errand = await start({ fetch: edge.fetch, getToken });
      await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => errand.syncState()?.paused).toBe("unauthorized");
      expect(edge.effects).toEqual([]);
    });
  });

  describe("when a request never answers", () => {
    it("retries a push after its deadline instead of waiting for ever", async () => {
      const edge = fakeEdge({ post: (_token, n) => (n === 1 ? stall() : undefined) });
      const errand = await start({
        fetch: edge.fetch,
        getToken: async () => grant("t"),
        requestTimeoutMs: 200,
      });
      const a = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => edge.effects).toEqual([a.id]);
      await expect.poll(async () => (await errand.edgeTask(a.id))?.state).toBe("succeeded");
      expect(edge.posts.length).toBeGreaterThan(1);
    });

    it("polls status again after a poll that stalled", async () => {
      const edge = fakeEdge({ read: (n) => (n === 1 ? stall() : undefined) });
      const errand = await start({
        fetch: edge.fetch,
        getToken: async () => grant("t"),
        requestTimeoutMs: 200,
      });
      const a = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(async () => (await errand.edgeTask(a.id))?.state).toBe("succeeded");
    });

    it("asks for a token again after a token call that stalled", async () => {
      let calls = 0;
      const getToken = () => (++calls === 1 ? new Promise<never>(() => {}) : Promise.resolve(grant("t")));
      const edge = fakeEdge();
      const errand = await start({ fetch: edge.fetch, getToken, requestTimeoutMs: 200 });
      const a = await within(errand.enqueue("demo.echo", { a: 1 }, { target: "edge" }), 20_000, "pending");
      expect(a).not.toBe("pending");
      await expect.poll(() => edge.effects).toEqual([typeof a === "string" ? a : a.id]);
    });

    it("replays a queued request again after an attempt that stalled", async () => {
      const edge = fakeEdge();
      let attempts = 0;
      const fetch: typeof globalThis.fetch = (input, init) => {
        if (!String(input).startsWith("https://app.example/")) return edge.fetch(input, init);
        attempts += 1;
        return attempts === 1 ? stall() : Promise.resolve(new Response("saved"));
      };
      const errand = await start({ fetch, getToken: async () => grant("t"), requestTimeoutMs: 200 });
      await within(errand.edgeTasks(), 20_000, "no list"); // waits for the start-up token: the subject
      const queued = await errand.queueRequest("https://app.example/save", { method: "POST", body: "x" });
      const response = await within(queued.response(), 60_000, "no response");
      expect(response === "no response" ? response : await response.text()).toBe("saved");
      expect(attempts).toBe(2);
    });

    it("closes without waiting for the stalled request", async () => {
      const edge = fakeEdge({ post: stall });
      // No deadline to end the request first: only close's abort can.
      const errand = await startErrand({
        fetch: edge.fetch,
        getToken: async () => grant("t"),
        requestTimeoutMs: 2 ** 31 - 1,
      });
      await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => edge.posts.length).toBe(1);
      expect(
        await within(
          errand.close().then(() => "closed"),
          20_000,
          "still closing",
        ),
      ).toBe("closed");
    });
  });

  describe("when the runtime closes with a request in flight", () => {
    // No deadline, so only close can end a request; a retry it scheduled would wait a minute.
    const options = {
      getToken: async () => grant("t"),
      backoff: { kind: "fixed", delayMs: 60_000 },
      requestTimeoutMs: 2 ** 31 - 1,
    } as const;

    it("leaves the pushed tasks as they were, and pushes them at the next start", async () => {
      const dbName = `sync-${crypto.randomUUID()}`;
      const stalled = fakeEdge({ post: stall });
      const first = await startErrand({ ...options, fetch: stalled.fetch }, dbName);
      const a = await first.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => stalled.posts.length).toBe(1);
      const before = await first.edgeTask(a.id);
      expect(await within(first.close(), 10_000, "still closing")).toBeUndefined();
      expect(await stored(dbName, (store) => store.get(a.id))).toEqual(before);

      const edge = fakeEdge();
      const errand = await start({ ...options, fetch: edge.fetch }, dbName);
      await expect.poll(() => edge.effects).toEqual([a.id]);
      expect(await errand.edgeTask(a.id)).toMatchObject({ state: "sent", attempts: 0 });
    });

    it("leaves the pushed tasks as they were when it closes during the token refresh after a 401", async () => {
      const dbName = `sync-${crypto.randomUUID()}`;
      let calls = 0;
      const getToken = () => (++calls === 1 ? Promise.resolve(grant("t1")) : new Promise<never>(() => {}));
      const edge = fakeEdge({ post: unauthorized });
      const first = await startErrand({ ...options, fetch: edge.fetch, getToken }, dbName);
      const a = await first.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => calls).toBe(2);
      const before = await first.edgeTask(a.id);
      expect(await within(first.close(), 10_000, "still closing")).toBeUndefined();
      expect(await stored(dbName, (store) => store.get(a.id))).toEqual(before);
    });

    it("leaves the replayed request as it was, and replays it at the next start", async () => {
      const dbName = `sync-${crypto.randomUUID()}`;
      const edge = fakeEdge();
      const app =
        (answer: () => Promise<Response>): typeof globalThis.fetch =>
        (input, init) =>
          String(input).startsWith("https://app.example/") ? answer() : edge.fetch(input, init);
      let attempts = 0;
      const counted = () => {
        attempts += 1;
        return stall();
      };
      const first = await startErrand({ ...options, fetch: app(counted) }, dbName);
      await within(first.edgeTasks(), 20_000, "no list"); // waits for the start-up token: the subject
      const { id } = await first.queueRequest("https://app.example/save", { method: "POST", body: "x" });
      await expect.poll(() => attempts).toBe(1);
      const before = await stored(dbName, (store) => store.getRequest(id));
      expect(await within(first.close(), 10_000, "still closing")).toBeUndefined();
      expect(await stored(dbName, (store) => store.getRequest(id))).toEqual(before);

      await start({ ...options, fetch: app(async () => new Response("saved")) }, dbName);
      await expect
        .poll(() => stored(dbName, (store) => store.getRequest(id)))
        .toMatchObject({
          state: "succeeded",
          attempts: 0,
        });
    });

    it("records the edge's answer to a push that arrived as it closed", async () => {
      const dbName = `sync-${crypto.randomUUID()}`;
      const online = createOnlineManager({ onLine: () => true, listen: () => () => {} });
      let closing: Promise<void> | undefined;
      // The pusher reports the edge reachable as soon as its answer is in, before writing it.
      const reportReachable = () => {
        closing ??= errand.close();
      };
      const errand: SyncErrand = await startErrand(
        { ...options, fetch: fakeEdge().fetch, online: { ...online, reportReachable } },
        dbName,
      );
      const a = await errand.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await expect.poll(() => closing !== undefined).toBe(true);
      expect(await within(closing ?? Promise.resolve(), 10_000, "still closing")).toBeUndefined();
      expect(await stored(dbName, (store) => store.get(a.id))).toMatchObject({ state: "sent", attempts: 0 });
    });
  });

  describe("when the start-up token call stalls", () => {
    it("commits an edge enqueue under the stored subject", async () => {
      const dbName = `sync-${crypto.randomUUID()}`;
      const edge = fakeEdge();
      const first = await startErrand({ fetch: edge.fetch, getToken: async () => grant("t") }, dbName);
      await first.enqueue("demo.echo", { a: 1 }, { target: "edge" });
      await within(first.close(), 10_000, "still closing");
      // A reload on a stalled network: the token call never answers, and never times out.
      const getToken = () => new Promise<never>(() => {});
      const errand = await start({ fetch: edge.fetch, getToken, requestTimeoutMs: 2 ** 31 - 1 }, dbName);
      const stored = await within(
        errand.enqueue("demo.echo", { b: 1 }, { target: "edge" }),
        20_000,
        "pending",
      );
      expect(stored).not.toBe("pending");
      if (typeof stored === "string") return;
      expect((await errand.edgeTask(stored.id))?.subject).toBe("ada");
    });
  });

  describe("queueRequest", () => {
    it("files a request queued before the subject is known under that subject, and replays it", async () => {
      const edge = fakeEdge();
      const sent: string[] = [];
      const fetch: typeof globalThis.fetch = (input, init) => {
        if (!String(input).startsWith("https://app.example/")) return edge.fetch(input, init);
        sent.push(String(input));
        return Promise.resolve(new Response("saved"));
      };
      const getToken = () => new Promise<TokenGrant>((resolve) => setTimeout(() => resolve(grant("t")), 50));
      const errand = await start({ fetch, getToken });
      const queued = await within(
        errand.queueRequest("https://app.example/save", { method: "POST", body: "x" }),
        20_000,
        "pending",
      );
      expect(queued).not.toBe("pending");
      if (typeof queued === "string") return;
      const response = await within(queued.response(), 60_000, "no response");
      expect(response === "no response" ? response : await response.text()).toBe("saved");
      expect(sent).toEqual(["https://app.example/save"]);
    });

    it("sends the same Idempotency-Key on every attempt, so a server can apply it once", async () => {
      const edge = fakeEdge();
      const keys: (string | null)[] = [];
      const fetch: typeof globalThis.fetch = (input, init) => {
        if (!String(input).startsWith("https://app.example/")) return edge.fetch(input, init);
        const key = new Headers(init?.headers).get("idempotency-key");
        keys.push(key);
        // The first time the server acts, then the connection breaks before the answer arrives.
        return keys.length === 1
          ? Promise.reject(new TypeError("Failed to fetch"))
          : Promise.resolve(new Response("ok"));
      };
      const errand = await start({ fetch, getToken: async () => grant("t") });
      const queued = await errand.queueRequest("https://app.example/pay", { method: "POST", body: "10 EUR" });
      const response = await within(queued.response(), 60_000, "no response");
      expect(response).not.toBe("no response");
      expect(keys).toEqual([queued.id, queued.id]);
    });

    it("refuses a request with signed_out when no subject is known", async () => {
      const getToken = async () => {
        throw new ErrandError("token_refused", "signed out", { retryable: false });
      };
      const errand = await start({ fetch: fakeEdge().fetch, getToken });
      const outcome = await within(
        errand
          .queueRequest("https://app.example/save", { method: "POST", body: "x" })
          .catch((e: unknown) => e),
        20_000,
        "pending",
      );
      expect(outcome).toBeInstanceOf(ErrandError);
      expect(outcome).toMatchObject({ code: "signed_out" });
    });
  });

  describe("when a dedup key is taken", () => {
    it("answers a second enqueue with the task holding the key, in this outbox", async () => {
      const edge = fakeEdge();
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const first = await errand.enqueue("demo.echo", { n: 1 }, { target: "edge", dedupKey: "once" });
      const second = await errand.enqueue("demo.echo", { n: 2 }, { target: "edge", dedupKey: "once" });
      expect([second.id, first.created, second.created]).toEqual([first.id, true, false]);
      expect(await within(second.result(), 60_000, "pending")).toBeUndefined();
      expect(edge.effects).toEqual([first.id]);
    });

    it("ends a task whose key the edge holds from elsewhere dead with duplicate", async () => {
      const edge = fakeEdge();
      const elsewhere = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const first = await elsewhere.enqueue("demo.echo", { n: 1 }, { target: "edge", dedupKey: "once" });
      await expect.poll(() => edge.effects).toEqual([first.id]);
      const errand = await start({ fetch: edge.fetch, getToken: async () => grant("t") });
      const second = await errand.enqueue("demo.echo", { n: 2 }, { target: "edge", dedupKey: "once" });
      const outcome = await within(
        second.result().catch((e: unknown) => e),
        60_000,
        "pending",
      );
      expect(outcome).toBeInstanceOf(ErrandError);
      expect(outcome).toMatchObject({ code: "duplicate", details: { duplicateOf: first.id } });
      expect((await errand.edgeTask(second.id))?.state).toBe("dead");
    });
  });
});
