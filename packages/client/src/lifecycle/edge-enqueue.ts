/**
 * Turning `enqueue(type, payload, { target: "edge", topic })` into an outbox record, or refusing
 * it. Pure and run before any transaction, so a refused call stores nothing. Everything the edge
 * would reject for good is refused here, where the caller can still act on it.
 */

import { type JsonValue, type TaskDef, ValidationError, type ValidationIssue } from "@errand/core";
import {
  findJsonIssue,
  isTopicName,
  isWellFormed,
  isWireId,
  jsonByteLength,
  MAX_DELAY_SECONDS,
  MAX_MESSAGE_BYTES,
} from "@errand/core/wire";
import type { OutboxRecord } from "./outbox-record.ts";

/** Options of an edge-bound `enqueue`. */
export interface EdgeEnqueueOptions {
  readonly target: "edge";
  /** The topic to publish to; the task type by default. */
  readonly topic?: string;
  /** Tasks with the same key reach each subscription one at a time, in enqueue order. */
  readonly orderingKey?: string;
  /** A second idempotency key on the edge. */
  readonly dedupKey?: string;
  /** Milliseconds the edge waits before delivering; rounded up to whole seconds, at most 12 h. */
  readonly delay?: number;
}

/** The options of a local task, which an edge task does not take. */
const LOCAL_ONLY = ["priority", "onDead", "retry", "timeout", "ttl", "durable", "transfer"] as const;

/** What {@link buildOutboxRecord} needs besides the call's arguments. */
export interface EdgeBuildContext {
  readonly id: string;
  readonly now: number;
  readonly subject: string;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  /** Prefix of issue paths, e.g. `items.3.`. */
  readonly path?: string;
}

/**
 * The record to store for an edge-bound enqueue (its `seq` is given in the transaction).
 *
 * @throws {ValidationError} `invalid_input` listing every problem: unknown type, an invalid
 *   topic, a payload that is not JSON or is over the contract's 128 KB, empty or invalid keys, a
 *   delay that is negative or over 12 hours, a local task's option (`priority`, `retry`, …).
 */
export function buildOutboxRecord(
  type: string,
  payload: unknown,
  options: EdgeEnqueueOptions,
  ctx: EdgeBuildContext,
): Omit<OutboxRecord, "seq"> {
  const issues: ValidationIssue[] = [];
  const fail = (field: string, message: string) =>
    issues.push({ path: `${ctx.path ?? ""}${field}`, message });
  if (typeof type !== "string" || !Object.hasOwn(ctx.defs, type))
    fail("type", `is not a task type of this runtime: ${JSON.stringify(type)}`);
  const topic = options.topic ?? type;
  if (!isTopicName(topic)) fail("options.topic", "must be a topic name (^[a-z0-9][a-z0-9._-]{0,63}$)");
  const jsonIssue = findJsonIssue(payload);
  if (jsonIssue !== undefined)
    fail(`payload${jsonIssue.path ? `.${jsonIssue.path}` : ""}`, jsonIssue.message);
  else if (jsonByteLength(payload as JsonValue) > MAX_MESSAGE_BYTES)
    fail("payload", `must be at most ${MAX_MESSAGE_BYTES} bytes as JSON`);
  for (const key of ["orderingKey", "dedupKey"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || value === "" || value.length > 256)
      fail(`options.${key}`, "must be a string of 1 to 256 characters");
    else if (!isWellFormed(value)) fail(`options.${key}`, "must be well-formed Unicode (no lone surrogate)");
  }
  const delay = options.delay;
  if (delay !== undefined && (typeof delay !== "number" || !(delay >= 0) || delay > MAX_DELAY_SECONDS * 1000))
    fail("options.delay", `must be 0 to ${MAX_DELAY_SECONDS * 1000} ms`);
  // Untyped callers: a local option does not apply at the edge (its policy is the subscription's).
  for (const name of LOCAL_ONLY) {
    if ((options as unknown as { readonly [option: string]: unknown })[name] !== undefined)
      fail(
        `options.${name}`,
        'is a local option: a target: "edge" task takes topic, orderingKey, dedupKey and delay',
      );
  }
  if (!isWireId(ctx.id)) fail("id", "must be a wire id");
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path} ${issue.message}`).join("; ");
    throw new ValidationError(`Cannot enqueue ${JSON.stringify(type)} for the edge: ${summary}`, issues);
  }
  const delaySeconds = delay === undefined || delay === 0 ? undefined : Math.ceil(delay / 1000);
  return {
    id: ctx.id,
    type,
    topic,
    payload: payload as JsonValue,
    subject: ctx.subject,
    state: "pending",
    attempts: 0,
    runAt: ctx.now,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    ...(options.orderingKey === undefined ? {} : { orderingKey: options.orderingKey }),
    ...(options.dedupKey === undefined ? {} : { dedupKey: options.dedupKey }),
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
  };
}
