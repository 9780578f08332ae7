/**
 * Turning an `enqueue` call into a task record, or refusing it. Pure (the caller passes the id,
 * the clock and the definitions), so every rule is unit-tested without a browser, and all of it
 * runs before any transaction opens: a refused call, or a refused item of a batch, stores nothing.
 */

import {
  type RetryPolicy,
  resolvePolicy,
  type TaskDef,
  timerMsProblem,
  ValidationError,
  type ValidationIssue,
} from "@errand/core";
import type { EdgeEnqueueOptions } from "./edge-enqueue.ts";
import type { OnDead, StoredRetry, TaskRecord } from "./task-record.ts";
import { withDerivedFields } from "./transition.ts";

/**
 * Options of one `enqueue` (and of each item of `enqueueMany`): a local task's, or with
 * `target: "edge"` an edge task's, which take only the options the edge applies (a local option
 * on an edge task is refused, at compile time and at run time, not dropped).
 */
export type EnqueueOptions = LocalEnqueueOptions | EdgeEnqueueOptions;

/** Options of a task run by this runtime (the default target). */
export interface LocalEnqueueOptions {
  /** Higher runs first among due tasks; any finite number, 0 by default. */
  readonly priority?: number;
  /** Milliseconds to wait before the first attempt; 0 by default. */
  readonly delay?: number;
  /** Tasks with the same key run one at a time, in enqueue order (DESIGN.md invariant 5). */
  readonly orderingKey?: string;
  /** What the key does when this task goes dead: move on (default) or wait for replay/purge. */
  readonly onDead?: OnDead;
  /** While an unfinished task has this key, enqueueing another returns that task instead. */
  readonly dedupKey?: string;
  /**
   * Overrides of the type's retry policy for this task. A durable task stores them, so they
   * must be plain data: a `custom` backoff or a `retryable` function belongs in the type's
   * policy given to `createErrand`.
   */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Milliseconds one attempt may run, counted from its start; overrides the policy's. At the
   * timeout the handler's `ctx.signal` aborts. On the main thread the attempt fails then. On the
   * worker pool it fails when the handler stops, and a handler that ignores its signal is stopped
   * by replacing its worker after the pool's `graceMs` (1,000 ms by default): with `timeout: 1000`,
   * such an attempt fails after about 2,000 ms.
   */
  readonly timeout?: number;
  /** Milliseconds after enqueue by which the task must have started, else it goes dead (`ttl_expired`). */
  readonly ttl?: number;
  /** `false` keeps the task in this runtime's memory only (lost on reload); `true` by default. */
  readonly durable?: boolean;
  /**
   * Objects inside the payload to move to the worker instead of copying (buffers, ports,
   * bitmaps); ephemeral tasks only (`durable: false`). They move on the first attempt: the
   * page's copies are detached from then on, so a retry would see them empty; give such tasks
   * `retry: { maxAttempts: 1 }` or a handler that tolerates it.
   */
  readonly transfer?: readonly Transferable[];
  /** `"edge"` ships the task to the edge instead (see {@link EdgeEnqueueOptions}). */
  readonly target?: "local";
}

/** What {@link buildRecord} needs besides the call's own arguments. */
export interface BuildContext {
  readonly id: string;
  readonly now: number;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  readonly policies: { readonly [type: string]: Partial<RetryPolicy> | undefined };
  /** Prefix of issue paths, e.g. `items.3.` in a batch. */
  readonly path?: string;
}

/**
 * The record to store for `enqueue(type, payload, options)`.
 *
 * @throws {ValidationError} `invalid_input` listing every problem: unknown type, a negative or
 *   non-finite delay, priority, timeout or TTL, a timeout over `MAX_TIMER_MS` (setTimeout's
 *   limit), a TTL not longer than the delay, empty keys, an unknown `onDead`, an invalid retry
 *   policy, or a `target` or `topic` that is not a local task's. (A payload IndexedDB cannot
 *   store is refused by the store's write: {@link unstorablePayload}.)
 */
