import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommitQueue } from "./commit-queue.ts";
import type { TaskEvent } from "./transition.ts";

const change = (id: string) => ({ id, event: { type: "cancel", now: 0 } as TaskEvent });

describe("the commit queue", () => {
  let wakes: number;
  let group: boolean;
  let queue: CommitQueue<string>;

  beforeEach(() => {
    vi.useFakeTimers();
    wakes = 0;
    group = true;
    queue = new CommitQueue({ groupMs: 4, groupEvery: 3, mayGroup: () => group, wake: () => wakes++ });
  });
  afterEach(() => vi.useRealTimers());

  it("wakes the pass once at the end of the turn for every change made in it", async () => {
    void queue.add("db", change("a"), () => {}, false);
    void queue.add("db", change("b"), () => {}, false);
    expect(wakes).toBe(0);
    await Promise.resolve();
    expect(wakes).toBe(1);
    expect(queue.take("db").map((one) => one.change.id)).toEqual(["a", "b"]);
    expect(queue.size).toBe(0);
  });

  describe("when the window feeds the slots", () => {
    it("holds an outcome for others up to groupMs", async () => {
      void queue.add("db", change("a"), () => {}, true);
      await Promise.resolve();
      vi.advanceTimersByTime(3);
      expect(wakes).toBe(0);
      vi.advanceTimersByTime(1);
      expect(wakes).toBe(1);
    });

    it("wakes at once when groupEvery outcomes wait", async () => {
      for (const id of ["a", "b", "c"]) void queue.add("db", change(id), () => {}, true);
      await Promise.resolve();
      expect(wakes).toBe(1);
    });
  });

  it("wakes at once for an outcome when a slot waits for the claim it carries", async () => {
    group = false;
    void queue.add("db", change("a"), () => {}, true);
    await Promise.resolve();
    expect(wakes).toBe(1);
  });

  it("resolves a change once its pass hands it the store's answer, after `then` ran", async () => {
    const heard: string[] = [];
    const done = queue.add("db", change("a"), (applied) => heard.push(applied.ok ? "ok" : "refused"), false);
    const [pending] = queue.take("db");
    pending?.resolve({ ok: false, error: new Error("stale") as never });
    await done;
    expect(heard).toEqual(["refused"]);
  });
});
