/**
 * One attempt of a task the scheduler holds: marked started, run on the executor, its outcome
 * committed with the attempt's fencing token, and a record the store cannot keep turned into a
 * failure it can. The scheduler owns which attempts exist and when they stop; this file owns
 * what one attempt does between its start and its commit.
 */

import { attemptRequest, outcomeEvent, storableOutcome } from "../lifecycle/attempt-outcome.ts";
import type { ExecutionOutcome, ExecutionRequest } from "../lifecycle/executor.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";
import { NOT_STORABLE, type StoreApplied } from "../stores/store.ts";
import type { Waiting } from "./claim-window.ts";
import type { ChangeKind } from "./commit-queue.ts";
import type { SchedulerOptions, StoreSlot } from "./scheduler-options.ts";
import type { WindowSize } from "./window-size.ts";

/** A task this context holds under its lease: waiting in the window, or running (an attempt). */
export interface Held extends Waiting {
  readonly slot: StoreSlot;
}

/** A held task's attempt while it runs. */
export interface Attempt {
  readonly held: Held;
  readonly controller: AbortController;
  progress?: number;
  /** Why the attempt was stopped from outside, if it was. */
  stoppedBy?: "cancel" | "close" | "lease";
}

/** What an attempt needs from its scheduler. */
export interface AttemptScope {
  readonly options: SchedulerOptions;
  /** Fed each attempt's duration, which sizes the automatic window. */
  readonly windowSize: WindowSize;
  /** Queues `change` for the scheduler's next pass; `then` hears what the store did. */
  commit(
    slot: StoreSlot,
    change: { id: string; event: TaskEvent },
    then: (applied: StoreApplied) => void,
    kind?: ChangeKind,
  ): Promise<void>;
}

/** Runs `attempt` to its committed outcome. */
export async function runAttempt(attempt: Attempt, scope: AttemptScope): Promise<void> {
  const { slot, task } = attempt.held;
  const { options } = scope;
  options.emit("task.started", task);
  markStarted(attempt.held, scope);
  const policy = options.policyOf(task);
  const def = Object.hasOwn(options.defs, task.type) ? options.defs[task.type] : undefined;
  const request = attemptRequest(task, def, policy, options.transferOf(task));
  const outcome = "ok" in request ? request : await execute(request, attempt, scope);
  const event = outcomeEvent(task, outcome, attempt.stoppedBy === "close", policy);
  const stored = await commitOutcome(slot, event, attempt, scope);
  if (!stored && event.type !== "release") {
    await commitOutcome(slot, storableOutcome(task, event, policy), attempt, scope);
  }
}

/**
 * Marks a durable task's lease started, with the next pass: until then a takeover (this tab
 * closed or froze) refunds the attempt, as it does for a task that only waited in the window.
 * A memory store has no other context to take its tasks over.
 */
function markStarted({ slot, task }: Held, scope: AttemptScope): void {
  if (!slot.durable) return;
  const event: TaskEvent = { type: "start", token: task.fence, now: Date.now() };
  // A refused mark (cancelled or taken over meanwhile) changes nothing: the outcome or the
  // next renewal hears of it.
  const marked = scope.commit(slot, { id: task.id, event }, () => {}, "mark");
  marked.catch(() => {});
}

/** Runs `request` on the executor, and feeds how long that took to the window's size. */
async function execute(
  request: ExecutionRequest,
  attempt: Attempt,
  scope: AttemptScope,
): Promise<ExecutionOutcome> {
  const { task } = attempt.held;
  const startedAt = performance.now();
  const outcome = await scope.options.executor.execute(
    request,
    {
      progress: (value) => {
        attempt.progress = value;
        scope.options.progress(task, value);
      },
    },
    attempt.controller.signal,
  );
  scope.windowSize.attempt(performance.now() - startedAt);
  return outcome;
}

/** Commits an attempt's outcome; false when the store cannot keep the record it makes. */
async function commitOutcome(
  slot: StoreSlot,
  event: TaskEvent,
  attempt: Attempt,
  scope: AttemptScope,
): Promise<boolean> {
  const { task } = attempt.held;
  let storable = true;
  await scope.commit(
    slot,
    { id: task.id, event },
    (applied) => {
      if (applied.ok) scope.options.changed(applied.before, applied.after);
      else if (applied.error.code === NOT_STORABLE) storable = false;
      else if (attempt.stoppedBy !== "cancel") scope.options.leaseLost(task, applied.error);
    },
    "outcome",
  );
  return storable;
}
