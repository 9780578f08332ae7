import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findJsonIssue, isJsonValue } from "./json-value.ts";
import { MAX_JSON_DEPTH } from "./limits.ts";

/** An array nested `levels` deep around `inner`. */
const nest = (levels: number, inner: unknown = 1): unknown => {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe("findJsonIssue", () => {
  it("finds nothing wrong with any value JSON.parse can produce", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        expect(findJsonIssue(value)).toBeUndefined();
      }),
    );
  });

  it("accepts objects without a prototype", () => {
    expect(findJsonIssue(Object.assign(Object.create(null), { a: 1 }))).toBeUndefined();
  });

  it.each([
    ["undefined", { a: undefined }, "a", "is undefined, which JSON cannot carry"],
    ["a function", [1, () => 1], "1", "is a function, which JSON cannot carry"],
    ["NaN", { a: { b: Number.NaN } }, "a.b", "is NaN, which JSON cannot carry"],
    ["Infinity", Number.POSITIVE_INFINITY, "", "is Infinity, which JSON cannot carry"],
    ["a bigint", { n: 1n }, "n", "is a bigint, which JSON cannot carry"],
    ["a symbol", { s: Symbol("s") }, "s", "is a symbol, which JSON cannot carry"],
    ["a Date", { at: new Date(0) }, "at", "is a Date, which JSON cannot carry"],
    ["a Map", [new Map()], "0", "is a Map, which JSON cannot carry"],
    ["a class instance", { c: new (class Point {})() }, "c", "is a Point, which JSON cannot carry"],
    [
      "an array hole",
      Object.assign(new Array<number>(3), { 0: 1, 2: 3 }),
      "1",
      "is undefined, which JSON cannot carry",
    ],
  ])("reports %s with its path", (_, value, path, message) => {
    expect(findJsonIssue(value)).toEqual({ path, message });
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more`, () => {
    expect(findJsonIssue(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonIssue(nest(MAX_JSON_DEPTH + 1))).toEqual({
      path: Array.from({ length: MAX_JSON_DEPTH }, () => "0").join("."),
      message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    });
  });

  it("takes another depth limit", () => {
    expect(findJsonIssue({ a: {} }, 1)?.path).toBe("a");
    expect(findJsonIssue({ a: 1 }, 1)).toBeUndefined();
  });

  it("survives hostile nesting without overflowing the stack", () => {
    expect(findJsonIssue(nest(100_000))?.message).toMatch(/deeper than/);
  });

  it("stops at a cycle", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(findJsonIssue(cyclic)?.message).toMatch(/deeper than/);
  });
});

describe("isJsonValue", () => {
  it("is true for JSON and false for anything JSON would change", () => {
    expect(isJsonValue({ a: [1, "x", null, true] })).toBe(true);
    expect(isJsonValue({ a: new Date(0) })).toBe(false);
  });
});
