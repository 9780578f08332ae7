/**
 * The operations the scheduler and the runtime need from a place that keeps tasks. Two
 * implementations: {@link IdbTaskStore} (durable, IndexedDB) and {@link MemoryTaskStore}
 * (ephemeral tasks, `durable: false`). Both write only what {@link transition} returns.
 */

import type { ErrandError } from "@errand/core";
import type { Liveness } from "../browser/owner-lock.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";

/** A place that keeps tasks. */
export interface TaskStore {
  /** Adds new records in one transaction; a record whose dedup key is held returns the holder. */
  insert(records: readonly TaskRecord[]): Promise<StoreInserted[]>;
  get(id: string): Promise<TaskRecord | undefined>;
  list(filter: StoreFilter): Promise<TaskRecord[]>;
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Applies each event to its task in one transaction; a change the reducer refuses, or one
   * whose record the store cannot keep ({@link NOT_STORABLE}), is that item's failure and the
   * others still commit. `strict` for changes a person asked for.
   */
  apply(changes: readonly { id: string; event: TaskEvent }[], strict?: boolean): Promise<StoreApplied[]>;
  /**
   * Applies `changes` like {@link apply} (relaxed), then, when `claim` is given, runs a claim pass,
   * all in one transaction: a completion and the claim of the slot it freed cost one commit, and
   * a completion that frees an ordering key lets the same pass claim the key's next task.
   */
  commit(changes: readonly { id: string; event: TaskEvent }[], claim?: ClaimRequest): Promise<Committed>;
  /** Removes the tasks in `state` (and of `type`, when given). */
  purge(filter: { state: QueueState; type?: string }): Promise<number>;
  /** Removes final tasks older than their state's retention. */
  sweep(now: number, retention: RetentionMs): Promise<number>;
  counts(): Promise<StoreCounts>;
  close(): void;
}

/**
 * The code of a change refused because the store cannot keep the record it makes: IndexedDB's
 * structured clone refused it (a result or error details holding a function, a port…), or a
 * success's record did not fit the storage quota (see commit-singly.ts).
 */
export const NOT_STORABLE = "record_not_storable";

/** Filter of `list`. */
export interface StoreFilter {
  readonly state?: QueueState;
  readonly type?: string;
  readonly limit?: number;
}

/** How long final tasks are kept, per state, in ms (`Infinity`: until purged). */
export interface RetentionMs {
  readonly succeeded: number;
  readonly cancelled: number;
  readonly dead: number;
}

/** One record of an `insert`: the stored task, and whether it was created by this call. */
export interface StoreInserted {
  readonly record: TaskRecord;
  readonly created: boolean;
}

/** One change of an `apply`. */
export type StoreApplied =
  | { readonly ok: true; readonly before: TaskRecord; readonly after: TaskRecord }
  | { readonly ok: false; readonly error: ErrandError };

/** What one {@link TaskStore.commit} did. */
export interface Committed {
  readonly applied: StoreApplied[];
  /** The claim pass, when one was asked for. */
  readonly claimed?: ClaimResult;
}

/** Counts per state and the creation time of the oldest pending task. */
export interface StoreCounts {
  readonly counts: Record<QueueState, number>;
  readonly oldestPendingAt?: number;
}

/** What one claim pass needs. */
export interface ClaimRequest extends Liveness {
  readonly owner: string;
  readonly limit: number;
  readonly now: number;
  readonly leaseMs: number;
  /** The attempt budget of a task under its effective policy. */
  maxAttempts(task: TaskRecord): number;
  /** Most pending records one pass may look at (bounds the transaction when many wait on keys). */
  readonly scanLimit?: number;
  /**
   * Whether to look for running tasks whose lease lapsed (default true). Looking reads every
   * running task, the claimer's own included, so a claimer that knows none can have lapsed yet
   * passes false ({@link ClaimResult.rescueAt} says until when).
   */
  readonly rescue?: boolean;
  /**
   * Whether the claimer runs task `id` now. A task leased to its owner id that it does not run
   * was left by an earlier session of that id (a fixed `ownerId` across a crash), and is taken
   * over once its lease expired. Absent: the claimer runs every task leased to its owner id.
   */
  runs?(id: string): boolean;
}

/** What one claim pass did. */
export interface ClaimResult {
  readonly claimed: TaskRecord[];
  /** Tasks the pass moved to a final state instead of running them. */
  readonly settled: TaskRecord[];
  /** When a pending or abandoned task next becomes runnable, if known. */
  readonly nextWakeAt: number | undefined;
  /**
   * When this pass looked at the running tasks: the earliest time it could take over one of
   * another owner's tasks it saw, by the liveness it was given, if it saw any. An owner that dies
   * later, or a lease taken after the pass, can make a task abandoned sooner.
   */
  readonly rescueAt?: number | undefined;
}
