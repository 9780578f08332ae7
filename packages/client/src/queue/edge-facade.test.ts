import { ValidationError } from "@errand/core";
import { describe, expect, expectTypeOf, it } from "vitest";
import { EdgeFacade, localOptionIssues } from "./edge-facade.ts";
import type { EnqueueOptions } from "./enqueue-options.ts";
import { issuesOf } from "./fixtures/issues.ts";

describe("an edge task's options", () => {
  it("names every local option given to a target: edge task, with the batch item's path", () => {
    const options = {
      target: "edge",
      topic: "demo.echo",
      priority: 2,
      retry: { maxAttempts: 1 },
      durable: false,
    };
    expect(localOptionIssues(options as unknown as EnqueueOptions, "items.3.").map((i) => i.path)).toEqual([
      "items.3.options.priority",
      "items.3.options.retry",
      "items.3.options.durable",
    ]);
    expect(localOptionIssues({ target: "edge", orderingKey: "k", dedupKey: "d", delay: 10 }, "")).toEqual([]);
  });

  it("refuses them before anything reaches the outbox, as it refuses a mixed batch", async () => {
    // No edge attached: a call that got past the check would fail with no_edge instead.
    const facade = new EdgeFacade();
    const local = { target: "edge", ttl: 1000 } as unknown as never;
    await expect(facade.enqueue("work", {}, local)).rejects.toBeInstanceOf(ValidationError);
    expect(
      issuesOf(() =>
        facade.enqueueMany([
          { type: "work", payload: {}, options: { target: "edge" } },
          { type: "work", payload: {}, options: { target: "edge", timeout: 5, onDead: "halt" } as never },
        ]),
      ),
    ).toEqual(["items.1.options.onDead", "items.1.options.timeout"]);
    expect(
      issuesOf(() =>
        facade.enqueueMany([
          { type: "work", payload: {}, options: { target: "edge" } },
          { type: "work", payload: {}, options: {} },
        ]),
      ),
    ).toEqual(["items"]);
  });

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
