/**
 * The policy above the stores: when to claim, how many, what to run, and what an outcome
 * means. It claims at most `executor.freeSlots` tasks per pass (and wakes on `onSlotFree`), runs
 * each through the executor with a lease it renews every third of `leaseMs`, and commits every
 * outcome with the attempt's fencing token, so a late completion from an owner that lost its
 * lease changes nothing. It never knows which executor runs the work.
 */

import {
  CancelledError,
  decideRetry,
  ErrandError,
  NonRetryableError,
  type RetryPolicy,
  type SerializedError,
  serializeError,
  type TaskDef,
  upgradePayload,
} from "@errand/core";
import type { ExecutionOutcome, Executor } from "../executor.ts";
import type { Liveness } from "./lease-policy.ts";
import type { StoreApplied, TaskStore } from "./store.ts";
import type { TaskRecord } from "./task-record.ts";
import type { TaskEvent } from "./transition.ts";

/** A store, with its single-change writer (coalesced into shared transactions by the runtime). */
export interface StoreSlot {
  readonly store: TaskStore;
  readonly durable: boolean;
  applyOne(change: { id: string; event: TaskEvent }): Promise<StoreApplied>;
}

/** What the scheduler is given. */
export interface SchedulerOptions {
  /** Claimed from in this order on every pass. */
  readonly slots: readonly StoreSlot[];
  readonly executor: Executor;
  readonly owner: string;
  readonly leaseMs: number;
  /** Longest wait between claim passes when nothing is known to become due sooner. */
  readonly pollMs: number;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  policyOf(task: TaskRecord): RetryPolicy;
  liveness(): Promise<Liveness>;
  /** A change committed: emit its events. */
  changed(before: TaskRecord, after: TaskRecord): void;
  /** A claim pass started `task` (`task.started`) or settled it without running (`task.dead`). */
  emit(type: "task.started" | "task.dead", task: TaskRecord): void;
  progress(task: TaskRecord, value: number): void;
  /** An attempt's lease was taken over (or the task finished elsewhere): its outcome was refused. */
  leaseLost(task: TaskRecord, error: ErrandError): void;
  failed(error: unknown): void;
}

interface Attempt {
  readonly controller: AbortController;
  progress?: number;
  /** Why the attempt was stopped from outside, if it was. */
  stoppedBy?: "cancel" | "close" | "lease";
}

