/**
 * The changes waiting for the scheduler's next pass, per store, and when that pass should run:
 * at the end of the turn that queued a change, so the changes of one turn share a transaction;
 * for an attempt's outcome, up to `groupMs` later or when `groupEvery` outcomes wait, whichever
 * comes first, as long as nothing waits for the claim that pass carries (the caller says so). A
 * broker acknowledges in batches for the same reason: a commit costs more than a short task.
 * A mark (an attempt's start) never hurries a pass: it rides with the next one, at most `groupMs`
 * later, and an outcome of its task queued before that pass replaces it.
 */

import type { TaskEvent } from "../lifecycle/transition.ts";
import type { StoreApplied } from "../stores/store.ts";

/** One change to commit and its caller. */
export interface PendingChange {
  readonly change: { id: string; event: TaskEvent };
  readonly kind: ChangeKind;
  resolve(applied: StoreApplied): void;
  reject(error: unknown): void;
  /** Settles the caller's promise without a commit: the change became pointless. */
  drop(): void;
}

/**
 * `outcome`: an attempt's end, which may wait for others; `mark`: a note that may wait for the
 * next pass; `change`: anything else, committed at the end of this turn.
 */
export type ChangeKind = "change" | "outcome" | "mark";

/** How the queue groups outcomes and whom it wakes. */
export interface CommitQueueOptions {
  readonly groupMs: number;
  readonly groupEvery: number;
  /** Whether an outcome may wait for others now (no slot waits for the next claim). */
  mayGroup(): boolean;
  /** Runs a pass, which takes the queued changes. */
  wake(): void;
}

/** Changes per store `S`, waiting for a pass. */
export class CommitQueue<S> {
  readonly #o: CommitQueueOptions;
  readonly #pending = new Map<S, PendingChange[]>();
  /** Outcomes waiting, for `groupEvery`. */
  #outcomes = 0;
  #groupTimer: ReturnType<typeof setTimeout> | undefined;
  #soon = false;

  constructor(options: CommitQueueOptions) {
    this.#o = options;
  }

  /** Whether any change waits. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Queues `change` on `store`; resolves once a pass committed it and `then` ran (before that
   * pass starts the tasks it claimed, so events come in order: a task's `task.failed` before its
   * retry's `task.started`).
   */
  add(
    store: S,
    change: PendingChange["change"],
    then: (applied: StoreApplied) => void,
    kind: ChangeKind,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const queued = this.#pending.get(store) ?? [];
      const outcome = kind === "outcome";
      // The outcome settles the lease: the start mark of its attempt would only cost a write.
      const mark = outcome
        ? queued.findIndex((one) => one.kind === "mark" && one.change.id === change.id)
        : -1;
      if (mark >= 0) queued.splice(mark, 1)[0]?.drop();
      queued.push({
        change,
        kind,
        drop: resolve,
        resolve: (applied) => {
          try {
            then(applied);
            resolve();
          } catch (error) {
            reject(error);
          }
        },
        reject,
      });
      this.#pending.set(store, queued);
      if (kind === "mark") {
        this.#groupSoon();
        return;
      }
      if (outcome) this.#outcomes += 1;
      if (outcome && this.#outcomes < this.#o.groupEvery && this.#o.mayGroup()) {
        this.#groupSoon();
        return;
      }
      if (this.#soon) return;
      this.#soon = true;
      queueMicrotask(() => {
        this.#soon = false;
        this.#o.wake();
      });
    });
  }

  /** Wakes a pass `groupMs` from the first change that waits for it. */
  #groupSoon(): void {
    this.#groupTimer ??= setTimeout(() => {
      this.#groupTimer = undefined;
      this.#o.wake();
    }, this.#o.groupMs);
  }

  /** Takes the changes waiting on `store`, for the pass that commits them. */
  take(store: S): PendingChange[] {
    const changes = this.#pending.get(store) ?? [];
    this.#pending.delete(store);
    if (this.#pending.size === 0) {
      this.#outcomes = 0;
      clearTimeout(this.#groupTimer);
      this.#groupTimer = undefined;
    }
    return changes;
  }
}
