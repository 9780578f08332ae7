import { describe, expect, it } from "vitest";
import { preview } from "./preview.ts";

describe("preview", () => {
  it.each([
    ["abc", '"abc"'],
    [12, "12"],
    [null, "null"],
    [true, "true"],
    [undefined, "undefined"],
    [[1], "an array"],
    [{ a: 1 }, "an object"],
    [() => 1, "a function"],
  ])("renders %j as %s", (value, text) => {
    expect(preview(value)).toBe(text);
  });

  it("cuts long strings to 40 characters", () => {
    const text = preview("x".repeat(1000));
    expect(text).toHaveLength(40);
    expect(text).toBe(`"${"x".repeat(37)}…"`);
  });
});
