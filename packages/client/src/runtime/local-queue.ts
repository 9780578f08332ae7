/**
 * The runtime's local half: the tasks this browser runs. It validates and builds records,
 * coalesces single enqueues into shared strict transactions, keeps ephemeral tasks (and their
 * retry overrides and transferables) in memory, emits an event for every transition, here and
 * on the tab bus, hears other contexts' on it, and answers the scheduler's questions.
 */

import { ErrandError, newTaskId, type RetryPolicy, serializeError, type TaskMap } from "@errand/core";
import type { TabBus } from "../browser/tab-bus.ts";
import type { TabMessage } from "../browser/tab-message.ts";
import {
  buildRecord,
  effectivePolicy,
  type LocalEnqueueOptions,
  ownPolicy,
  unstorablePayload,
} from "../lifecycle/enqueue-options.ts";
import { type DetailData, withRebuiltError } from "../lifecycle/event-error.ts";
import { detailOf, eventsFor, type TaskEventDetail, type TaskEventType } from "../lifecycle/task-events.ts";
import { ofType, taskOutcome } from "../lifecycle/task-outcome.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { StoreSlot } from "../scheduler/scheduler-options.ts";
import { type IdbTaskStore, UnstorableRecord } from "../stores/idb-task-store.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import type {
  RetentionMs,
  StoreApplied,
  StoreCounts,
  StoreFilter,
  StoreInserted,
  TaskStore,
} from "../stores/store.ts";
import { coalesce } from "../utils/coalescer.ts";
import { FinalWaiters } from "../utils/final-waiters.ts";
import { type LocalTaskInfo, toInfo } from "./runtime-types.ts";

/** What the local queue is built from. */
export interface LocalQueueParts {
  readonly defs: TaskMap;
  readonly policies: { readonly [type: string]: Partial<RetryPolicy> | undefined };
  readonly durable: IdbTaskStore;
  readonly bus: TabBus;
  /** Hands an event to the runtime's listeners. */
  readonly dispatch: (type: string, detail: unknown) => void;
}

/** An added task: its id, and whether this call created it (false: a dedup key's holder). */
export interface Added {
  readonly id: string;
  readonly created: boolean;
}

/** The tasks this browser runs, in IndexedDB and in memory. */
export class LocalQueue {
  readonly #p: LocalQueueParts;
  readonly #memory = new MemoryTaskStore();
  readonly #ephemeralRetry = new Map<string, Partial<RetryPolicy>>();
  readonly #ephemeralTransfer = new Map<string, readonly Transferable[]>();
  readonly #waiters = new FinalWaiters();
  readonly #insert: (record: TaskRecord) => Promise<StoreInserted | Error>;
  #scheduler: Scheduler | undefined;
  #closed = false;

  constructor(parts: LocalQueueParts) {
    this.#p = parts;
    this.#insert = coalesce((records: TaskRecord[]) => insertEach(parts.durable, records));
    parts.bus.listen((messages) => {
      // The edge sync hears its own messages (edge task events, wake-ups, requests, sign-outs).
      const local = messages.filter(
        (one) => one.kind === "purged" || (one.kind === "event" && one.detail.where !== "edge"),
      );
      for (const one of local) this.#onRemote(one);
      // Anything another context did may free an ordering key or add work: look again.
      if (local.some((one) => one.kind !== "event" || !QUIET_EVENTS.has(one.type))) this.#scheduler?.wake();
    });
  }

