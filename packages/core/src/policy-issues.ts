/**
 * What is wrong with a retry policy an app wrote, as {@link ValidationIssue}s. Hand-written
 * rather than a schema: a policy is a handful of numbers and functions, and a schema library
 * would be most of the bytes a page pays for the local runtime (#26). The rules and messages
 * are those of every other input check: one problem per field (the first), every field checked,
 * a missing required key "is required", unknown keys ignored.
 */

import { MAX_BACKOFF_MS } from "./backoff.ts";
import type { ValidationIssue } from "./errors.ts";
import { MAX_TIMER_MS, TOO_LONG_FOR_A_TIMER } from "./timer-ms.ts";

/** The first problem of a value, or undefined when it is fine. */
type Rule = (value: unknown) => string | undefined;

/** Every problem of `policy`; empty when it is a valid `RetryPolicy`. */
export function policyIssues(policy: unknown): ValidationIssue[] {
  if (!isObject(policy)) return [{ path: "", message: "must be an object" }];
  const issues: ValidationIssue[] = [];
  check(issues, policy, "", "maxAttempts", maxAttempts, true);
  const { backoff } = policy;
  if (!("backoff" in policy)) issues.push({ path: "backoff", message: "is required" });
  else if (!isObject(backoff)) issues.push({ path: "backoff", message: "must be an object" });
  else backoffIssues(issues, backoff);
  check(issues, policy, "", "timeoutMs", timeoutMs, false);
  check(issues, policy, "", "retryable", func("must be a function (error) => boolean"), false);
  return issues;
}

function backoffIssues(issues: ValidationIssue[], backoff: Record<string, unknown>): void {
  switch (backoff.kind) {
    case "exponential": {
      const before = issues.length;
      check(issues, backoff, "backoff.", "baseMs", delayMs, true);
      check(issues, backoff, "backoff.", "maxMs", delayMs, true);
      check(issues, backoff, "backoff.", "jitter", oneOf("full", "none"), false);
      const { baseMs, maxMs } = backoff as { baseMs: number; maxMs: number };
      const numbersFine = !issues.slice(before).some((i) => i.path !== "backoff.jitter");
      if (numbersFine && baseMs > maxMs) {
        issues.push({ path: "backoff.baseMs", message: `must not exceed maxMs (${baseMs} > ${maxMs})` });
      }
      return;
    }
    case "fixed":
      check(issues, backoff, "backoff.", "delayMs", delayMs, true);
      return;
    case "custom":
      check(
        issues,
        backoff,
        "backoff.",
        "delay",
        func("must be a function (attempt, error) => milliseconds"),
        true,
      );
      return;
    default:
      issues.push({ path: "backoff.kind", message: 'must be "exponential", "fixed" or "custom"' });
  }
}

/** Checks `object[key]` against `rule`; an absent key is an issue only when `required`. */
function check(
  issues: ValidationIssue[],
  object: Record<string, unknown>,
  prefix: string,
  key: string,
  rule: Rule,
  required: boolean,
): void {
  const message = key in object ? rule(object[key]) : required ? "is required" : undefined;
  if (message !== undefined) issues.push({ path: prefix + key, message });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A number, as a schema library means it: NaN is not one. */
function isNumber(value: unknown): value is number {
  return typeof value === "number" && !Number.isNaN(value);
}

const maxAttempts: Rule = (value) => {
  if (!isNumber(value)) return "must be a number";
  if (!Number.isInteger(value)) return "must be an integer";
  return value < 1 ? "must be at least 1" : undefined;
};

const delayMs: Rule = (value) => {
  if (!isNumber(value) || !Number.isFinite(value)) return "must be a finite number";
  if (value < 0) return "must not be negative";
  return value > MAX_BACKOFF_MS ? `must be at most ${MAX_BACKOFF_MS} (12 hours)` : undefined;
};

const timeoutMs: Rule = (value) => {
  if (!isNumber(value)) return "must be a number";
  if (!Number.isFinite(value)) return "must be a finite number";
  if (value <= 0) return "must be greater than 0";
  return value > MAX_TIMER_MS ? TOO_LONG_FOR_A_TIMER : undefined;
};

function func(message: string): Rule {
  return (value) => (typeof value === "function" ? undefined : message);
}

function oneOf(...allowed: string[]): Rule {
  return (value) =>
    allowed.includes(value as string)
      ? undefined
      : allowed
          .map((a) => `"${a}"`)
          .join(" or ")
          .replace(/^/, "must be ");
}
