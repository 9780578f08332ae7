/**
 * What the scheduler is given: the stores it claims from, the executor, the lease and window
 * settings, and the runtime's hooks (events, policies), so it never reaches for the runtime.
 */

import type { ErrandError, RetryPolicy, TaskDef } from "@errand/core";
import type { Liveness } from "../browser/owner-lock.ts";
import type { Executor } from "../lifecycle/executor.ts";
import type { TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskStore } from "../stores/store.ts";

/** A store the scheduler claims from. */
export interface StoreSlot {
  readonly store: TaskStore;
  readonly durable: boolean;
}

/** What the scheduler is given. */
export interface SchedulerOptions {
  /** Claimed from in this order on every pass. */
  readonly slots: readonly StoreSlot[];
  readonly executor: Executor;
  readonly owner: string;
  readonly leaseMs: number;
  /** Tasks a pass may claim beyond the free slots (a number, or "auto": see window-size.ts). */
  readonly prefetch: number | "auto";
  /** Longest an outcome waits for others to share its commit while the window feeds the slots. */
  readonly commitMs: number;
  /** Outcomes that commit at once, without waiting out `commitMs`. */
  readonly commitEvery: number;
  /** Longest wait between claim passes when nothing is known to become due sooner. */
  readonly pollMs: number;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  policyOf(task: TaskRecord): RetryPolicy;
  /** Objects to transfer with the payload of this attempt, if its caller marked any. */
  transferOf(task: TaskRecord): readonly Transferable[] | undefined;
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
