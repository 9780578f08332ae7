/** Checking that a value is plain JSON: what it is sent as is what arrives. */

import type { ValidationIssue } from "./errors.ts";
import { MAX_JSON_DEPTH } from "./limits.ts";
import type { JsonValue } from "./wire.ts";

/**
 * The first reason `value` is not a {@link JsonValue} that survives `JSON.stringify` →
 * `JSON.parse` unchanged, or `undefined` if it is one. Refused: `undefined`, functions, symbols,
 * bigints, non-finite numbers, objects that are not plain (`Date`, `Map`, class instances, which
 * JSON would silently change), and nesting deeper than `maxDepth` (which also catches cycles).
 * Walks iteratively, so hostile nesting cannot overflow the stack.
 *
 * @example
 * ```ts
 * findJsonIssue({ at: new Date() }) // { path: "at", message: "is a Date, which JSON cannot carry" }
 * ```
 */
export function findJsonIssue(value: unknown, maxDepth = MAX_JSON_DEPTH): ValidationIssue | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: "", depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const problem = describeProblem(next.value);
    if (problem !== undefined) return { path: next.path, message: `is ${problem}, which JSON cannot carry` };
    if (typeof next.value !== "object" || next.value === null) continue;
    if (next.depth >= maxDepth) {
      return { path: next.path, message: `nests arrays and objects deeper than ${maxDepth} levels` };
    }
    const entries = Array.isArray(next.value)
      ? Array.from(next.value, (item, index) => [String(index), item] as const)
      : Object.entries(next.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as readonly [string, unknown];
      pending.push({
        value: item,
        path: next.path === "" ? key : `${next.path}.${key}`,
        depth: next.depth + 1,
      });
    }
  }
  return undefined;
}

/** Whether `value` is plain JSON nested at most {@link MAX_JSON_DEPTH} levels. */
export function isJsonValue(value: unknown): value is JsonValue {
  return findJsonIssue(value) === undefined;
}

function describeProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : String(value);
    case "object": {
      if (value === null || Array.isArray(value)) return undefined;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return undefined;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name ? `a ${name}` : "an object that is not plain";
    }
    case "undefined":
      return "undefined";
    default:
      return `a ${typeof value}`;
  }
}
