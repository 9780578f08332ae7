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

describe("ErrandError", () => {
  it("carries its code, message and details", () => {
    const error = new ErrandError("rate_limited", "Slow down", { details: { retryAfter: 3 } });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toBe("Slow down");
    expect(error.details).toEqual({ retryAfter: 3 });
  });

  it("is retryable unless told otherwise", () => {
    expect(new ErrandError("x", "m").retryable).toBe(true);
    expect(new ErrandError("x", "m", { retryable: false }).retryable).toBe(false);
  });

  it("has no details property at all when none are given", () => {
    expect("details" in new ErrandError("x", "m")).toBe(false);
  });

  it("keeps the standard cause", () => {
    const cause = new Error("root");
    expect(new ErrandError("x", "m", { cause }).cause).toBe(cause);
  });
});

describe.each([
  {
    make: () => new NonRetryableError("m"),
    name: "NonRetryableError",
    code: "non_retryable",
    retryable: false,
  },
  { make: () => new TimeoutError(), name: "TimeoutError", code: "timeout", retryable: true },
  {
    make: () => new WorkerCrashedError(),
    name: "WorkerCrashedError",
    code: "worker_crashed",
    retryable: true,
  },
  {
    make: () => new ValidationError("m", []),
    name: "ValidationError",
    code: "invalid_input",
    retryable: false,
  },
  { make: () => new StaleLeaseError(), name: "StaleLeaseError", code: "stale_lease", retryable: false },
  { make: () => new CancelledError(), name: "CancelledError", code: "cancelled", retryable: false },
  {
    make: () => new VersionUnsupportedError("m"),
    name: "VersionUnsupportedError",
    code: "version_unsupported",
    retryable: false,
  },
  {
    make: () => new StorageError("quota_exceeded", "m"),
    name: "StorageError",
    code: "quota_exceeded",
    retryable: true,
  },
])("$name", ({ make, name, code, retryable }) => {
  it("is an ErrandError with its own name set explicitly", () => {
    const error = make();
    expect(error).toBeInstanceOf(ErrandError);
    expect(error.name).toBe(name);
    expect(Object.hasOwn(error, "name")).toBe(true);
  });

  it(`has code ${code} and retryable ${retryable}`, () => {
    expect(make().code).toBe(code);
    expect(make().retryable).toBe(retryable);
  });

  it("names itself in its stack", () => {
    expect(make().stack).toContain(name);
  });
});

describe("NonRetryableError", () => {
  it("takes a code of its own", () => {
    expect(new NonRetryableError("Not an image", { code: "not_an_image" }).code).toBe("not_an_image");
  });
});

describe("ValidationError", () => {
  it("carries its issues and may take another code", () => {
    const issues = [{ path: "topic", message: "is required" }];
    const error = new ValidationError("Invalid", issues, { code: "invalid_policy" });
    expect(error.issues).toEqual(issues);
    expect(error.code).toBe("invalid_policy");
  });
});

describe("StorageError", () => {
  it("can be marked non-retryable", () => {
    expect(new StorageError("upgrade_blocked", "m", { retryable: false }).retryable).toBe(false);
  });
});
