import { describe, expect, it } from "vitest";
import { ping } from "./index.ts";

describe("x", () => {
  it("y", () => {
    expect(ping()).toBe("pong");
  });
});
