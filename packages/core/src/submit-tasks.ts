/**
 * Parsing the task endpoints' input: the `POST /v1/tasks` body (already `JSON.parse`d, its size
 * already checked against `MAX_BODY_BYTES`) and the `ids` query of `GET /v1/tasks`. Parsers never
 * throw on bad input. Like the other wire parsers they ignore (and drop) fields the contract does
 * not name, and read an optional field sent as `null` as absent.
 */

import * as v from "valibot";
import { isWireId } from "./ids.ts";
import { describeIssues, toIssues } from "./issues.ts";
import { findJsonIssue } from "./json-value.ts";
import {
  jsonByteLength,
  MAX_BATCH_ITEMS,
  MAX_DELAY_SECONDS,
  MAX_IDS_PER_QUERY,
  MAX_MESSAGE_BYTES,
} from "./limits.ts";
import { type ParseResult, parseWith } from "./parse-result.ts";
import { got, record, TOPIC_RULE, text, WIRE_ID_RULE, wholeNumber } from "./schema-parts.ts";
import { isTopicName } from "./topic.ts";
import type { JsonValue, WireError, WireTask } from "./wire.ts";

/** One item of a parsed batch: a valid task, or why it is rejected (with its id if it had a valid one). */
export type SubmitItem =
  | { ok: true; task: WireTask }
  | { ok: false; id?: string; error: WireError<"invalid_task" | "message_too_large"> };

/**
 * Parses a `POST /v1/tasks` body. The envelope (an object whose `tasks` is an array of 1 to
 * {@link MAX_BATCH_ITEMS}) is judged whole: if it is wrong, nothing is accepted. Each task is then
 * judged alone, so one bad task is reported at its index while the others go ahead.
 *
 * An item is `message_too_large` when its only problem is a payload over
 * {@link MAX_MESSAGE_BYTES} once JSON-encoded, and `invalid_task` otherwise.
 *
 * @example
 * ```ts
 * const parsed = parseSubmitTasksRequest(await c.req.json());
 * if (!parsed.ok) return c.json(errorBody(parsed.error.code, parsed.error.message), 400);
 * for (const item of parsed.value.items) if (item.ok) await store(item.task);
 * ```
 */
export function parseSubmitTasksRequest(body: unknown): ParseResult<{ items: SubmitItem[] }> {
  const envelope = parseWith(EnvelopeSchema, body);
  if (!envelope.ok) return envelope;
  return { ok: true, value: { items: envelope.value.tasks.map(parseItem) } };
}

/**
 * Parses the `ids` query parameter of `GET /v1/tasks?ids=a,b,c`: 1 to {@link MAX_IDS_PER_QUERY}
 * comma-separated wire ids. Repeated ids are kept once.
 */
export function parseIdsQuery(ids: string | undefined): ParseResult<string[]> {
  const list = ids === undefined || ids === "" ? [] : [...new Set(ids.split(","))];
  const parsed = parseWith(IdsQuerySchema, { ids: list }, "query");
  return parsed.ok ? { ok: true, value: parsed.value.ids } : parsed;
}

function parseItem(item: unknown): SubmitItem {
  const parsed = v.safeParse(TaskSchema, item, { abortPipeEarly: true });
  const issues = parsed.success ? [] : toIssues(parsed.issues);
  const hasPayload = typeof item === "object" && item !== null && "payload" in item;
  const payload = hasPayload ? (item as { payload: unknown }).payload : undefined;
  const jsonIssue = hasPayload ? findJsonIssue(payload) : undefined;
  if (jsonIssue !== undefined) issues.push({ ...jsonIssue, path: joinPath("payload", jsonIssue.path) });
  const bytes = hasPayload && jsonIssue === undefined ? jsonByteLength(payload as JsonValue) : 0;
  if (bytes > MAX_MESSAGE_BYTES) {
    issues.push({
      path: "payload",
      message: `is ${bytes} bytes as JSON, over the limit of ${MAX_MESSAGE_BYTES} (128 KB)`,
    });
  }
  const rawId = typeof item === "object" && item !== null ? (item as { id?: unknown }).id : undefined;
  const id = isWireId(rawId) ? { id: rawId } : {};
  if (issues.length > 0 || !parsed.success) {
    const code = issues.length === 1 && bytes > MAX_MESSAGE_BYTES ? "message_too_large" : "invalid_task";
    return { ok: false, ...id, error: { code, message: describeIssues(issues, "task") } };
  }
  const { orderingKey, delaySeconds, dedupKey } = parsed.output;
  return {
    ok: true,
    task: {
      id: parsed.output.id,
      topic: parsed.output.topic,
      payload: payload as JsonValue,
      ...(orderingKey == null ? {} : { orderingKey }),
      ...(delaySeconds == null ? {} : { delaySeconds }),
      ...(dedupKey == null ? {} : { dedupKey }),
    },
  };
}

function joinPath(parent: string, child: string): string {
  return child === "" ? parent : `${parent}.${child}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas.

const EnvelopeSchema = record({
  tasks: v.pipe(
    v.array(v.unknown(), got(`must be an array of 1 to ${MAX_BATCH_ITEMS} tasks`)),
    v.minLength(1, "must contain at least 1 task"),
    v.maxLength(
      MAX_BATCH_ITEMS,
      (issue) => `must contain at most ${MAX_BATCH_ITEMS} tasks (got ${issue.received})`,
    ),
  ),
});

const TaskSchema = record({
  id: v.pipe(
    v.string(got("must be a string")),
    v.check((id: string) => isWireId(id), got(WIRE_ID_RULE)),
  ),
  topic: v.pipe(
    v.string(got("must be a string")),
    v.check((topic: string) => isTopicName(topic), got(TOPIC_RULE)),
  ),
  payload: v.unknown(),
  orderingKey: v.exactOptional(v.nullable(text(1, 256))),
  delaySeconds: v.exactOptional(v.nullable(wholeNumber(0, MAX_DELAY_SECONDS, "seconds"))),
  dedupKey: v.exactOptional(v.nullable(text(1, 256))),
});

const IdsQuerySchema = v.object({
  ids: v.pipe(
    v.array(v.string()),
    v.minLength(1, "must list at least 1 id: ?ids=a,b,c"),
    v.maxLength(
      MAX_IDS_PER_QUERY,
      (issue) => `must list at most ${MAX_IDS_PER_QUERY} ids (got ${issue.received})`,
    ),
    v.checkItems((id: string) => isWireId(id), got(WIRE_ID_RULE)),
  ),
});
