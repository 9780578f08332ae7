/**
 * Which pending outbox records go out next, and in which requests. Pure: the push loop hands it
 * the subject's pending records and the clock, and sends what it returns.
 *
 * Rules:
 * - a request holds at most {@link MAX_BATCH_ITEMS} tasks and its body at most
 *   {@link MAX_BODY_BYTES} bytes, so the edge never answers `400`/`413` for the envelope;
 * - a key's next task goes only after the previous one was accepted (DESIGN.md invariant 5): only
 *   the lowest-`seq` pending record of an ordering key is eligible, and only when it is due, so a
 *   key waits while its head waits for a retry; keys in flight (`busyKeys`) wait too;
 * - a payload over {@link MAX_MESSAGE_BYTES} can never be accepted: it is set aside as `tooLarge`
 *   (the caller marks it dead) instead of taking a request with it.
 */

import type { JsonValue } from "@errand/core";
import { jsonByteLength, MAX_BATCH_ITEMS, MAX_BODY_BYTES, MAX_MESSAGE_BYTES } from "@errand/core/wire";
import { type OutboxRecord, toWireTask } from "../lifecycle/outbox-record.ts";

/** What {@link planBatches} returns. */
export interface BatchPlan {
  /** Requests to send, each a list of records in push order. */
  readonly batches: OutboxRecord[][];
  /** Records whose payload alone is over the contract's message limit. */
  readonly tooLarge: OutboxRecord[];
  /** Earliest `runAt` among records that are not due yet (Unix ms), for the next wake-up. */
  readonly nextRunAt?: number;
}

/** Limits of one request; the contract's by default. */
export interface BatchLimits {
  readonly maxItems: number;
  readonly maxBodyBytes: number;
}

/** `{"tasks":[` and `]}`: the envelope around the items. */
const ENVELOPE_BYTES = 12;

/**
 * Splits the due, eligible records of `pending` into requests.
 *
 * @param pending the subject's `pending` records, in any order.
 * @param busyKeys ordering keys with a task in a request that has not answered yet.
 * @example
 * ```ts
 * const { batches, tooLarge } = planBatches(await outbox.pending(subject), Date.now());
 * for (const batch of batches) await push(batch);
 * ```
 */
export function planBatches(
  pending: readonly OutboxRecord[],
  now: number,
  busyKeys: ReadonlySet<string> = new Set(),
  limits: BatchLimits = { maxItems: MAX_BATCH_ITEMS, maxBodyBytes: MAX_BODY_BYTES },
): BatchPlan {
  const ordered = [...pending].sort((a, b) => a.seq - b.seq);
  const headSeen = new Set<string>(busyKeys);
  const batches: OutboxRecord[][] = [];
  const tooLarge: OutboxRecord[] = [];
  let nextRunAt: number | undefined;
  let current: OutboxRecord[] = [];
  let bytes = ENVELOPE_BYTES;

  for (const record of ordered) {
    const key = record.orderingKey;
    if (key !== undefined) {
      // Only the head of a key may go; everything behind it waits for its acceptance.
      if (headSeen.has(key)) continue;
      headSeen.add(key);
    }
    if (record.runAt > now) {
      nextRunAt = Math.min(nextRunAt ?? Infinity, record.runAt);
      continue;
    }
    if (jsonByteLength(record.payload) > MAX_MESSAGE_BYTES) {
      tooLarge.push(record);
      continue;
    }
    // WireTask is plain JSON; its interface type just lacks JsonValue's index signature.
    const itemBytes = jsonByteLength(toWireTask(record) as unknown as JsonValue);
    if (
      current.length >= limits.maxItems ||
      (current.length > 0 && bytes + 1 + itemBytes > limits.maxBodyBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    bytes += (current.length > 0 ? 1 : 0) + itemBytes;
    current.push(record);
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge, ...(nextRunAt === undefined ? {} : { nextRunAt }) };
}
