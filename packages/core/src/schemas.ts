/**
 * Parsing the admin request bodies of wire contract v1: tokens, subscriptions, topics (the task
 * endpoints are in `submit-tasks.ts`). Parsers never throw on bad input: they return a result whose error
 * carries the contract's code and a message for a person.
 *
 * Lenient where it is harmless: fields the contract does not name are ignored (and dropped from
 * the output) so that clients written against a later, extended contract still work, and an
 * optional field sent as `null` counts as absent, as many JSON encoders write it.
 */

import * as v from "valibot";
import { isWireId } from "./ids.ts";
import { MAX_TOKEN_TOPICS, MAX_TOKEN_TTL_SECONDS } from "./limits.ts";
import { type ParseResult, parseWith } from "./parse-result.ts";
import { preview } from "./preview.ts";
import { got, record, TOPIC_RULE, text, WIRE_ID_RULE, wholeNumber } from "./schema-parts.ts";
import { isTopicPattern } from "./topic.ts";
import type { SubscriptionKind, SubscriptionRequest, TokenRequest, TopicRequest } from "./wire.ts";

/** Parses a `POST /v1/tokens` body: `subject`, `topics` (names or `prefix*` patterns), `ttlSeconds`. */
export function parseTokenRequest(body: unknown): ParseResult<TokenRequest> {
  return parseWith(TokenSchema, body);
}

/**
 * Parses a `POST /v1/topics/:name/subscriptions` body. The target's shape is checked per kind: a
 * `queue` target is a queue name, a `webhook` target an http(s) URL, a `live` target a label of
 * wire-id characters. Whether the queue is declared and the URL's host allowed is for the server.
 * `resultFrom: true` is refused on `live` subscriptions, which are best-effort. `onDead` says
 * whether an ordering key moves on (`continue`, the default) or stops (`halt`) when its head dies.
 */
export function parseSubscriptionRequest(body: unknown): ParseResult<SubscriptionRequest> {
  const parsed = parseWith(SubscriptionSchema, body);
  if (!parsed.ok) return parsed;
  const { kind, target, resultFrom, onDead } = parsed.value;
  return {
    ok: true,
    value: {
      kind,
      target,
      ...(resultFrom == null ? {} : { resultFrom }),
      ...(onDead == null ? {} : { onDead }),
    },
  };
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

// ---------------------------------------------------------------------------------------------
// Schemas.

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
    test: (target) => /^[a-z0-9][a-z0-9-]{0,62}\*?$/.test(target),
    rule: "must be a queue name (1 to 63 characters from a-z 0-9 -, starting with a letter or digit), or a prefix of queue names ending in *",
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
    onDead: v.exactOptional(
      v.nullable(v.picklist(["continue", "halt"], got('must be "continue" or "halt"'))),
    ),
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
