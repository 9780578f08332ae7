/**
 * The policy above the stores: when to claim, how many, what to run, and what an outcome
 * means. A pass claims up to `executor.freeSlots + window` tasks (`window`: the `prefetch`
 * option, or sized from measured attempt and commit times by {@link WindowSize}), starts as many
 * as slots are free and keeps the rest in a {@link ClaimWindow}, which starts them as slots free
 * (on `onSlotFree`) without another transaction. A window far over its target (the automatic
 * one shrinks when attempts get longer) hands its tail back, so a later higher-priority task
 * waits for a slot, not for the whole window. Every task held, waiting or running, has a lease
 * renewed every third of `leaseMs`, all in one pass; every outcome is committed with the
 * attempt's fencing token,
 * so a late completion from an owner that lost its lease changes nothing. It never knows which
 * executor runs the work.
 *
 * One pass is one transaction per store: the outcomes and heartbeats gathered since the last
 * pass, then the claim that refills the window. While the window holds work for the slots,
 * outcomes wait for each other (up to `commitMs`, or `commitEvery` of them) to share one commit;
 * when a slot waits for work, an outcome and the claim it needs commit at once. The app hears of
 * an outcome (events, `result()`) only after its commit.
 *
 * Looking for other owners' lapsed leases reads every running task, this context's own too, so
 * a pass looks only when one it saw may have lapsed, and otherwise at most every
 * {@link RESCUE_LOOK_MS}: a lease taken after the last look, or an owner that died since, is
 * taken over at most that much later than a look on every pass would.
 */

