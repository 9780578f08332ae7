import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { isTaskId, isWireId, newTaskId, taskIdTime } from "./ids.ts";

describe("newTaskId", () => {
  it("makes a lowercase UUIDv7", () => {
    expect(newTaskId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("makes ids that sort in the order they were made, even within one millisecond", () => {
    const ids = Array.from({ length: 1000 }, newTaskId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("isTaskId", () => {
  it.each([
    "0190a6d2-7b3c-7def-8abc-0123456789ab",
    "0190A6D2-7B3C-7DEF-8ABC-0123456789AB",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
  ])("accepts the UUID %s", (id) => {
    expect(isTaskId(id)).toBe(true);
  });

  it.each([
    ["a UUID without dashes", "0190a6d27b3c7def8abc0123456789ab"],
    ["a UUID in braces", "{0190a6d2-7b3c-7def-8abc-0123456789ab}"],
    ["a non-hex digit", "0190a6d2-7b3c-7def-8abc-0123456789ag"],
    ["a short string", "abc"],
    ["a number", 12],
    ["undefined", undefined],
  ])("refuses %s", (_, id) => {
    expect(isTaskId(id)).toBe(false);
  });
});

describe("isWireId", () => {
  it.each(["a", "order:42", "user_1.task-2", "x".repeat(128), "0190a6d2-7b3c-7def-8abc-0123456789ab"])(
    "accepts %s",
    (id) => {
      expect(isWireId(id)).toBe(true);
    },
  );

  it.each([
    ["the empty string", ""],
    ["129 characters", "x".repeat(129)],
    ["a space", "a b"],
    ["a slash", "a/b"],
    ["non-ASCII", "tâche"],
    ["a newline at the end", "abc\n"],
    ["a number", 7],
  ])("refuses %s", (_, id) => {
    expect(isWireId(id)).toBe(false);
  });
});

describe("taskIdTime", () => {
  it("reads the millisecond timestamp of a UUIDv7", () => {
    expect(taskIdTime("0190a6d2-7b3c-7def-8abc-0123456789ab")).toBe(0x0190a6d27b3c);
  });

  it("gives about now for a new id", () => {
    const before = Date.now();
    const time = taskIdTime(newTaskId());
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it("refuses a UUID of another version", () => {
    expect(() => taskIdTime("f47ac10b-58cc-4372-a567-0e02b2c3d479")).toThrow(ValidationError);
  });

  it("says what it got", () => {
    expect(() => taskIdTime("nope")).toThrow('Not a UUIDv7 task id: "nope"');
  });
});
