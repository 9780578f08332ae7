/** The checks an execution request passes before it reaches a worker. Pure. */

import { ValidationError } from "@errand/core";
import type { ExecutionRequest } from "../lifecycle/executor.ts";

/**
 * The problems of `request`, all of them, as one `ValidationError`; undefined when it is sound.
 * Bad requests are refused before they reach a worker.
 */
export function checkRequest(request: ExecutionRequest): ValidationError | undefined {
  const issues = [];
  if (typeof request.id !== "string" || request.id === "")
    issues.push({ path: "id", message: "must be a non-empty string" });
  if (typeof request.type !== "string" || request.type === "") {
    issues.push({ path: "type", message: "must be a non-empty string" });
  }
  if (!Number.isInteger(request.attempt) || request.attempt < 1) {
    issues.push({ path: "attempt", message: "must be an integer ≥ 1" });
  }
  if (!Number.isInteger(request.version) || request.version < 1) {
    issues.push({ path: "version", message: "must be an integer ≥ 1" });
  }
  const { timeoutMs } = request;
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)
  ) {
    issues.push({
      path: "timeoutMs",
      message: "must be a number of milliseconds > 0 that setTimeout accepts",
    });
  }
  if (issues.length === 0) return undefined;
  const list = issues.map((i) => `${i.path} ${i.message}`).join("; ");
  return new ValidationError(`Invalid execution request: ${list}`, issues);
}
