/** Turning valibot's issues into Errand's {@link ValidationIssue}s and readable sentences. */

import * as v from "valibot";
import type { ValidationIssue } from "./errors.ts";

/**
 * Errand's issues for valibot's. Schemas here write each message as a predicate ("must be a
 * string"); a key an object schema found missing becomes "is required".
 */
export function toIssues(issues: readonly v.BaseIssue<unknown>[]): ValidationIssue[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue) ?? "";
    const missing =
      issue.kind === "schema" && issue.type === "object" && path !== "" && issue.received === "undefined";
    return { path, message: missing ? "is required" : issue.message };
  });
}

/** One sentence for a person: `topic is required; delaySeconds must be an integer`. */
export function describeIssues(issues: readonly ValidationIssue[], subject: string): string {
  return issues.map((issue) => `${issue.path === "" ? subject : issue.path} ${issue.message}`).join("; ");
}
