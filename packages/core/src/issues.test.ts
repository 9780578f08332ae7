import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { describeIssues, toIssues } from "./issues.ts";

const issuesOf = (schema: v.GenericSchema, input: unknown) => {
  const result = v.safeParse(schema, input);
  return result.success ? [] : toIssues(result.issues);
};

describe("toIssues", () => {
  it("gives each issue its dot path and message", () => {
    const schema = v.object({ a: v.object({ b: v.array(v.string("must be a string")) }) });
    expect(issuesOf(schema, { a: { b: ["x", 1] } })).toEqual([
      { path: "a.b.1", message: "must be a string" },
    ]);
  });

  it('says "is required" for a missing key', () => {
    expect(issuesOf(v.object({ a: v.string("must be a string") }), {})).toEqual([
      { path: "a", message: "is required" },
    ]);
  });

  it("uses an empty path for the value itself", () => {
    expect(issuesOf(v.string("must be a string"), 1)).toEqual([{ path: "", message: "must be a string" }]);
  });
});

describe("describeIssues", () => {
  it("joins the issues into one sentence, naming the value itself by its subject", () => {
    const issues = [
      { path: "", message: "must be an object" },
      { path: "a.b", message: "is required" },
    ];
    expect(describeIssues(issues, "body")).toBe("body must be an object; a.b is required");
  });
});
