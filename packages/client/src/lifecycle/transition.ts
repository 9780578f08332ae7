/**
 * The one place a task changes state. `transition(task, event)` is pure: it returns the next
 * record or throws, and never touches storage, clocks or randomness (the event carries `now` and,
 * for a failure, the retry decision already taken). Both stores (IndexedDB and memory) write only
 * what this returns, so the lifecycle in DESIGN.md is enforced in one file.
 *
 * Errors: {@link StaleLeaseError} when an event from an owner carries a fencing token that is not
 * the task's current lease (the task was taken over, finished or cancelled meanwhile);
 * `ErrandError` `invalid_transition` (`already_final` for a cancel of a final task) when the
 * event makes no sense in the task's state.
 */

import { ErrandError, type RetryDecision, type SerializedError, StaleLeaseError } from "@errand/core";
import { refundsTakeover } from "./lease-policy.ts";
import type { QueueState, TaskRecord } from "./task-record.ts";

/** Everything that can happen to a task. */
export type TaskEvent =
  | ClaimEvent
  | {
      readonly type: "renew";
      readonly token: number;
      readonly now: number;
      readonly leaseMs: number;
      readonly progress?: number;
    }
  | { readonly type: "start"; readonly token: number; readonly now: number }
  | { readonly type: "succeed"; readonly token: number; readonly now: number; readonly result: unknown }
  | {
      readonly type: "fail";
      readonly token: number;
      readonly now: number;
      readonly error: SerializedError;
      readonly decision: RetryDecision;
    }
  | { readonly type: "release"; readonly token: number; readonly now: number }
  | { readonly type: "cancel"; readonly now: number }
  | { readonly type: "replay"; readonly now: number }
  | { readonly type: "expire"; readonly now: number };

/**
 * Claim a pending task, or take over a running one whose lease the caller judged abandoned.
 * A take-over counts the lost attempt; when that was the last one, the task goes dead with
 * `lease_expired` instead of running again. A lease that never started (see
 * {@link refundsTakeover}) lost no attempt: its attempt is refunded, it never goes dead for
 * attempts, and its TTL applies as to a pending task's first attempt. The new lease is not
 * started until a `start` event marks it.
 */
export interface ClaimEvent {
  readonly type: "claim";
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
}

/**
 * The task after `event`.
 *
 * @throws {StaleLeaseError} for `renew`, `start`, `succeed`, `fail` or `release` whose token is not the
 *   current lease's.
 * @throws {ErrandError} `already_final` for `cancel` of a final task; `invalid_transition` for any
 *   other event the state does not allow.
 * @example
 * ```ts
 * const running = transition(task, { type: "claim", owner, now, leaseMs: 15_000, maxAttempts: 5 });
 * const done = transition(running, { type: "succeed", token: running.fence, now, result });
 * ```
 */
export function transition(task: TaskRecord, event: TaskEvent): TaskRecord {
  switch (event.type) {
    case "claim":
      return claim(task, event);
    case "renew": {
      const held = holding(task, event.token);
      const lease = { ...held, expiresAt: event.now + event.leaseMs };
      const progress = event.progress === undefined ? {} : { progress: event.progress };
      return { ...task, ...progress, lease, updatedAt: event.now };
    }
    case "start": {
      // The attempt runs: a later takeover counts it, and the crash-loop count starts over.
      const lease = { ...holding(task, event.token), started: true };
      const { unstartedTakeovers: _takeovers, ...rest } = task;
      return { ...rest, lease, updatedAt: event.now };
    }
    case "succeed":
      holding(task, event.token);
      return settle(task, "succeeded", event.now, { result: event.result });
    case "fail":
      holding(task, event.token);
      if (event.decision.retry) {
        return settle(task, "pending", event.now, {
          error: event.error,
          runAt: event.now + event.decision.delayMs,
        });
      }
      return settle(task, "dead", event.now, { error: event.error });
    case "release":
      holding(task, event.token);
      return settle(task, "pending", event.now, {
        attempts: Math.max(0, task.attempts - 1),
        runAt: event.now,
        // Handed back unrun: the takeovers that led here still count against a crash loop.
        ...(task.unstartedTakeovers === undefined ? {} : { unstartedTakeovers: task.unstartedTakeovers }),
      });
    case "cancel":
      if (task.state !== "pending" && task.state !== "running") {
        throw new ErrandError("already_final", `Task ${task.id} is already ${task.state}`, {
          retryable: false,
        });
      }
      return settle(task, "cancelled", event.now, {});
    case "replay":
      expectState(task, "dead", event.type);
      return settle(task, "pending", event.now, { attempts: 0, runAt: event.now });
    case "expire":
      expectState(task, "pending", event.type);
      return settle(task, "dead", event.now, { error: ttlExpired(task) });
  }
}

