/**
 * Building blocks of the wire schemas. Messages are predicates, so that "<path> <message>" reads
 * as a sentence: `topic must be a topic name …`, `tasks.3.id is required`.
 */

import * as v from "valibot";
import { preview } from "./preview.ts";

/** The rule for wire ids, as a message. */
export const WIRE_ID_RULE = "must be 1 to 128 characters from A-Z a-z 0-9 . _ : -";
/** The rule for topic names, as a message. */
export const TOPIC_RULE =
  "must be a topic name: 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit";

/** `text (got <value>)`, for a message that shows what it refused. */
export function got(text: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => `${text} (got ${preview(issue.input)})`;
}

/** Like `v.object`, but refuses arrays, which valibot's `object` lets through. */
export function record<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => typeof input === "object" && input !== null && !Array.isArray(input),
      got("must be a JSON object"),
    ),
    v.object(entries),
  );
}

/**
 * A lone UTF-16 surrogate: with the `u` flag a regular expression reads a string by code points,
 * so only a surrogate that is not half of a pair is one of category Cs.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `value` is well-formed Unicode (no lone surrogate), so that it survives UTF-8 storage
 * unchanged (`String.prototype.isWellFormed`, which ES2023's library does not type).
 *
 * @example
 * ```ts
 * isWellFormed("order-\u{1F600}") // true
 * isWellFormed("order-\ud800") // false
 * ```
 */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * A string of `min` to `max` UTF-16 units, well-formed Unicode. A lone surrogate cannot be stored
 * as UTF-8 (SQLite keeps its invalid bytes, which read back as U+FFFD), so the stored value would
 * compare and read back differently from the one sent.
 */
export function text(min: number, max: number) {
  return v.pipe(
    v.string(got("must be a string")),
    v.minLength(min, got(`must be ${min} to ${max} characters`)),
    v.maxLength(max, (issue) => `must be ${min} to ${max} characters (got ${issue.received})`),
    v.check(isWellFormed, got("must be well-formed Unicode (no lone surrogate)")),
  );
}

/** An integer from `min` to `max`, in `unit`s. */
export function wholeNumber(min: number, max: number, unit: string) {
  const message = got(`must be a whole number of ${unit} from ${min} to ${max}`);
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}
