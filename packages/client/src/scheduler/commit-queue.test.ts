import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TaskEvent } from "../lifecycle/transition.ts";
import { CommitQueue } from "./commit-queue.ts";

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
    void queue.add("db", change("a"), () => {}, "change");
    void queue.add("db", change("b"), () => {}, "change");
    expect(wakes).toBe(0);
    await Promise.resolve();
    expect(wakes).toBe(1);
    expect(queue.take("db").map((one) => one.change.id)).toEqual(["a", "b"]);
    expect(queue.size).toBe(0);
  });

  describe("when the window feeds the slots", () => {
    it("holds an outcome for others up to groupMs", async () => {
      void queue.add("db", change("a"), () => {}, "outcome");
      await Promise.resolve();
      vi.advanceTimersByTime(3);
      expect(wakes).toBe(0);
      vi.advanceTimersByTime(1);
      expect(wakes).toBe(1);
    });

    it("wakes at once when groupEvery outcomes wait", async () => {
      for (const id of ["a", "b", "c"]) void queue.add("db", change(id), () => {}, "outcome");
      await Promise.resolve();
      expect(wakes).toBe(1);
    });
  });

  it("wakes at once for an outcome when a slot waits for the claim it carries", async () => {
    group = false;
    void queue.add("db", change("a"), () => {}, "outcome");
    await Promise.resolve();
    expect(wakes).toBe(1);
  });

  describe("an attempt's start mark", () => {
    it("never hurries a pass, even when a slot waits, but goes within groupMs", async () => {
      group = false;
      void queue.add("db", change("a"), () => {}, "mark");
      await Promise.resolve();
      vi.advanceTimersByTime(3);
      expect(wakes).toBe(0);
      vi.advanceTimersByTime(1);
      expect(wakes).toBe(1);
    });

    it("gives way to its task's outcome queued before the pass, which settles the lease anyway", async () => {
      const marked = queue.add("db", change("a"), () => {}, "mark");
      void queue.add("db", change("b"), () => {}, "mark");
      void queue.add("db", change("a"), () => {}, "outcome");
      await marked;
      expect(queue.take("db").map((one) => [one.change.id, one.kind])).toEqual([
        ["b", "mark"],
        ["a", "outcome"],
      ]);
    });
  });

  it("resolves a change once its pass hands it the store's answer, after `then` ran", async () => {
    const heard: string[] = [];
    const done = queue.add(
      "db",
      change("a"),
      (applied) => heard.push(applied.ok ? "ok" : "refused"),
      "change",
    );
    const [pending] = queue.take("db");
    pending?.resolve({ ok: false, error: new Error("stale") as never });
    await done;
    expect(heard).toEqual(["refused"]);
  });
});
