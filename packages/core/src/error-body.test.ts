import { describe, expect, it } from "vitest";
import { ERROR_STATUS, errorBody } from "./error-body.ts";

describe("errorBody", () => {
  it("wraps a code and message in the wire's error shape", () => {
    expect(errorBody("not_found", "No task abc")).toEqual({
      error: { code: "not_found", message: "No task abc" },
    });
  });
});

describe("ERROR_STATUS", () => {
  it("gives the contract's status for each request-level code", () => {
    expect(ERROR_STATUS).toEqual({
      invalid_json: 400,
      invalid_request: 400,
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      already_final: 409,
      payload_too_large: 413,
      unsupported_media_type: 415,
      rate_limited: 429,
      internal_error: 500,
    });
  });

  it("cannot be changed at runtime", () => {
    expect(Object.isFrozen(ERROR_STATUS)).toBe(true);
  });
});
