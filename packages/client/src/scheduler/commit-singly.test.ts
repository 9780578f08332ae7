import { type ErrandError, StorageError } from "@errand/core";
import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../lifecycle/transition.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import { NOT_STORABLE, type StoreApplied } from "../stores/store.ts";
import type { PendingChange } from "./commit-queue.ts";
import { commitSingly } from "./commit-singly.ts";

/** A store whose commit of a change to task `quota` or `broken` always fails. */
class FailingStore extends MemoryTaskStore {
  override async commit(...args: Parameters<MemoryTaskStore["commit"]>) {
    const [changes] = args;
    if (changes.some((one) => one.id === "quota")) throw new StorageError("quota_exceeded", "over quota");
    if (changes.some((one) => one.id === "broken")) throw new StorageError("storage_error", "UnknownError");
    return { applied: changes.map(() => ({ ok: true }) as unknown as StoreApplied) };
  }
}

function pending(id: string, event: TaskEvent) {
  const answer: { applied?: StoreApplied; error?: unknown } = {};
  const change: PendingChange = {
    change: { id, event },
    kind: "outcome",
    resolve: (applied) => {
      answer.applied = applied;
    },
    reject: (error) => {
      answer.error = error;
    },
    drop: () => {},
  };
  return { change, answer };
}

const succeed: TaskEvent = { type: "succeed", token: 1, now: 0, result: "big" };
const renew: TaskEvent = { type: "renew", token: 1, now: 0, leaseMs: 10 };

describe("committing a failed pass's changes one by one", () => {
  it("commits each change the store takes, and answers a success over quota as not storable", async () => {
    const fine = pending("fine", succeed);
    const quota = pending("quota", succeed);
    expect(await commitSingly(new FailingStore(), [fine.change, quota.change])).toBeUndefined();
    expect(fine.answer).toEqual({ applied: { ok: true } });
    expect(quota.answer.applied).toMatchObject({ ok: false });
    expect((quota.answer.applied as { error: ErrandError }).error.code).toBe(NOT_STORABLE);
  });

  it("rejects every change that fails again with one error object, so the pass reports it once", async () => {
    const first = pending("broken", renew);
    const second = pending("broken", succeed);
    const quotaRenewal = pending("quota", renew);
    const failure = await commitSingly(new FailingStore(), [
      first.change,
      second.change,
      quotaRenewal.change,
    ]);
    expect((failure as ErrandError).code).toBe("storage_error");
    expect(first.answer.error).toBe(failure);
    expect(second.answer.error).toBe(failure);
    expect(quotaRenewal.answer.error).toBe(failure);
  });
});
