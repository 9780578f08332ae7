/** What every wire body parser returns: the parsed value, or a request refused whole. */

import * as v from "valibot";
import type { ValidationIssue } from "./errors.ts";
import { describeIssues, toIssues } from "./issues.ts";
import type { WireError } from "./wire.ts";

/** A request refused whole: `400 invalid_request`, with every problem found. */
export interface RequestError extends WireError<"invalid_request"> {
  readonly issues: readonly ValidationIssue[];
}

/** The outcome of parsing a request body. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: RequestError };

/**
 * Runs `schema` over `input`, reporting every field's first problem. `subject` names the value
 * itself in the message (`body must be a JSON object`).
 */
export function parseWith<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  subject = "body",
): ParseResult<v.InferOutput<S>> {
  const parsed = v.safeParse(schema, input, { abortPipeEarly: true });
  if (parsed.success) return { ok: true, value: parsed.output };
  const issues = toIssues(parsed.issues);
  return { ok: false, error: { code: "invalid_request", message: describeIssues(issues, subject), issues } };
}