/** Claims and runs tasks until closed. */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #attempts = new Map<string, Attempt>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #unsubscribe: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping = false;
  #again = false;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#unsubscribe = options.executor.onSlotFree(() => this.wake());
  }

  /** Runs a claim pass soon (new work, a freed slot, a hint from another tab). */
  wake(): void {
    if (this.#closed) return;
    if (this.#pumping) this.#again = true;
    else void this.#pump();
  }

  /** Stops this context's attempt of `id`, if it runs one, because the task was cancelled. */
  stop(id: string, why: "cancel" | "lease"): void {
    const attempt = this.#attempts.get(id);
    if (attempt === undefined || attempt.stoppedBy !== undefined) return;
    attempt.stoppedBy = why;
    attempt.controller.abort(
      why === "cancel"
        ? new CancelledError()
        : new ErrandError("lease_lost", "The lease passed to another owner"),
    );
  }

  /** Stops claiming, aborts running attempts and hands them back (pending, attempt refunded). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe();
    for (const attempt of this.#attempts.values()) {
      if (attempt.stoppedBy === undefined) {
        attempt.stoppedBy = "close";
        attempt.controller.abort(new CancelledError("The runtime was closed"));
      }
    }
    await Promise.allSettled([...this.#inFlight]);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    let nextWakeAt = Date.now() + this.#o.pollMs;
    try {
      do {
        this.#again = false;
        for (const slot of this.#o.slots) {
          const limit = this.#o.executor.freeSlots;
          if (limit <= 0 || this.#closed) break;
          const liveness = await this.#o.liveness();
          const now = Date.now();
          const result = await slot.store.claim({
            ...liveness,
            owner: this.#o.owner,
            limit,
            now,
            leaseMs: this.#o.leaseMs,
            maxAttempts: (task) => this.#o.policyOf(task).maxAttempts,
          });
          for (const task of result.settled) this.#o.emit("task.dead", task);
          for (const task of result.claimed) this.#start(slot, task);
          if (result.nextWakeAt !== undefined) nextWakeAt = Math.min(nextWakeAt, result.nextWakeAt);
          if (result.claimed.length === limit) this.#again = true;
        }
      } while (this.#again && !this.#closed);
    } catch (error) {
      this.#o.failed(error);
    } finally {
      this.#pumping = false;
      if (!this.#closed) {
        this.#timer = setTimeout(() => this.wake(), Math.max(0, nextWakeAt - Date.now()));
      }
    }
  }

  #start(slot: StoreSlot, task: TaskRecord): void {
    const running = this.#run(slot, task).catch((error: unknown) => this.#o.failed(error));
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #run(slot: StoreSlot, task: TaskRecord): Promise<void> {
    const attempt: Attempt = { controller: new AbortController() };
    this.#attempts.set(task.id, attempt);
    this.#o.emit("task.started", task);
    const token = task.fence;
    const heartbeat = slot.durable
      ? setInterval(() => void this.#renew(slot, task, attempt), this.#o.leaseMs / 3)
      : undefined;
    try {
      const outcome = await this.#execute(task, attempt);
      clearInterval(heartbeat);
      const event = this.#outcomeEvent(task, token, outcome, attempt);
      const applied = await slot.applyOne({ id: task.id, event });
      if (applied.ok) this.#o.changed(applied.before, applied.after);
      else if (attempt.stoppedBy !== "cancel") this.#o.leaseLost(task, applied.error);
    } finally {
      clearInterval(heartbeat);
      this.#attempts.delete(task.id);
      // The slot freed before the commit; now the commit may also have freed an ordering key.
      this.wake();
    }
  }

  async #execute(task: TaskRecord, attempt: Attempt): Promise<ExecutionOutcome> {
    const def = this.#o.defs[task.type];
    let payload: unknown;
    try {
      if (def === undefined) {
        throw new NonRetryableError(`This runtime defines no task type ${JSON.stringify(task.type)}`, {
          code: "unknown_type",
        });
      }
      // Never hand a handler a payload it cannot read: upgrade it, or fail as version_unsupported.
      payload = upgradePayload(def, task.payload, task.version);
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
    const timeoutMs = task.timeoutMs ?? this.#o.policyOf(task).timeoutMs;
    return this.#o.executor.execute(
      {
        id: task.id,
        type: task.type,
        payload,
        attempt: task.attempts,
        version: def.version,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      },
      {
        progress: (value) => {
          attempt.progress = value;
          this.#o.progress(task, value);
        },
      },
      attempt.controller.signal,
    );
  }

  #outcomeEvent(task: TaskRecord, token: number, outcome: ExecutionOutcome, attempt: Attempt): TaskEvent {
    const now = Date.now();
    if (attempt.stoppedBy === "close") return { type: "release", token, now };
    if (outcome.ok) return { type: "succeed", token, now, result: outcome.result };
    const error: SerializedError = outcome.error;
    return {
      type: "fail",
      token,
      now,
      error,
      decision: decideRetry(this.#o.policyOf(task), task.attempts, error),
    };
  }

  async #renew(slot: StoreSlot, task: TaskRecord, attempt: Attempt): Promise<void> {
    if (attempt.stoppedBy !== undefined) return;
    const progress = attempt.progress === undefined ? {} : { progress: attempt.progress };
    const event: TaskEvent = {
      type: "renew",
      token: task.fence,
      now: Date.now(),
      leaseMs: this.#o.leaseMs,
      ...progress,
    };
    try {
      const applied = await slot.applyOne({ id: task.id, event });
      if (!applied.ok) {
        // Taken over, cancelled elsewhere, or purged: stop the handler; its outcome is refused anyway.
        const cancelled = applied.error.details?.state === "cancelled";
        this.stop(task.id, cancelled ? "cancel" : "lease");
      }
    } catch (error) {
      this.#o.failed(error);
    }
  }
}
