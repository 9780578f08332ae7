import { describe, expect, it } from "vitest";
import { isTopicName, isTopicPattern, topicMatches } from "./topic.ts";

describe("isTopicName", () => {
  it.each(["a", "demo", "demo.resize", "0-a_b.c", `a${"b".repeat(63)}`])("accepts %s", (name) => {
    expect(isTopicName(name)).toBe(true);
  });

  it.each([
    ["the empty string", ""],
    ["65 characters", `a${"b".repeat(64)}`],
    ["an uppercase letter", "Demo"],
    ["a leading dot", ".demo"],
    ["a leading dash", "-demo"],
    ["a star", "demo.*"],
    ["a space", "de mo"],
    ["a non-string", 1],
  ])("refuses %s", (_, name) => {
    expect(isTopicName(name)).toBe(false);
  });
});

describe("isTopicPattern", () => {
  it.each(["demo", "demo.*", "demo*", "*"])("accepts %s", (pattern) => {
    expect(isTopicPattern(pattern)).toBe(true);
  });

  it.each(["", "**", "demo.*.x", "*.demo", "Demo.*", ".*"])("refuses %j", (pattern) => {
    expect(isTopicPattern(pattern)).toBe(false);
  });
});

describe("topicMatches", () => {
  it("matches a name only to itself", () => {
    expect(topicMatches("demo", "demo")).toBe(true);
    expect(topicMatches("demo", "demo.resize")).toBe(false);
    expect(topicMatches("demo", "dem")).toBe(false);
  });

  describe("when the pattern ends in *", () => {
    it("matches every topic that starts with the prefix", () => {
      expect(topicMatches("demo.*", "demo.resize")).toBe(true);
      expect(topicMatches("demo.*", "demo.a.b")).toBe(true);
    });

    it("does not match the prefix's parent or a sibling", () => {
      expect(topicMatches("demo.*", "demo")).toBe(false);
      expect(topicMatches("demo.*", "demos")).toBe(false);
    });

    it("matches everything when it is * alone", () => {
      expect(topicMatches("*", "anything")).toBe(true);
    });
  });
});