import { CancelledError, ErrandError } from "@errand/core";
import type { TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";
import type { Committed, StoreApplied } from "../stores/store.ts";
import { type Attempt, type AttemptScope, type Held, runAttempt } from "./attempt-run.ts";
import { ClaimWindow } from "./claim-window.ts";
import { type ChangeKind, CommitQueue } from "./commit-queue.ts";
import { commitSingly } from "./commit-singly.ts";
import type { SchedulerOptions, StoreSlot } from "./scheduler-options.ts";
import { surplus, WindowSize } from "./window-size.ts";

/** Longest time between two looks for lapsed leases while passes run (capped by `pollMs`). */
export const RESCUE_LOOK_MS = 1_000;

/** Claims and runs tasks until closed. */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #attempts = new Map<string, Attempt>();
  readonly #window = new ClaimWindow<Held>();
  readonly #windowSize: WindowSize;
  readonly #scope: AttemptScope;
  /** Tasks handed back whose release has not committed yet: still this context's. */
  readonly #releasing = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Failures reported already ({@link Scheduler.#fail}). */
  readonly #reported = new WeakSet<object>();
  readonly #pending: CommitQueue<StoreSlot>;
  /** Per store: when the next pass must look for lapsed leases. */
  readonly #lookAt = new Map<StoreSlot, number>();
  /** While a pass claims: the tasks stopped meanwhile with no attempt here to stop. */
  #stoppedWhileClaiming: Set<string> | undefined;
  readonly #unsubscribe: () => void;
  /** Renews every lease held here, waiting or running, in one pass every third of `leaseMs`. */
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping = false;
  /** The last pump started (settled when `#pumping` is false). */
  #pumped: Promise<void> = Promise.resolve();
  #again = false;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#windowSize = new WindowSize(options.prefetch);
    this.#scope = {
      options,
      windowSize: this.#windowSize,
      commit: (slot, change, then, kind) => this.#commit(slot, change, then, kind),
    };
    this.#pending = new CommitQueue({
      groupMs: options.commitMs,
      groupEvery: options.commitEvery,
      // While the window feeds the slots, nothing waits for the next claim.
      mayGroup: () => this.#window.size > 0,
      wake: () => this.wake(),
    });
    this.#unsubscribe = options.executor.onSlotFree(() =>
      // After the executor's own bookkeeping: starting from inside its listener would re-enter it.
      queueMicrotask(() => {
        this.#fill();
        // Nothing waiting to start: claim for the slot. A freed slot is usually followed, within
        // the same turn, by its task's outcome: wake after it, so that both share one pass.
        if (this.#o.executor.freeSlots > 0) setTimeout(() => this.wake(), 0);
      }),
    );
    this.#heartbeat = setInterval(() => this.#renewAll(), options.leaseMs / 3);
  }

  /** Runs a claim pass soon (new work, a freed slot, a hint from another tab). */
  wake(): void {
    if (this.#closed && this.#pending.size === 0) return;
    if (this.#pumping) this.#again = true;
    else this.#pumped = this.#pump();
  }

  /**
   * Stops this context's attempt of `id`, if it runs one, because the task was cancelled. A claim
   * pass in flight that took the task before the cancel does not start it. A cancel in another
   * context arrives over the relay, which posts it at once; a start from the window before it
   * arrives runs until its renewal or outcome is refused (see tab-bus.ts).
   */
  stop(id: string, why: "cancel" | "lease"): void {
    // Cancelled or taken over in the store already: nothing to hand back, and it never starts.
    if (this.#window.remove(id) !== undefined) return;
    const attempt = this.#attempts.get(id);
    if (attempt === undefined) {
      this.#stoppedWhileClaiming?.add(id);
      return;
    }
    if (attempt.stoppedBy !== undefined) return;
    attempt.stoppedBy = why;
    attempt.controller.abort(
      why === "cancel"
        ? new CancelledError()
        : new ErrandError("lease_lost", "The lease passed to another owner"),
    );
  }

  /**
   * Stops claiming, aborts running attempts and hands them and the window's tasks back (pending,
   * attempt refunded). Resolves once nothing of this scheduler writes any more: a claim pass in
   * flight hands back what it claims, and the pass that commits those releases and the attempts'
   * own is awaited, so the database can close after it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const waiting of this.#window.drain()) this.#release(waiting);
    for (const attempt of this.#attempts.values()) {
      if (attempt.stoppedBy === undefined) {
        attempt.stoppedBy = "close";
        attempt.controller.abort(new CancelledError("The runtime was closed"));
      }
    }
    for (;;) {
      if (!this.#pumping && this.#inFlight.size === 0) {
        if (this.#pending.size === 0) return;
        this.wake();
      }
      await Promise.allSettled([this.#pumped, ...this.#inFlight]);
    }
  }

  /** Queues `change` for the next pass; `kind` says how long it may wait ({@link ChangeKind}). */
  #commit(
    slot: StoreSlot,
    change: { id: string; event: TaskEvent },
    then: (applied: StoreApplied) => void,
    kind: ChangeKind = "change",
  ): Promise<void> {
    return this.#pending.add(slot, change, then, kind);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    let nextWakeAt = Date.now() + this.#o.pollMs;
    try {
      do {
        this.#again = false;
        for (const slot of this.#o.slots) {
          const wake = await this.#pass(slot);
          if (wake !== undefined) nextWakeAt = Math.min(nextWakeAt, wake);
        }
      } while (this.#again);
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pumping = false;
      if (!this.#closed) {
        this.#timer = setTimeout(() => this.wake(), Math.max(0, nextWakeAt - Date.now()));
      }
    }
  }

  /** One transaction on `slot`: the queued changes, then a claim of the free slots. */
  async #pass(slot: StoreSlot): Promise<number | undefined> {
    this.#trim();
    const changes = this.#pending.take(slot);
    const limit = this.#closed ? 0 : this.#room();
    if (changes.length === 0 && limit <= 0) return undefined;
    const liveness = limit <= 0 ? undefined : await this.#o.liveness();
    // After the lock query: a lease dated before it would be short by the query's time.
    const now = Date.now();
    const lookAt = this.#lookAt.get(slot);
    const look = lookAt === undefined || lookAt <= now;
    const claim =
      liveness === undefined
        ? undefined
        : {
            ...liveness,
            owner: this.#o.owner,
            limit,
            now,
            leaseMs: this.#o.leaseMs,
            maxAttempts: (task: TaskRecord) => this.#o.policyOf(task).maxAttempts,
            rescue: look,
            runs: (id: string) => this.#attempts.has(id) || this.#window.has(id) || this.#releasing.has(id),
          };
    // A cancel can land after the claim took a task and before the task starts (the memory store
    // claims and cancels within one turn of microtasks): its stop finds no attempt, so the pass
    // remembers it and leaves that task unstarted, cancelled in the store already.
    const stopped = new Set<string>();
    if (claim !== undefined) this.#stoppedWhileClaiming = stopped;
    let committed: Committed;
    try {
      const startedAt = performance.now();
      committed = await slot.store.commit(
        changes.map((one) => one.change),
        claim,
      );
      if (slot.durable) this.#windowSize.commit(performance.now() - startedAt);
    } catch (error) {
      // A pass with no changes reports it through the pump.
      if (changes.length === 0) throw error;
      this.#stoppedWhileClaiming = undefined;
      // The attempts wait for their outcomes meanwhile, so their leases are still renewed.
      const failure = await commitSingly(slot.store, changes);
      if (failure !== undefined) this.#fail(failure);
      // The claim failed with the group: claim again.
      if (!this.#closed) this.#again = true;
      return undefined;
    } finally {
      this.#stoppedWhileClaiming = undefined;
    }
    for (const [i, one] of changes.entries()) one.resolve(committed.applied[i] as StoreApplied);
    // The claim could not see what this pass handed back (its reads precede the pass's writes),
    // and no slot frees to wake the scheduler for it: look again at once.
    if (!this.#closed && changes.some((one) => one.change.event.type === "release")) this.#again = true;
    const result = committed.claimed;
    if (result === undefined) return undefined;
    for (const task of result.settled) this.#o.emit("task.dead", task);
    // Closed while this pass claimed: hand the tasks back unstarted, or they would stay running
    // under a lease nobody renews until it lapses (and, on a last attempt, go dead).
    for (const task of result.claimed) {
      if (stopped.has(task.id)) continue;
      const held = this.#hold(slot, task);
      if (this.#closed) this.#release(held);
      else this.#window.add(held);
    }
    this.#fill();
    if (result.claimed.length === limit && this.#room() > 0) this.#again = true;
    if (look) {
      const every = Math.min(this.#o.pollMs, RESCUE_LOOK_MS);
      this.#lookAt.set(slot, Math.min(now + every, result.rescueAt ?? Infinity));
      return result.nextWakeAt;
    }
    // This pass did not look: wake for the next look (the lapse the last look foresaw, or the
    // cadence), so that a runtime going idle now still looks within RESCUE_LOOK_MS.
    return Math.min(result.nextWakeAt ?? Infinity, lookAt ?? Infinity);
  }

  /** How many more tasks a pass may claim: the free slots and the prefetch, less those waiting. */
  #room(): number {
    return Math.max(0, this.#target() - this.#window.size);
  }

  /**
   * How many tasks the window should hold: the free slots and the prefetch. The prefetch is sized
   * for every attempt this context holds, those whose outcome waits for its commit included: with
   * short tasks that count is what a commit carries, and sizing for the executor's slots alone
   * made the window about a tenth as large and halved the durable benchmark's throughput
   * (docs/benchmarks-pool.md).
   */
  #target(): number {
    const free = this.#o.executor.freeSlots;
    return free + this.#windowSize.of(free + this.#attempts.size);
  }

  /** Hands back the window's tail when it holds far more than its target ({@link surplus}). */
  #trim(): void {
    if (this.#closed) return;
    for (const held of this.#window.takeLast(surplus(this.#window.size, this.#target()))) {
      this.#release(held);
    }
  }

  /** A claimed task, as the window keeps it. */
  #hold(slot: StoreSlot, task: TaskRecord): Held {
    return { slot, task, startBy: this.#startBy(slot, task, task.lease?.expiresAt) };
  }

  /**
   * The latest time to start `task` from the window: one renewal period before its lease, renewed
   * until `leaseExpiresAt`, runs out. A first attempt past its TTL is handed back too: pending
   * again, the next pass expires it.
   */
  #startBy(slot: StoreSlot, task: TaskRecord, leaseExpiresAt: number | undefined): number {
    const ttl = task.attempts === 1 ? (task.expiresAt ?? Infinity) : Infinity;
    if (!slot.durable) return ttl;
    return Math.min(ttl, (leaseExpiresAt ?? 0) - this.#o.leaseMs / 3);
  }

  /** Starts waiting tasks while slots are free; hands back those whose lease would lapse first. */
  #fill(): void {
    while (!this.#closed && this.#window.size > 0 && this.#o.executor.freeSlots > 0) {
      const { start, lapsed } = this.#window.next(Date.now());
      for (const held of lapsed) this.#release(held);
      if (start === undefined) return;
      this.#track(this.#run(start));
    }
  }

  /** Gives back a task claimed but never started: pending again, the attempt refunded, no event. */
  #release({ slot, task }: Held): void {
    const event: TaskEvent = { type: "release", token: task.fence, now: Date.now() };
    this.#releasing.add(task.id);
    const released = this.#commit(slot, { id: task.id, event }, () => {});
    this.#track(released.finally(() => this.#releasing.delete(task.id)));
  }

  #track(work: Promise<void>): void {
    const running = work.catch((error: unknown) => this.#fail(error));
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  /** Reports `error` once: the changes of a failed pass share its error object. */
  #fail(error: unknown): void {
    if (typeof error === "object" && error !== null) {
      if (this.#reported.has(error)) return;
      this.#reported.add(error);
    }
    this.#o.failed(error);
  }

  async #run(held: Held): Promise<void> {
    const attempt: Attempt = { held, controller: new AbortController() };
    this.#attempts.set(held.task.id, attempt);
    try {
      await runAttempt(attempt, this.#scope);
    } finally {
      // Only this attempt's entry: a later attempt of the task here may have replaced it.
      if (this.#attempts.get(held.task.id) === attempt) this.#attempts.delete(held.task.id);
    }
  }

  /**
   * Renews, in one pass, the lease of every task held here on a durable store. A waiting task
   * whose renewal is refused (cancelled or taken over elsewhere) leaves the window; a running
   * one is stopped, and its outcome would be refused anyway.
   */
  #renewAll(): void {
    const now = Date.now();
    const running = [...this.#attempts.values()].filter((attempt) => attempt.stoppedBy === undefined);
    for (const held of [...this.#window.entries(), ...running.map((attempt) => attempt.held)]) {
      const { slot, task } = held;
      if (!slot.durable) continue;
      const attempt = this.#attempts.get(task.id);
      const progress = attempt?.progress === undefined ? {} : { progress: attempt.progress };
      const event: TaskEvent = {
        type: "renew",
        token: task.fence,
        now,
        leaseMs: this.#o.leaseMs,
        ...progress,
      };
      const renewed = this.#commit(slot, { id: task.id, event }, (applied) => {
        if (applied.ok) held.startBy = this.#startBy(slot, task, applied.after.lease?.expiresAt);
        else this.stop(task.id, applied.error.details?.state === "cancelled" ? "cancel" : "lease");
      });
      renewed.catch((error: unknown) => this.#fail(error));
    }
  }
}