  /**
   * Adds one task. Resolves once it is committed; calls made together share one transaction.
   *
   * @throws {ValidationError} for bad input (nothing stored).
   */
  async add(type: string, payload: unknown, options: LocalEnqueueOptions): Promise<Added> {
    const record = this.#build(type, payload, options, "");
    const one = record.durable
      ? await this.#insert(record)
      : ((await this.#memory.insert([record]))[0] as StoreInserted);
    if (one instanceof Error) throw one;
    return this.#accepted(one, options);
  }

  /**
   * Adds several tasks in one transaction, all or none, in item order.
   *
   * @throws {ValidationError} naming the first bad item (nothing stored).
   */
  async addMany(
    items: readonly { type: string; payload: unknown; options: LocalEnqueueOptions }[],
  ): Promise<Added[]> {
    const records = items.map((item, i) => this.#build(item.type, item.payload, item.options, `items.${i}.`));
    const durable = records.filter((r) => r.durable);
    const stored = durable.length === 0 ? [] : await this.#insertAll(durable, records);
    const ephemeral = await this.#memory.insert(records.filter((r) => !r.durable));
    let d = 0;
    let e = 0;
    const inOrder = records.map((r) => (r.durable ? stored[d++] : ephemeral[e++]) as StoreInserted);
    return inOrder.map((one, i) => this.#accepted(one, (items[i] as (typeof items)[number]).options));
  }

  /** Task `id`, from memory first, then IndexedDB. */
  async read(id: string): Promise<TaskRecord | undefined> {
    return (await this.#memory.get(id)) ?? (await this.#p.durable.get(id));
  }

  /** Tasks of both stores, durable first, each in creation order. */
  async list(filter: StoreFilter): Promise<LocalTaskInfo[]> {
    const [durable, ephemeral] = await Promise.all([this.#p.durable.list(filter), this.#memory.list(filter)]);
    return [...durable.map(toInfo), ...ephemeral.map(toInfo)];
  }

  /** Resolves with task `id`'s outcome once final (`type_mismatch` when it is not of `type`). */
  result(id: string, type: string | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#waiters.wait(id, () => this.read(id), ofType(type, taskOutcome));
  }

  /** Applies a change a person asked for (cancel, replay), strict, and emits its events. */
  async change(id: string, event: TaskEvent): Promise<StoreApplied> {
    const store: TaskStore = (await this.#memory.get(id)) === undefined ? this.#p.durable : this.#memory;
    const [applied] = await store.apply([{ id, event }], true);
    if (applied?.ok) {
      // Stopped before task.cancelled is heard, in the same turn: a listener finds the attempt's
      // signal aborted, and a claim pass that took the task before the cancel never starts it.
      if (applied.after.state === "cancelled") this.#scheduler?.stop(id, "cancel");
      this.changed(applied.before, applied.after);
      this.#scheduler?.wake();
    }
    return applied as StoreApplied;
  }

  /** Removes the tasks in a final `state` (of `type`); returns how many. */
  async purge(filter: { state: QueueState; type?: string }): Promise<number> {
    const removed = (await this.#p.durable.purge(filter)) + (await this.#memory.purge(filter));
    this.#waiters.notifyAll();
    this.#scheduler?.wake();
    return removed;
  }

  /** Removes final tasks past their retention; returns how many. */
  async sweep(now: number, retention: RetentionMs): Promise<number> {
    return (await this.#p.durable.sweep(now, retention)) + (await this.#memory.sweep(now, retention));
  }

  /** Counts per state of both stores, and the oldest pending task's time. */
  async counts(): Promise<StoreCounts> {
    const [durable, ephemeral] = await Promise.all([this.#p.durable.counts(), this.#memory.counts()]);
    const counts = { ...durable.counts };
    for (const [state, n] of Object.entries(ephemeral.counts)) counts[state as QueueState] += n;
    const oldest = Math.min(durable.oldestPendingAt ?? Infinity, ephemeral.oldestPendingAt ?? Infinity);
    return Number.isFinite(oldest) ? { counts, oldestPendingAt: oldest } : { counts };
  }

  /** Stops the scheduler (attempts in flight go back to pending) and every wait for an outcome. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#scheduler?.close();
    // Nothing settles a task here any more: a result() still waiting would wait for ever.
    this.#waiters.rejectAll(closedError());
    this.#memory.close();
  }

  /** Wires the scheduler (built by `createErrand` after the owner lock is held). */
  attach(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  /** The store slots the scheduler claims from. */
  slots(): StoreSlot[] {
    return [
      { store: this.#memory, durable: false },
      { store: this.#p.durable, durable: true },
    ];
  }

  /** The objects to move with this attempt's payload: an ephemeral task's first attempt only. */
  takeTransfer(task: TaskRecord): readonly Transferable[] | undefined {
    const transfer = this.#ephemeralTransfer.get(task.id);
    this.#ephemeralTransfer.delete(task.id);
    return transfer;
  }

  /** The policy a task runs under. */
  policyOf(task: TaskRecord): RetryPolicy {
    return effectivePolicy(
      task,
      ownPolicy(this.#p.policies, task.type),
      task.durable ? undefined : this.#ephemeralRetry.get(task.id),
    );
  }

  /** Emits the events of a committed change. */
  changed(before: TaskRecord | undefined, after: TaskRecord): void {
    for (const type of eventsFor(before, after)) this.emit(type, after);
  }

  /** Emits one task event here and, for durable tasks, in every other context. */
  emit(type: TaskEventType, task: TaskRecord, extra: { progress?: number; error?: ErrandError } = {}): void {
    const detail = {
      ...detailOf(task),
      ...(extra.progress === undefined ? {} : { progress: extra.progress }),
      ...(extra.error === undefined ? {} : { error: serializeError(extra.error) }),
    };
    this.#p.dispatch(type, withRebuiltError(detail));
    if (task.durable) this.#p.bus.send({ kind: "event", type, detail });
    if (task.state === "succeeded" || task.state === "dead" || task.state === "cancelled") {
      this.#waiters.notify(task.id, task);
      // A dead task keeps its retry overrides for a replay.
      if (task.state !== "dead") this.#ephemeralRetry.delete(task.id);
      this.#ephemeralTransfer.delete(task.id);
    }
  }

  #build(type: string, payload: unknown, options: LocalEnqueueOptions, path: string): TaskRecord {
    if (this.#closed) throw closedError();
    return buildRecord(type, payload, options, {
      id: newTaskId(),
      now: Date.now(),
      defs: this.#p.defs,
      policies: this.#p.policies,
      path,
    });
  }

  #accepted({ record, created }: StoreInserted, options: LocalEnqueueOptions): Added {
    if (created) {
      if (!record.durable && options.retry !== undefined) this.#ephemeralRetry.set(record.id, options.retry);
      if (!record.durable && options.transfer !== undefined && options.transfer.length > 0)
        this.#ephemeralTransfer.set(record.id, options.transfer);
      this.emit("task.enqueued", record);
      this.#scheduler?.wake();
    }
    return { id: record.id, created };
  }

  /** Inserts a batch whole; a payload IndexedDB refuses fails it as a ValidationError naming the item. */
  async #insertAll(durable: TaskRecord[], all: TaskRecord[]): Promise<StoreInserted[]> {
    try {
      return await this.#p.durable.insert(durable);
    } catch (error) {
      if (!(error instanceof UnstorableRecord)) throw error;
      const record = durable[error.index] as TaskRecord;
      throw unstorablePayload(record.type, `items.${all.indexOf(record)}.`);
    }
  }

  #onRemote(message: TabMessage): void {
    if (this.#closed) return;
    if (message.kind !== "event") {
      this.#waiters.notifyAll();
      return;
    }
    const detail = message.detail as DetailData<TaskEventDetail>;
    // Stopped before its listeners hear it, as a cancel made here is.
    if (message.type === "task.cancelled") this.#scheduler?.stop(detail.id, "cancel");
    this.#p.dispatch(message.type, withRebuiltError<TaskEventDetail>({ ...detail, remote: true }));
    const { state } = detail;
    if (state === "succeeded" || state === "dead" || state === "cancelled") this.#waiters.notify(detail.id);
  }
}

/** The error of a call made after the runtime closed. */
export function closedError(): ErrandError {
  return new ErrandError("closed", "This Errand runtime is closed", { retryable: false });
}

/** Remote events that cannot have freed a slot, a key or new work: no claim pass for them. */
const QUIET_EVENTS: ReadonlySet<string> = new Set(["task.progress", "task.started"]);

/**
 * Inserts coalesced single enqueues: one transaction for all, and when IndexedDB refuses one
 * payload, that call fails as a ValidationError and the others are inserted without it.
 */
async function insertEach(store: IdbTaskStore, records: TaskRecord[]): Promise<(StoreInserted | Error)[]> {
  const out: (StoreInserted | Error)[] = [];
  let left = records.map((record, at) => ({ record, at }));
  while (left.length > 0) {
    try {
      const inserted = await store.insert(left.map((one) => one.record));
      for (const [k, one] of left.entries()) out[one.at] = inserted[k] as StoreInserted;
      return out;
    } catch (error) {
      if (!(error instanceof UnstorableRecord)) throw error;
      const refused = left[error.index] as { record: TaskRecord; at: number };
      out[refused.at] = unstorablePayload(refused.record.type);
      left = left.filter((one) => one !== refused);
    }
  }
  return out;
}
