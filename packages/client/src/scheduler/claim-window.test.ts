import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../lifecycle/task-record.ts";
import { ClaimWindow, type Waiting } from "./claim-window.ts";

const waiting = (id: string, priority: number, startBy = Infinity): Waiting => ({
  task: { id, rank: -priority || 0 } as TaskRecord,
  startBy,
});

const ids = (window: ClaimWindow<Waiting>) => window.drain().map((w) => w.task.id);

describe("the prefetch window", () => {
  it("starts the highest priority first, and tasks of one priority in claim order", () => {
    const window = new ClaimWindow<Waiting>();
    for (const w of [waiting("a", 0), waiting("b", 0), waiting("c", 5), waiting("d", 0), waiting("e", 5)])
      window.add(w);
    expect(ids(window)).toEqual(["c", "e", "a", "b", "d"]);
  });

  describe("when a later claim brings a higher priority", () => {
    it("puts it ahead of every lower task still waiting", () => {
      const window = new ClaimWindow<Waiting>();
      for (const w of [waiting("low1", 0), waiting("low2", 0), waiting("low3", 0)]) window.add(w);
      expect(window.next(0).start?.task.id).toBe("low1");
      window.add(waiting("high", 9));
      expect(ids(window)).toEqual(["high", "low2", "low3"]);
    });
  });

  it("hands back, instead of starting, every task whose time to start has passed", () => {
    const window = new ClaimWindow<Waiting>();
    for (const w of [waiting("late1", 0, 100), waiting("late2", 0, 150), waiting("fine", 0, 500)])
      window.add(w);
    const { start, lapsed } = window.next(200);
    expect(start?.task.id).toBe("fine");
    expect(lapsed.map((w) => w.task.id)).toEqual(["late1", "late2"]);
    expect(window.size).toBe(0);
  });

  it("forgets a task taken out of it (cancelled or taken over), which then never starts", () => {
    const window = new ClaimWindow<Waiting>();
    for (const w of [waiting("a", 0), waiting("b", 0)]) window.add(w);
    expect(window.remove("a")?.task.id).toBe("a");
    expect(window.remove("a")).toBeUndefined();
    expect(window.has("a")).toBe(false);
    expect(window.has("b")).toBe(true);
    expect(ids(window)).toEqual(["b"]);
  });

  it("gives up its last tasks, the lowest priority and claimed last, when it must shrink", () => {
    const window = new ClaimWindow<Waiting>();
    for (const w of [waiting("a", 0), waiting("b", 0), waiting("c", 5), waiting("d", 0)]) window.add(w);
    expect(window.takeLast(2).map((w) => w.task.id)).toEqual(["b", "d"]);
    expect(window.has("d")).toBe(false);
    expect(ids(window)).toEqual(["c", "a"]);
  });
});
