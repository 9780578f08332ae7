import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ErrandError,
  NonRetryableError,
  StaleLeaseError,
  StorageError,
  TimeoutError,
  ValidationError,
  VersionUnsupportedError,
  WorkerCrashedError,
} from "./errors.ts";
import { deserializeError, isSerializedError, serializeError } from "./serialized-error.ts";

/** What a structured clone or a JSON round trip does to plain data. */
const cross = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("serializeError", () => {
  describe("when given an Errand error", () => {
    it("keeps name, message, code, stack, details and retryability", () => {
      const error = new NonRetryableError("Not an image", { code: "not_an_image", details: { bytes: 3 } });
      expect(serializeError(error)).toEqual({
        name: "NonRetryableError",
        message: "Not an image",
        code: "not_an_image",
        stack: error.stack,
        details: { bytes: 3 },
        retryable: false,
      });
    });

    it("puts a validation error's issues in details", () => {
      const issues = [{ path: "a", message: "is required" }];
      const serialized = serializeError(new ValidationError("Bad", issues, { details: { x: 1 } }));
      expect(serialized.details).toEqual({ x: 1, issues });
    });
  });

  describe("when given another Error", () => {
    it("keeps its name and calls it a retryable unexpected_error", () => {
      const serialized = serializeError(new TypeError("x is not a function"));
      expect(serialized).toMatchObject({
        name: "TypeError",
        message: "x is not a function",
        code: "unexpected_error",
        retryable: true,
      });
      expect(serialized.stack).toContain("TypeError");
    });

    it("keeps a string code property", () => {
      const error = Object.assign(new Error("reset"), { code: "ECONNRESET" });
      expect(serializeError(error).code).toBe("ECONNRESET");
    });
  });

  describe("when something other than an Error was thrown", () => {
    it.each([
      ["a string", "boom", "boom", "string"],
      ["a number", 42, "42", "number"],
      ["undefined", undefined, "undefined", "undefined"],
      ["null", null, "null", "object"],
      ["an object with a message", { message: "custom" }, "custom", "object"],
      ["a plain object", { a: 1 }, '{"a":1}', "object"],
    ])("describes %s", (_, thrown, message, thrownType) => {
      expect(serializeError(thrown)).toEqual({
        name: "Error",
        message,
        code: "unexpected_error",
        retryable: true,
        details: { thrownType },
      });
    });

    it("survives an object that cannot be turned into JSON", () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(serializeError(cyclic).message).toBe("[object Object]");
    });
  });

  it("produces data that survives JSON", () => {
    const serialized = serializeError(new TimeoutError("slow", { details: { ms: 5 } }));
    expect(cross(serialized)).toEqual(serialized);
  });
});

describe("deserializeError", () => {
  it.each([
    new NonRetryableError("a", { code: "custom_code" }),
    new TimeoutError("b"),
    new WorkerCrashedError("c"),
    new ValidationError("d", [{ path: "p", message: "m" }]),
    new StaleLeaseError("e"),
    new CancelledError("f"),
    new VersionUnsupportedError("g"),
    new StorageError("db_closed", "h", { retryable: false }),
    new ErrandError("some_code", "i", { retryable: false, details: { k: "v" } }),
  ])("rebuilds a $name that instanceof recognises, with its fields", (original) => {
    const rebuilt = deserializeError(cross(serializeError(original)));
    expect(rebuilt).toBeInstanceOf(original.constructor);
    expect(rebuilt.name).toBe(original.name);
    expect(rebuilt.message).toBe(original.message);
    expect(rebuilt.code).toBe(original.code);
    expect(rebuilt.retryable).toBe(original.retryable);
    expect(rebuilt.stack).toBe(original.stack);
    expect(rebuilt.details).toEqual(original.details);
  });

  it("gives a validation error back its issues", () => {
    const issues = [{ path: "topic", message: "is required" }];
    const rebuilt = deserializeError(
      cross(serializeError(new ValidationError("Bad", issues, { code: "x" }))),
    );
    expect(rebuilt).toBeInstanceOf(ValidationError);
    expect((rebuilt as ValidationError).issues).toEqual(issues);
    expect(rebuilt.code).toBe("x");
  });

  it("drops malformed issues instead of failing", () => {
    const rebuilt = deserializeError({
      name: "ValidationError",
      message: "m",
      code: "invalid_input",
      retryable: false,
      details: { issues: [{ path: 1 }, "x", { path: "ok", message: "fine" }] },
    });
    expect((rebuilt as ValidationError).issues).toEqual([{ path: "ok", message: "fine" }]);
  });

  it("rebuilds an unknown name as an ErrandError that keeps the name", () => {
    const rebuilt = deserializeError(cross(serializeError(new RangeError("out of range"))));
    expect(rebuilt).toBeInstanceOf(ErrandError);
    expect(rebuilt.name).toBe("RangeError");
    expect(rebuilt.code).toBe("unexpected_error");
    expect(rebuilt.retryable).toBe(true);
  });

  it("keeps its own stack when none was sent", () => {
    const rebuilt = deserializeError({
      name: "TimeoutError",
      message: "m",
      code: "timeout",
      retryable: true,
    });
    expect(rebuilt.stack).toContain("TimeoutError");
  });
});

describe("isSerializedError", () => {
  it("accepts what serializeError produces", () => {
    expect(isSerializedError(cross(serializeError(new TimeoutError())))).toBe(true);
    expect(isSerializedError(serializeError("boom"))).toBe(true);
  });

  it.each([
    null,
    "error",
    { name: "E", message: "m", code: "c" },
    { name: "E", message: "m", code: 1, retryable: true },
    { name: "E", message: "m", code: "c", retryable: true, stack: 5 },
    { name: "E", message: "m", code: "c", retryable: true, details: "d" },
  ])("refuses %j", (value) => {
    expect(isSerializedError(value)).toBe(false);
  });
});
