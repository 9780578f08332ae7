import { describe, expect, it } from "vitest";
import { MAX_AUTO_WINDOW, surplus, WindowSize } from "./window-size.ts";

describe("the prefetch window's size", () => {
  it("holds one task per slot until attempts and commits were measured", () => {
    const size = new WindowSize("auto");
    expect(size.of(2)).toBe(2);
    size.attempt(1);
    expect(size.of(2)).toBe(2);
  });

  it("holds what the slots finish in two commits: many short tasks, few long ones", () => {
    const short = new WindowSize("auto");
    short.commit(10);
    short.attempt(0.5);
    expect(short.of(2)).toBe(80);

    const long = new WindowSize("auto");
    long.commit(10);
    long.attempt(1_000);
    expect(long.of(2)).toBe(1);
  });

  it("never holds more than its bound, however short the tasks", () => {
    const size = new WindowSize("auto");
    size.commit(50);
    size.attempt(0);
    expect(size.of(4)).toBe(MAX_AUTO_WINDOW);
  });

  it("follows the tasks as they change, a fifth of the way per sample", () => {
    const size = new WindowSize("auto");
    size.commit(10);
    size.attempt(100);
    size.attempt(600);
    expect(size.of(2)).toBe(Math.ceil((2 * 2 * 10) / 200));
  });

  it("keeps a fixed window whatever it measures", () => {
    const size = new WindowSize(16);
    size.commit(10);
    size.attempt(0.1);
    expect(size.of(2)).toBe(16);
    expect(new WindowSize(0).of(8)).toBe(0);
  });

  describe("when the window holds more than its target", () => {
    it("hands back everything beyond the target once it holds over twice the target, and nothing before", () => {
      expect(surplus(78, 2)).toBe(76);
      expect(surplus(4, 2)).toBe(0);
      expect(surplus(5, 2)).toBe(3);
      expect(surplus(0, 0)).toBe(0);
    });
  });
});
