/**
 * The shape of a task as the queue stores it. One record per task, in one object store; the
 * derived fields (`rank`, `gate`, `dedupGate`, `finishedAt`) exist only so that IndexedDB
 * indexes can answer the scheduler's questions without scanning, and only {@link transition}
 * writes them.
 */

import type { SerializedError, TaskState } from "@errand/core";

/** What `onDead` does to an ordering key when its head goes dead. */
export type OnDead = "continue" | "halt";

/** The part of a retry policy a task may carry in storage: plain data, no functions. */
export interface StoredRetry {
  readonly maxAttempts?: number;
  readonly backoff?:
    | {
        readonly kind: "exponential";
        readonly baseMs: number;
        readonly maxMs: number;
        readonly jitter?: "full" | "none";
      }
    | { readonly kind: "fixed"; readonly delayMs: number };
  readonly timeoutMs?: number;
}

/**
 * Who runs a task right now. `token` is the fencing token: it grows by one at every claim of the
 * task, and a completion or heartbeat carrying any other token is refused.
 */
export interface Lease {
  readonly owner: string;
  readonly token: number;
  readonly claimedAt: number;
  readonly expiresAt: number;
  /**
   * False from the claim until the owner marks the attempt started (a task claimed ahead waits
   * in the owner's window first). A takeover of a lease that never started refunds its attempt
   * instead of counting it. Absent in records written before the mark existed: those count as
   * started, as every claim then did.
   */
  readonly started?: boolean;
}

/** The queue's states: {@link TaskState} without `sent`, which belongs to the outbox. */
export type QueueState = Exclude<TaskState, "sent">;

/** One task, as stored (durable) or held in memory (ephemeral). */
export interface TaskRecord {
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  /** The handler version the payload was written for. */
  readonly version: number;
  readonly state: QueueState;
  readonly priority: number;
  /** `-priority`: the due index sorts ascending, and higher priorities run first. */
  readonly rank: number;
  /** Not before this time (Unix ms): enqueue time plus delay, or the next retry. */
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Attempts started so far (claims), the first included. */
  readonly attempts: number;
  /**
   * Takeovers of a lease that never started, since the task last started: such a takeover
   * refunds the attempt only below `MAX_UNSTARTED_TAKEOVERS` (lease-policy.ts), so a task that kills its
   * tab before its start mark commits cannot loop forever.
   */
  readonly unstartedTakeovers?: number;
  /** Per-task overrides of the type's retry policy. */
  readonly retry?: StoredRetry;
  readonly timeoutMs?: number;
  /** A task still pending at this time (Unix ms) goes dead with `ttl_expired` instead of running. */
  readonly expiresAt?: number;
  readonly orderingKey?: string;
  /** Position within `orderingKey`, from a counter bumped inside the enqueue transaction. */
  readonly seq?: number;
  readonly onDead: OnDead;
  /** `orderingKey` while this task holds its key back (pending, running, or dead with `halt`). */
  readonly gate?: string;
  readonly dedupKey?: string;
  /** `dedupKey` while the task is unfinished (pending or running): the dedup index. */
  readonly dedupGate?: string;
  readonly lease?: Lease;
  /** The last fencing token handed out for this task; survives the lease. */
  readonly fence: number;
  readonly progress?: number;
  readonly result?: unknown;
  /** Why the last attempt failed: kept while the task waits for its retry and once it is dead. */
  readonly error?: SerializedError;
  /** When the task reached a final state (Unix ms): the retention index. */
  readonly finishedAt?: number;
  /** Whether the task lives in IndexedDB (true) or only in this runtime's memory. */
  readonly durable: boolean;
}
