import type { LocalTaskInfo, TaskInfo } from "@errand/client";
import { describe, expect, it } from "vitest";
import { keepList } from "./keep-list.ts";

function info(id: string, changes: Partial<LocalTaskInfo> = {}): TaskInfo {
  return {
    where: "local",
    id,
    type: "step",
    payload: { n: 1 },
    version: 1,
    state: "pending",
    priority: 0,
    runAt: 1,
    createdAt: 1,
    updatedAt: 1,
    attempts: 0,
    onDead: "continue",
    durable: true,
    fence: 0,
    ...changes,
  };
}

describe("keepList", () => {
  it("returns the previous array when every task is the same stored version", () => {
    const previous = [info("a"), info("b")];
    expect(keepList([info("a"), info("b")], previous)).toBe(previous);
  });

  it("keeps the objects of unchanged tasks and takes the changed ones", () => {
    const previous = [info("a"), info("b")];
    const next = keepList([info("a"), info("b", { updatedAt: 2, state: "running" })], previous);
    expect(next).not.toBe(previous);
    expect(next[0]).toBe(previous[0]);
    expect(next[1]).toMatchObject({ state: "running" });
  });

  it("returns a new array when a task left or the order changed", () => {
    const previous = [info("a"), info("b")];
    expect(keepList([info("a")], previous)).toEqual([previous[0]]);
    expect(keepList([info("b"), info("a")], previous)).toEqual([previous[1], previous[0]]);
    expect(keepList([info("b"), info("a")], previous)).not.toBe(previous);
  });

  it("takes a task whose progress differs in the same stored version", () => {
    const previous = [info("a", { state: "running", progress: 0.1 })];
    expect(keepList([info("a", { state: "running", progress: 0.2 })], previous)[0]).toMatchObject({
      progress: 0.2,
    });
  });
});
