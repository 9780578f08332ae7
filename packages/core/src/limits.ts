/** The limits of wire contract v1, and the byte count they are measured in. */

import type { JsonValue } from "./wire.ts";

/** Most tasks in one `POST /v1/tasks`. */
export const MAX_BATCH_ITEMS = 100;

/** Largest request body, in bytes (1 MiB); larger bodies get `413 payload_too_large`. */
export const MAX_BODY_BYTES = 1_048_576;

/**
 * Largest body of the other JSON routes (64 KiB): tokens, topics, subscriptions and keys. Their
 * largest valid bodies (a token naming 100 topic patterns, a key's topic list) are a few KB;
 * larger gets `413 payload_too_large` before it is read whole.
 */
export const MAX_ADMIN_BODY_BYTES = 65_536;

/** Largest task payload, in bytes of its JSON encoding (128 KB); larger is `message_too_large`. */
export const MAX_MESSAGE_BYTES = 131_072;

/** Longest a client token may live: 24 hours. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;

/** Longest delivery delay: 12 hours, the most Cloudflare Queues accepts. */
export const MAX_DELAY_SECONDS = 43_200;

/** Most ids in one `GET /v1/tasks?ids=…`. */
export const MAX_IDS_PER_QUERY = 100;

/** Most topics or topic patterns one client token may carry. */
export const MAX_TOKEN_TOPICS = 100;

/**
 * Deepest nesting of arrays and objects in a payload. Deeper values are refused as
 * `invalid_task` because engines' recursive `JSON.stringify` overflows its stack on them.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Bytes of `JSON.stringify(value)` encoded as UTF-8, counted without `TextEncoder` (not part of
 * the ES library). A lone surrogate counts 3 bytes, as U+FFFD would.
 *
 * @example
 * ```ts
 * jsonByteLength({ name: "é" }) // 13
 * ```
 */
export function jsonByteLength(value: JsonValue): number {
  return utf8Length(JSON.stringify(value));
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isHighSurrogate(unit) && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