/**
 * The record with its derived, index-only fields recomputed from the rest. Call it on every
 * record that is about to be written for the first time (the enqueue path); {@link transition}
 * calls it for every change.
 */
export function withDerivedFields(task: TaskRecord): TaskRecord {
  const unfinished = task.state === "pending" || task.state === "running";
  const blocksKey = unfinished || (task.state === "dead" && task.onDead === "halt");
  // A plain copy and property writes: a rest pattern over the record costs this hot path
  // (every enqueue and change) several times more.
  // `|| 0` keeps -0 out of keys: IndexedDB treats it as 0 anyway, equality checks do not.
  const next: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = { ...task, rank: -task.priority || 0 };
  if (task.orderingKey !== undefined && blocksKey) next.gate = task.orderingKey;
  else if ("gate" in next) delete next.gate;
  if (task.dedupKey !== undefined && unfinished) next.dedupGate = task.dedupKey;
  else if ("dedupGate" in next) delete next.dedupGate;
  return next;
}

function claim(task: TaskRecord, event: ClaimEvent): TaskRecord {
  if (task.state !== "pending" && task.state !== "running") {
    throw invalid(task, event.type);
  }
  const refund = task.state === "running" && refundsTakeover(task);
  const attempts = refund ? task.attempts - 1 : task.attempts;
  if (refund && attempts === 0 && task.expiresAt !== undefined && task.expiresAt <= event.now) {
    return settle(task, "dead", event.now, { error: ttlExpired(task) });
  }
  if (task.state === "running" && !refund && task.attempts >= event.maxAttempts) {
    const lost = internalError("lease_expired", `The owner of task ${task.id} stopped renewing its lease`);
    return settle(task, "dead", event.now, { error: lost });
  }
  const token = task.fence + 1;
  const lease = {
    owner: event.owner,
    token,
    claimedAt: event.now,
    expiresAt: event.now + event.leaseMs,
    started: false,
  };
  // A new attempt has no outcome yet: the last error told why the task waited, not how this runs.
  const { progress: _progress, error: _error, unstartedTakeovers: takeovers, ...rest } = task;
  const count = refund ? (takeovers ?? 0) + 1 : takeovers;
  return withDerivedFields({
    ...rest,
    ...(count === undefined ? {} : { unstartedTakeovers: count }),
    state: "running",
    attempts: attempts + 1,
    fence: token,
    lease,
    updatedAt: event.now,
  });
}

/** Leaves `running` (or any state) for `state`, dropping the lease and what no longer applies. */
function settle(
  task: TaskRecord,
  state: QueueState,
  now: number,
  changes: {
    result?: unknown;
    error?: SerializedError;
    runAt?: number;
    attempts?: number;
    unstartedTakeovers?: number;
  },
): TaskRecord {
  const {
    lease: _lease,
    unstartedTakeovers: _takeovers,
    result: _result,
    error: _error,
    finishedAt: _finishedAt,
    progress: _progress,
    ...rest
  } = task;
  const final = state === "succeeded" || state === "dead" || state === "cancelled";
  // A retrying task keeps its last error, so `get` shows why it is waiting.
  const keepsError = state === "pending" && changes.error !== undefined;
  return withDerivedFields({
    ...rest,
    state,
    updatedAt: now,
    ...(changes.runAt === undefined ? {} : { runAt: changes.runAt }),
    ...(changes.attempts === undefined ? {} : { attempts: changes.attempts }),
    ...(changes.unstartedTakeovers === undefined ? {} : { unstartedTakeovers: changes.unstartedTakeovers }),
    ...("result" in changes ? { result: changes.result } : {}),
    ...(changes.error !== undefined && (final || keepsError) ? { error: changes.error } : {}),
    ...(final ? { finishedAt: now } : {}),
  });
}

/** The current lease when `token` is its token and the task is running. */
function holding(task: TaskRecord, token: number) {
  if (task.state !== "running" || task.lease === undefined || task.lease.token !== token) {
    throw new StaleLeaseError(`Fencing token ${token} of task ${task.id} is stale (task is ${task.state})`, {
      details: { id: task.id, token, state: task.state, current: task.lease?.token ?? null },
    });
  }
  return task.lease;
}

function expectState(task: TaskRecord, state: QueueState, event: TaskEvent["type"]): void {
  if (task.state !== state) throw invalid(task, event);
}

function invalid(task: TaskRecord, event: TaskEvent["type"]): ErrandError {
  return new ErrandError("invalid_transition", `Cannot ${event} task ${task.id}: it is ${task.state}`, {
    retryable: false,
    details: { id: task.id, state: task.state, event },
  });
}

function ttlExpired(task: TaskRecord): SerializedError {
  return internalError("ttl_expired", `Task ${task.id} was not started before its TTL ran out`);
}

function internalError(code: string, message: string): SerializedError {
  return { name: "ErrandError", code, message, retryable: false };
}
