/**
 * Parsing the request bodies of wire contract v1 (already `JSON.parse`d, size already checked
 * against `MAX_BODY_BYTES`). Parsers never throw on bad input: they return a result whose error
 * carries the contract's code and a message for a person.
 *
 * Lenient where it is harmless: fields the contract does not name are ignored (and dropped from
 * the output) so that clients written against a later, extended contract still work, and an
 * optional field sent as `null` counts as absent, as many JSON encoders write it.
 */

import * as v from "valibot";
import type { ValidationIssue } from "./errors.ts";
import { isWireId } from "./ids.ts";
import { describeIssues, toIssues } from "./issues.ts";
import { findJsonIssue } from "./json-value.ts";
import {
  jsonByteLength,
  MAX_BATCH_ITEMS,
  MAX_DELAY_SECONDS,
  MAX_IDS_PER_QUERY,
  MAX_MESSAGE_BYTES,
  MAX_TOKEN_TOPICS,
  MAX_TOKEN_TTL_SECONDS,
} from "./limits.ts";
import { preview } from "./preview.ts";
import { isTopicName, isTopicPattern } from "./topic.ts";
import type {
  JsonValue,
  SubscriptionKind,
  SubscriptionRequest,
  TokenRequest,
  TopicRequest,
  WireError,
  WireTask,
} from "./wire.ts";

/** A request refused whole: `400 invalid_request`, with every problem found. */
export interface RequestError extends WireError<"invalid_request"> {
  readonly issues: readonly ValidationIssue[];
}

/** The outcome of parsing a request body. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: RequestError };

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

/** Parses a `POST /v1/tokens` body: `subject`, `topics` (names or `prefix*` patterns), `ttlSeconds`. */
export function parseTokenRequest(body: unknown): ParseResult<TokenRequest> {
  return parseWith(TokenSchema, body);
}

/**
 * Parses a `POST /v1/topics/:name/subscriptions` body. The target's shape is checked per kind: a
 * `queue` target is a queue name, a `webhook` target an http(s) URL, a `live` target a label of
 * wire-id characters. Whether the queue is declared and the URL's host allowed is for the server.
 * `resultFrom: true` is refused on `live` subscriptions, which are best-effort.
 */
export function parseSubscriptionRequest(body: unknown): ParseResult<SubscriptionRequest> {
  const parsed = parseWith(SubscriptionSchema, body);
  if (!parsed.ok) return parsed;
  const { kind, target, resultFrom } = parsed.value;
  return { ok: true, value: resultFrom == null ? { kind, target } : { kind, target, resultFrom } };
}

/** Parses a `PUT /v1/topics/:name` body; an absent body (`undefined`) means `{}`. */
export function parseTopicRequest(body: unknown): ParseResult<TopicRequest> {
  const parsed = parseWith(TopicSchema, body === undefined ? {} : body);
  if (!parsed.ok) return parsed;
  const { description, ordering } = parsed.value;
  return {
    ok: true,
    value: { ...(description == null ? {} : { description }), ...(ordering == null ? {} : { ordering }) },
  };
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

function parseWith<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  subject = "body",
): ParseResult<v.InferOutput<S>> {
  const parsed = v.safeParse(schema, input, { abortPipeEarly: true });
  if (parsed.success) return { ok: true, value: parsed.output };
  const issues = toIssues(parsed.issues);
  return { ok: false, error: { code: "invalid_request", message: describeIssues(issues, subject), issues } };
}

function joinPath(parent: string, child: string): string {
  return child === "" ? parent : `${parent}.${child}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas. Messages are predicates: "is required" or "<path> <message>" reads as a sentence.

const WIRE_ID_RULE = "must be 1 to 128 characters from A-Z a-z 0-9 . _ : -";
const TOPIC_RULE =
  "must be a topic name: 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit";

/** `text (got <value>)`, for a message that shows what it refused. */
function got(text: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => `${text} (got ${preview(issue.input)})`;
}

/** Like `v.object`, but refuses arrays, which valibot's `object` lets through. */
function record<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => typeof input === "object" && input !== null && !Array.isArray(input),
      got("must be a JSON object"),
    ),
    v.object(entries),
  );
}

function text(min: number, max: number) {
  return v.pipe(
    v.string(got("must be a string")),
    v.minLength(min, got(`must be ${min} to ${max} characters`)),
    v.maxLength(max, (issue) => `must be ${min} to ${max} characters (got ${issue.received})`),
  );
}

function wholeNumber(min: number, max: number, unit: string) {
  const message = got(`must be a whole number of ${unit} from ${min} to ${max}`);
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

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

const TokenSchema = record({
  subject: text(1, 256),
  topics: v.pipe(
    v.array(
      v.pipe(
        v.string(got("must be a string")),
        v.check(
          (pattern: string) => isTopicPattern(pattern),
          got(`${TOPIC_RULE}, or such a prefix followed by *`),
        ),
      ),
      got("must be an array of topic names or patterns"),
    ),
    v.minLength(1, "must name at least 1 topic"),
    v.maxLength(
      MAX_TOKEN_TOPICS,
      (issue) => `must name at most ${MAX_TOKEN_TOPICS} topics (got ${issue.received})`,
    ),
  ),
  ttlSeconds: wholeNumber(1, MAX_TOKEN_TTL_SECONDS, "seconds"),
});

/** What a subscription's `target` must look like, per kind. */
const TARGET_RULES: Record<SubscriptionKind, { test: (target: string) => boolean; rule: string }> = {
  queue: {
    test: (target) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(target),
    rule: "must be a queue name: 1 to 63 characters from a-z 0-9 -, starting with a letter or digit",
  },
  webhook: {
    test: (target) => /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(target),
    rule: "must be an http(s) URL",
  },
  live: { test: isWireId, rule: WIRE_ID_RULE },
};

const SubscriptionSchema = v.pipe(
  record({
    kind: v.picklist(["queue", "webhook", "live"], got('must be "queue", "webhook" or "live"')),
    target: text(1, 2048),
    resultFrom: v.exactOptional(v.nullable(v.boolean(got("must be true or false")))),
  }),
  v.forward(
    v.check(
      ({ kind, target }) => TARGET_RULES[kind].test(target),
      ({ input }) => `${TARGET_RULES[input.kind].rule} (got ${preview(input.target)})`,
    ),
    ["target"],
  ),
  v.forward(
    v.check(
      ({ kind, resultFrom }) => !(kind === "live" && resultFrom === true),
      "cannot be true on a live subscription: live deliveries are best-effort",
    ),
    ["resultFrom"],
  ),
);

const TopicSchema = record({
  description: v.exactOptional(v.nullable(text(0, 1024))),
  ordering: v.exactOptional(v.nullable(v.picklist(["key", "none"], got('must be "key" or "none"')))),
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
