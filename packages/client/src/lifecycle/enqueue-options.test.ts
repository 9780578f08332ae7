import { describe, expect, expectTypeOf, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import {
  buildRecord,
  type EnqueueOptions,
  effectivePolicy,
  type LocalEnqueueOptions,
  unstorablePayload,
} from "./enqueue-options.ts";

const ctx = {
  id: "id-1",
  now: 5_000,
  defs: { work: { version: 3 } },
  policies: { work: { maxAttempts: 2 } },
};

describe("buildRecord", () => {
  it("builds a pending record with the handler's version, delay and TTL", () => {
    const record = buildRecord("work", { a: 1 }, { delay: 100, ttl: 1000, priority: 2, timeout: 50 }, ctx);
    expect(record).toMatchObject({
      id: "id-1",
      state: "pending",
      version: 3,
      runAt: 5_100,
      expiresAt: 6_000,
      priority: 2,
      rank: -2,
      timeoutMs: 50,
      attempts: 0,
      durable: true,
      onDead: "continue",
    });
  });

  describe("when the input is bad", () => {
    it("rejects an unknown type", () => {
      expect(issuesOf(() => buildRecord("nope", {}, {}, ctx))).toEqual(["type"]);
    });

    it("rejects a timeout, or a retry timeoutMs, longer than a timer can wait (2^31 - 1 ms)", () => {
      expect(buildRecord("work", {}, { timeout: 2 ** 31 - 1 }, ctx).timeoutMs).toBe(2 ** 31 - 1);
      expect(issuesOf(() => buildRecord("work", {}, { timeout: 2 ** 31 }, ctx))).toEqual(["options.timeout"]);
      expect(issuesOf(() => buildRecord("work", {}, { retry: { timeoutMs: 2 ** 31 } }, ctx))).toEqual([
        "options.retry.timeoutMs",
      ]);
    });

    it("rejects a type named after an inherited property (toString, constructor, __proto__)", () => {
      for (const type of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
        expect(issuesOf(() => buildRecord(type, {}, {}, ctx))).toEqual(["type"]);
      }
    });

    it("leaves a payload structured clone cannot copy to the store's write, which refuses it (runtime.browser.test.ts)", () => {
      expect(buildRecord("work", { f: () => 1 }, {}, ctx).durable).toBe(true);
      expect(unstorablePayload("work", "items.2.").issues).toEqual([
        { path: "items.2.payload", message: expect.stringContaining("structured clone refused it") },
      ]);
    });

    it("lists every bad option at once, with the batch item's path", () => {
      const paths = issuesOf(() =>
        buildRecord(
          "work",
          {},
          { delay: -1, priority: Number.NaN, ttl: 0, orderingKey: "", onDead: "stop" as "halt" },
          { ...ctx, path: "items.4." },
        ),
      );
      expect(paths).toEqual([
        "items.4.options.priority",
        "items.4.options.delay",
        "items.4.options.ttl",
        "items.4.options.orderingKey",
        "items.4.options.onDead",
      ]);
    });

    it("rejects, from untyped callers, a target that is neither local nor edge and a topic without target edge", () => {
      const untyped = { target: "egde", topic: "demo.echo" } as unknown as LocalEnqueueOptions;
      expect(issuesOf(() => buildRecord("work", {}, untyped, ctx))).toEqual([
        "options.target",
        "options.topic",
      ]);
      expect(buildRecord("work", {}, { target: "local" }, ctx).state).toBe("pending");
    });

    it("rejects a TTL that ends before the delay does", () => {
      expect(issuesOf(() => buildRecord("work", {}, { delay: 500, ttl: 400 }, ctx))).toEqual(["options.ttl"]);
    });

    it("rejects an invalid retry policy with the policy's own issue paths", () => {
      expect(issuesOf(() => buildRecord("work", {}, { retry: { maxAttempts: 0 } }, ctx))).toEqual([
        "options.retry.maxAttempts",
      ]);
    });

    it("refuses functions in a durable task's retry policy, which storage cannot keep", () => {
      const retry = { retryable: () => true };
      expect(issuesOf(() => buildRecord("work", {}, { retry }, ctx))).toEqual(["options.retry"]);
      expect(buildRecord("work", {}, { retry, durable: false }, ctx).state).toBe("pending");
    });
  });
});

describe("effectivePolicy", () => {
  it("lays the task's overrides over the type's policy over the default", () => {
    const record = buildRecord("work", {}, { retry: { backoff: { kind: "fixed", delayMs: 10 } } }, ctx);
    expect(effectivePolicy(record, ctx.policies.work)).toMatchObject({
      maxAttempts: 2,
      backoff: { kind: "fixed", delayMs: 10 },
    });
  });

  it("keeps a durable task's retry timeoutMs, stored as plain data, as it does an ephemeral task's", () => {
    const durable = buildRecord("work", {}, { retry: { timeoutMs: 500 } }, ctx);
    expect(durable.retry).toEqual({ timeoutMs: 500 });
    expect(effectivePolicy(durable, ctx.policies.work)).toMatchObject({ maxAttempts: 2, timeoutMs: 500 });
  });
});

describe("EnqueueOptions", () => {
  it("are typed: a local option on an edge task, or a topic on a local one, does not compile", () => {
    expectTypeOf<{ target: "edge"; topic: "t"; delay: 5 }>().toExtend<EnqueueOptions>();
    expectTypeOf<{ priority: 1; retry: { maxAttempts: 2 } }>().toExtend<EnqueueOptions>();
    // @ts-expect-error: priority is a local option
    const edgeWithPriority: EnqueueOptions = { target: "edge", priority: 1 };
    // @ts-expect-error: a topic needs target: "edge"
    const localWithTopic: EnqueueOptions = { topic: "demo.echo" };
    expect([edgeWithPriority, localWithTopic]).toHaveLength(2);
  });
});