export function buildRecord(
  type: string,
  payload: unknown,
  options: LocalEnqueueOptions,
  ctx: BuildContext,
): TaskRecord {
  const at = (field: string) => `${ctx.path ?? ""}${field}`;
  const issues: ValidationIssue[] = [];
  const fail = (field: string, message: string) => issues.push({ path: at(field), message });
  const opts: LocalEnqueueOptions = typeof options === "object" && options !== null ? options : {};
  if (options !== undefined && opts !== options) fail("options", "must be an object");
  // Untyped callers: a target or topic that would not make this an edge task is a mistake.
  const { target, topic } = opts as { target?: unknown; topic?: unknown };
  if (target !== undefined && target !== "local") fail("options.target", 'must be "local" or "edge"');
  if (topic !== undefined) fail("options.topic", 'is an edge option: it needs target: "edge"');

  // Own properties only: `toString` or `__proto__` must not pass for a type through the prototype.
  const def = typeof type === "string" && Object.hasOwn(ctx.defs, type) ? ctx.defs[type] : undefined;
  if (def === undefined) fail("type", `is not a task type of this runtime: ${JSON.stringify(type)}`);
  const durable = opts.durable ?? true;
  if (typeof durable !== "boolean") fail("options.durable", "must be a boolean");
  if (opts.transfer !== undefined) {
    if (!Array.isArray(opts.transfer)) fail("options.transfer", "must be an array of transferable objects");
    else if (durable === true)
      fail(
        "options.transfer",
        "is for ephemeral tasks only (durable: false): a transferred object leaves the page and cannot be stored",
      );
  }
  const priority = finite(opts.priority, 0, "options.priority", fail, { min: -Infinity });
  const delay = finite(opts.delay, 0, "options.delay", fail, { min: 0 });
  const timeout = optionalTimerMs(opts.timeout, "options.timeout", fail);
  const ttl = optionalPositive(opts.ttl, "options.ttl", fail);
  if (ttl !== undefined && ttl <= delay) fail("options.ttl", `must be longer than the delay (${delay} ms)`);
  const orderingKey = optionalKey(opts.orderingKey, "options.orderingKey", fail);
  const dedupKey = optionalKey(opts.dedupKey, "options.dedupKey", fail);
  const onDead = opts.onDead ?? "continue";
  if (onDead !== "continue" && onDead !== "halt") fail("options.onDead", 'must be "continue" or "halt"');
  const retry = checkRetry(opts.retry, durable, ownPolicy(ctx.policies, type), at, issues);

  if (issues.length > 0 || def === undefined) {
    const summary = issues.map((issue) => `${issue.path} ${issue.message}`).join("; ");
    throw new ValidationError(`Cannot enqueue ${JSON.stringify(type)}: ${summary}`, issues);
  }
  return withDerivedFields({
    id: ctx.id,
    type,
    payload,
    version: def.version,
    state: "pending",
    priority,
    rank: 0,
    runAt: ctx.now + delay,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    attempts: 0,
    fence: 0,
    onDead,
    durable,
    ...(retry === undefined ? {} : { retry }),
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    ...(ttl === undefined ? {} : { expiresAt: ctx.now + ttl }),
    ...(orderingKey === undefined ? {} : { orderingKey }),
    ...(dedupKey === undefined ? {} : { dedupKey }),
  });
}

/** The policy given for `type`, if any: an own property of `policies`, never an inherited one. */
export function ownPolicy(
  policies: { readonly [type: string]: Partial<RetryPolicy> | undefined },
  type: string,
): Partial<RetryPolicy> | undefined {
  return Object.hasOwn(policies, type) ? policies[type] : undefined;
}

/**
 * The policy a task runs under: the default, then the type's policy, then the task's own
 * overrides. Ephemeral tasks may carry functions in `retry`; durable ones cannot.
 */
export function effectivePolicy(
  task: Pick<TaskRecord, "retry">,
  typePolicy: Partial<RetryPolicy> | undefined,
  ephemeralRetry?: Partial<RetryPolicy>,
): RetryPolicy {
  return resolvePolicy({ ...typePolicy, ...task.retry, ...ephemeralRetry });
}

function checkRetry(
  retry: Partial<RetryPolicy> | undefined,
  durable: boolean,
  typePolicy: Partial<RetryPolicy> | undefined,
  at: (field: string) => string,
  issues: ValidationIssue[],
): StoredRetry | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry !== "object" || retry === null) {
    issues.push({ path: at("options.retry"), message: "must be an object" });
    return undefined;
  }
  try {
    resolvePolicy({ ...typePolicy, ...retry });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of error.issues) {
      issues.push({
        path: at(`options.retry${issue.path === "" ? "" : `.${issue.path}`}`),
        message: issue.message,
      });
    }
    return undefined;
  }
  if (durable && (retry.retryable !== undefined || retry.backoff?.kind === "custom")) {
    issues.push({
      path: at("options.retry"),
      message:
        "of a durable task must be plain data: put custom backoff and retryable functions in the type's policy",
    });
    return undefined;
  }
  const { maxAttempts, backoff, timeoutMs } = retry;
  return {
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(backoff === undefined || backoff.kind === "custom" ? {} : { backoff }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/**
 * The error for a durable task whose payload IndexedDB's structured clone refused (checked by the
 * store's own write, so the payload is cloned once, not twice). `path` prefixes the issue path.
 */
export function unstorablePayload(type: string, path = ""): ValidationError {
  const issue = {
    path: `${path}payload`,
    message:
      "cannot be stored: structured clone refused it (functions, DOM nodes, class instances with private state…); use durable: false for transferables",
  };
  return new ValidationError(`Cannot enqueue ${JSON.stringify(type)}: ${issue.path} ${issue.message}`, [
    issue,
  ]);
}

type Fail = (field: string, message: string) => void;

function finite(value: unknown, fallback: number, field: string, fail: Fail, range: { min: number }): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(field, "must be a finite number");
    return fallback;
  }
  if (value < range.min) {
    fail(field, `must not be below ${range.min}`);
    return fallback;
  }
  return value;
}

function optionalPositive(value: unknown, field: string, fail: Fail): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    fail(field, "must be a finite number of milliseconds > 0");
    return undefined;
  }
  return value;
}

function optionalTimerMs(value: unknown, field: string, fail: Fail): number | undefined {
  if (value === undefined) return undefined;
  const problem = timerMsProblem(value);
  if (problem === undefined) return value as number;
  fail(field, problem);
  return undefined;
}

function optionalKey(value: unknown, field: string, fail: Fail): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    fail(field, "must be a non-empty string");
    return undefined;
  }
  return value;
}
