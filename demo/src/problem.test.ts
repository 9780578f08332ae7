import { ErrandError, StorageError, ValidationError } from "@errand/core";
import { describe, expect, it } from "vitest";
import { describeProblem } from "./problem.ts";

const context = { edgeUrl: "http://127.0.0.1:8787" };

describe("describeProblem", () => {
  it("tells a person whose storage is full to purge tasks or free space", () => {
    const message = describeProblem(
      new StorageError("quota_exceeded", "Adding tasks failed: QuotaExceededError: quota"),
      context,
    );
    expect(message).toContain("storage quota exceeded");
    expect(message).toContain("Purge dead letters");
  });

  it("names the edge and the command to start it when no token can be had", () => {
    for (const code of ["token_unavailable", "signed_out"]) {
      const message = describeProblem(
        new ErrandError(code, "The token endpoint could not be reached"),
        context,
      );
      expect(message).toContain("http://127.0.0.1:8787 is not answering");
      expect(message).toContain("npm start");
    }
  });

  it("says a fetch that could not reach the edge is the edge being down", () => {
    expect(describeProblem(new TypeError("Failed to fetch"), context)).toContain("is not answering");
  });

  it("repeats the reason of a refused enqueue", () => {
    const error = new ValidationError("payload must be JSON", [{ path: "payload", message: "must be JSON" }]);
    expect(describeProblem(error, context)).toBe("Not queued: payload must be JSON");
  });

  describe("when the error is unknown", () => {
    it("shows its first line only, never a stack trace", () => {
      const error = new Error("boom\n    at somewhere (file.ts:1:1)");
      const message = describeProblem(error, context);
      expect(message).toBe("Something went wrong: boom. Reload the page to try again.");
      expect(message).not.toContain(" at ");
    });

    it("copes with a thrown value that is not an Error", () => {
      expect(describeProblem("nope", context)).toContain("nope");
      expect(describeProblem(undefined, context)).toContain("undefined");
    });
  });
});
