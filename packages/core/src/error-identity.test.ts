import { describe, expect, it } from "vitest";
import { ErrandError, isErrandError, NonRetryableError, ValidationError } from "./errors.ts";
import { serializeError } from "./serialized-error.ts";

/**
 * A second instance of the errors module, as an app gets when two versions of `@errand/core`
 * are installed side by side (the query makes Vite load the file again as a new module).
 */
async function otherCopy(): Promise<typeof import("./errors.ts")> {
  return (await import(
    /* @vite-ignore */ `./errors.ts?copy=${Math.random()}&lang.ts`
  )) as typeof import("./errors.ts");
}

describe("error identity", () => {
  it("recognises an Errand error of any subclass by its brand", () => {
    expect(isErrandError(new NonRetryableError("m"))).toBe(true);
    expect(isErrandError(new ErrandError("x", "m"), "x")).toBe(true);
    expect(isErrandError(new ErrandError("x", "m"), "y")).toBe(false);
  });

  it("does not take a look-alike for an Errand error", () => {
    expect(isErrandError(Object.assign(new Error("m"), { code: "x", retryable: false }))).toBe(false);
    expect(isErrandError({ code: "x", retryable: true })).toBe(false);
    expect(isErrandError(null)).toBe(false);
    expect(isErrandError("x")).toBe(false);
  });

  describe("when the error comes from another copy of @errand/core", () => {
    it("is not instanceof this copy's class, which is why the brand exists", async () => {
      const other = await otherCopy();
      expect(new other.NonRetryableError("m")).not.toBeInstanceOf(NonRetryableError);
    });

    it("is still recognised, and serialises as not retryable with its code", async () => {
      const other = await otherCopy();
      const error = new other.NonRetryableError("Not an image", { code: "not_an_image" });
      expect(isErrandError(error, "not_an_image")).toBe(true);
      expect(serializeError(error)).toMatchObject({
        name: "NonRetryableError",
        code: "not_an_image",
        retryable: false,
      });
    });

    it("keeps a validation error's issues", async () => {
      const other = await otherCopy();
      const error = new other.ValidationError("bad", [{ path: "a", message: "is required" }]);
      expect(serializeError(error).details).toEqual({ issues: [{ path: "a", message: "is required" }] });
      expect(error).not.toBeInstanceOf(ValidationError);
    });
  });
});
