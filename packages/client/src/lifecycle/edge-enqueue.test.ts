import { MAX_MESSAGE_BYTES } from "@errand/core/wire";
import { describe, expect, it } from "vitest";
import { issuesOf } from "../fixtures/issues.ts";
import { buildOutboxRecord, type EdgeEnqueueOptions } from "./edge-enqueue.ts";

const ctx = {
  id: "0190b3c8-0000-7000-8000-000000000001",
  now: 1000,
  subject: "ada",
  defs: { "demo.echo": { version: 1 } },
};

describe("buildOutboxRecord", () => {
  it("builds a pending record under the subject, publishing to the type's topic by default", () => {
    expect(buildOutboxRecord("demo.echo", { a: 1 }, { target: "edge" }, ctx)).toEqual({
      id: ctx.id,
      type: "demo.echo",
      topic: "demo.echo",
      payload: { a: 1 },
      subject: "ada",
      state: "pending",
      attempts: 0,
      runAt: 1000,
      createdAt: 1000,
      updatedAt: 1000,
    });
  });

  it("carries keys and turns a delay into whole seconds, rounded up", () => {
    const record = buildOutboxRecord(
      "demo.echo",
      null,
      { target: "edge", topic: "demo.other", orderingKey: "k", dedupKey: "d", delay: 1500 },
      ctx,
    );
    expect(record).toMatchObject({ topic: "demo.other", orderingKey: "k", dedupKey: "d", delaySeconds: 2 });
  });

  describe("when the input can never be accepted", () => {
    it("refuses every problem at once with its path", () => {
      const attempt = () =>
        buildOutboxRecord(
          "nope",
          { when: new Date() },
          { target: "edge", topic: "Bad Topic", orderingKey: "", delay: -1 },
          ctx,
        );
      expect(attempt).toThrow(expect.objectContaining({ code: "invalid_input" }));
      try {
        attempt();
      } catch (error) {
        expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
          "type",
          "options.topic",
          "payload.when",
          "options.orderingKey",
          "options.delay",
        ]);
      }
    });

    it("refuses a local task's option, which does not apply at the edge, with the others", () => {
      const options = {
        target: "edge",
        topic: "Bad Topic",
        priority: 2,
        retry: { maxAttempts: 1 },
        durable: false,
      };
      const attempt = () =>
        buildOutboxRecord("demo.echo", {}, options as unknown as EdgeEnqueueOptions, {
          ...ctx,
          path: "items.3.",
        });
      expect(issuesOf(attempt)).toEqual([
        "items.3.options.topic",
        "items.3.options.priority",
        "items.3.options.retry",
        "items.3.options.durable",
      ]);
    });

    it("refuses a type named after an inherited property", () => {
      for (const type of ["toString", "constructor", "__proto__"])
        expect(() => buildOutboxRecord(type, null, { target: "edge" }, ctx)).toThrow(/is not a task type/);
    });

    it("refuses a key with a lone surrogate, which the edge would refuse for good", () => {
      expect(() =>
        buildOutboxRecord("demo.echo", null, { target: "edge", dedupKey: "d\udfff" }, ctx),
      ).toThrow(/options.dedupKey must be well-formed Unicode/);
      expect(
        buildOutboxRecord("demo.echo", null, { target: "edge", dedupKey: "d\u{1F600}" }, ctx),
      ).toMatchObject({
        dedupKey: "d\u{1F600}",
      });
    });

    it("refuses a payload over the contract's message limit", () => {
      expect(() =>
        buildOutboxRecord("demo.echo", "x".repeat(MAX_MESSAGE_BYTES), { target: "edge" }, ctx),
      ).toThrow(/at most 131072 bytes/);
    });
  });
});
