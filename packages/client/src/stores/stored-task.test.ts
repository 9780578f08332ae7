import { serializeError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { buildRecord } from "../lifecycle/enqueue-options.ts";
import type { TaskRecord } from "../lifecycle/task-record.ts";
import { transition } from "../lifecycle/transition.ts";
import { fromStored, toStored } from "./stored-task.ts";

const defs = { work: { version: 2 } };
const t0 = 1_000_000;

function pending(options: Parameters<typeof buildRecord>[2] = {}): TaskRecord {
  return buildRecord("work", { n: 1 }, options, { id: "task-1", now: t0, defs, policies: {} });
}

/** A record through every state a stored task can reach. */
function lifetimes(): TaskRecord[] {
  const keyed = pending({
    priority: 3,
    delay: 10,
    ttl: 60_000,
    timeout: 500,
    orderingKey: "k",
    dedupKey: "d",
    onDead: "halt",
    retry: { maxAttempts: 2 },
  });
  const running = transition(keyed, {
    type: "claim",
    owner: "a",
    now: t0 + 20,
    leaseMs: 1000,
    maxAttempts: 2,
  });
  const renewed = transition(running, {
    type: "renew",
    token: 1,
    now: t0 + 30,
    leaseMs: 1000,
    progress: 0.5,
  });
  const retrying = transition(renewed, {
    type: "fail",
    token: 1,
    now: t0 + 40,
    error: serializeError(new Error("flaky")),
    decision: { retry: true, delayMs: 5 },
  });
  const succeeded = transition(
    transition(retrying, { type: "claim", owner: "b", now: t0 + 50, leaseMs: 1000, maxAttempts: 2 }),
    { type: "succeed", token: 2, now: t0 + 60, result: { ok: [1, 2] } },
  );
  const negative = pending({ priority: -4 });
  return [pending(), negative, keyed, running, renewed, retrying, succeeded];
}

describe("the stored task", () => {
  it("reads back every record it wrote, in every state", () => {
    for (const task of lifetimes()) expect(fromStored(toStored(task))).toEqual(task);
  });

  it("leaves out what it can restore while a new task holds its defaults", () => {
    expect(Object.keys(toStored(pending())).sort()).toEqual(
      ["createdAt", "id", "payload", "rank", "runAt", "state", "type", "version"].sort(),
    );
  });

  it("keeps a field that differs from its default", () => {
    const [, , keyed, running] = lifetimes() as [TaskRecord, TaskRecord, TaskRecord, TaskRecord];
    expect(toStored(keyed)).toMatchObject({ onDead: "halt", orderingKey: "k", gate: "k", dedupGate: "d" });
    expect(toStored(running)).toMatchObject({ attempts: 1, fence: 1, updatedAt: t0 + 20 });
  });

  it("reads a record stored whole by an earlier version as it was", () => {
    const whole = { ...pending({ priority: 2 }), attempts: 0, fence: 0 };
    expect(fromStored(whole)).toEqual(whole);
  });
});
