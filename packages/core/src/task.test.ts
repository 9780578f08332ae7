import { describe, expect, it } from "vitest";
import { FINAL_STATES, isFinalState, isTaskState, TASK_STATES, type TaskState } from "./task.ts";

describe("isFinalState", () => {
  it.each<[TaskState, boolean]>([
    ["pending", false],
    ["running", false],
    ["sent", false],
    ["succeeded", true],
    ["dead", true],
    ["cancelled", true],
  ])("says %s final is %s", (state, final) => {
    expect(isFinalState(state)).toBe(final);
  });

  it("agrees with FINAL_STATES", () => {
    expect(TASK_STATES.filter(isFinalState)).toEqual(FINAL_STATES);
  });
});

describe("isTaskState", () => {
  it("accepts every state and nothing else", () => {
    for (const state of TASK_STATES) expect(isTaskState(state)).toBe(true);
    expect(isTaskState("failed")).toBe(false);
    expect(isTaskState(undefined)).toBe(false);
  });
});

describe("TASK_STATES and FINAL_STATES", () => {
  it("cannot be changed at runtime", () => {
    expect(Object.isFrozen(TASK_STATES)).toBe(true);
    expect(Object.isFrozen(FINAL_STATES)).toBe(true);
  });
});
