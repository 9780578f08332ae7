/**
 * The runtime `createErrand` returns, seen by apps as {@link Errand}. It validates and builds
 * records, coalesces single enqueues into shared strict transactions, keeps ephemeral tasks in
 * memory, emits an event for every transition (and hears other tabs' events on the tab
 * bus), and owns the scheduler, the owner lock and the retention sweep. Edge tasks
 * go to the edge sync when there is one: each call looks for a local task first, then an edge one.
 */

import {
  ErrandError,
  newTaskId,
  type PayloadOf,
  type ResultOf,
  type RetryPolicy,
  serializeError,
  type TaskMap,
  type TaskType,
  ValidationError,
} from "@errand/core";
import type { TabBus } from "../browser/tab-bus.ts";
import type { TabMessage } from "../browser/tab-message.ts";
import type { EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import type { SyncStateDetail } from "../lifecycle/edge-events.ts";
import {
  buildRecord,
  type EnqueueOptions,
  effectivePolicy,
  type LocalEnqueueOptions,
  ownPolicy,
  unstorablePayload,
} from "../lifecycle/enqueue-options.ts";
import type { ErrandEventType, EventDetailOf } from "../lifecycle/errand-events.ts";
import { type DetailData, withRebuiltError } from "../lifecycle/event-error.ts";
import type { EdgeTaskInfo, OutboxRecord } from "../lifecycle/outbox-record.ts";
import { detailOf, eventsFor, type TaskEventDetail, type TaskEventType } from "../lifecycle/task-events.ts";
import { ofType, taskOutcome } from "../lifecycle/task-outcome.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";
import type { QueuedRequest } from "../requests/request-queue.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { StoreSlot } from "../scheduler/scheduler-options.ts";
import { type IdbTaskStore, UnstorableRecord } from "../stores/idb-task-store.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import type { RetentionMs, StoreApplied, StoreFilter, StoreInserted, TaskStore } from "../stores/store.ts";
import { coalesce } from "../utils/coalescer.ts";
import { FinalWaiters } from "../utils/final-waiters.ts";
import type { EdgeSync, SyncEmit } from "./edge-sync.ts";
import type { Errand } from "./errand.ts";
import type { ResolvedOptions } from "./runtime-options.ts";
import {
  type EnqueuedHandles,
  type EnqueueItem,
  type ErrandStats,
  type ListFilter,
  storageEstimate,
  type TaskHandle,
  type TaskInfo,
  toInfo,
} from "./runtime-types.ts";

/** @internal The parts a runtime is built from (see `createErrand`). */
export interface RuntimeParts<M extends TaskMap> {
  readonly tasks: M;
  readonly options: ResolvedOptions;
  readonly policies: { readonly [type: string]: Partial<RetryPolicy> | undefined };
  readonly durable: IdbTaskStore;
  /** Sweeps the sync's stores in the same database, with the tasks even when no `edge` is given. */
  readonly sweepOutbox: (now: number, retention: RetentionMs) => Promise<number>;
  /** This runtime's end of the tab bus, shared with its edge sync; the runtime closes it. */
  readonly bus: TabBus;
  readonly dispose: () => Promise<void>;
}

/** The runtime behind {@link Errand}; its members are documented there. */
export class Runtime<M extends TaskMap> extends EventTarget implements Errand<M> {
  readonly #p: RuntimeParts<M>;
  readonly #memory = new MemoryTaskStore();
  readonly #ephemeralRetry = new Map<string, Partial<RetryPolicy>>();
  readonly #ephemeralTransfer = new Map<string, readonly Transferable[]>();
  readonly #waiters = new FinalWaiters();
  readonly #insert: (record: TaskRecord) => Promise<StoreInserted | Error>;
  #scheduler: Scheduler | undefined;
  #edge: EdgeSync | undefined;
  #closed = false;

  /** @internal `createErrand` builds runtimes; apps never call this. */
  constructor(parts: RuntimeParts<M>) {
    super();
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

  get owner(): string {
    return this.#p.options.ownerId;
  }

  enqueue<K extends TaskType<M>>(
    type: K,
    payload: PayloadOf<M, K>,
    options: EnqueueOptions = {},
  ): Promise<TaskHandle<ResultOf<M, K>>> {
    if (options?.target === "edge") return this.#enqueueEdge(type, payload, options);
    try {
      const record = this.#build(type, payload, options, "");
      const inserted = record.durable
        ? this.#insert(record)
        : this.#memory.insert([record]).then(([one]) => one as StoreInserted);
      return inserted.then((one) => {
        if (one instanceof Error) throw one;
        return this.#accepted([one], options)[0] as TaskHandle<ResultOf<M, K>>;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  enqueueMany<const I extends readonly EnqueueItem<M>[] | []>(items: I): Promise<EnqueuedHandles<M, I>> {
    return this.#enqueueMany(items) as Promise<EnqueuedHandles<M, I>>;
  }

  async #enqueueMany(items: readonly EnqueueItem<M>[]): Promise<TaskHandle[]> {
    if (!Array.isArray(items))
      throw new ValidationError("enqueueMany expects an array", [{ path: "", message: "must be an array" }]);
    if (items.some((item) => item?.options?.target === "edge")) return this.#enqueueManyEdge(items);
    // None is an edge task: every item's options are a local task's.
    const local = (item: EnqueueItem<M> | undefined) => (item?.options ?? {}) as LocalEnqueueOptions;
    const records = items.map((item, i) =>
      this.#build(item?.type, item?.payload, local(item), `items.${i}.`),
    );
    const durable = records.filter((r) => r.durable);
    const stored = durable.length === 0 ? [] : await this.#insertAll(durable, records);
    const ephemeral = await this.#memory.insert(records.filter((r) => !r.durable));
    let d = 0;
    let e = 0;
    const inOrder = records.map((r) => (r.durable ? stored[d++] : ephemeral[e++]) as StoreInserted);
    return inOrder.map((one, i) => this.#accepted([one], local(items[i]))[0] as TaskHandle);
  }

  handle<K extends TaskType<M>>(id: string, type?: K): TaskHandle<ResultOf<M, K>> {
    return { id, created: false, result: () => this.#resultOf(id, type) as Promise<ResultOf<M, K>> };
  }

  async get(id: string): Promise<TaskInfo | undefined> {
    const task = await this.#read(id);
    return task === undefined ? this.#edge?.info(id) : toInfo(task);
  }

  async list(filter: ListFilter = {}): Promise<TaskInfo[]> {
    const { where, state, limit } = filter;
    // Every local state but `sent`, which is an edge task's only.
    const local = where !== "edge" && state !== "sent";
    const [durable, ephemeral, edge] = await Promise.all([
      local ? this.#p.durable.list(filter as StoreFilter) : [],
      local ? this.#memory.list(filter as StoreFilter) : [],
      where === "local" ? [] : (this.#edge?.infos(filter) ?? ([] as EdgeTaskInfo[])),
    ]);
    const all = [...durable.map(toInfo), ...ephemeral.map(toInfo), ...edge];
    return limit === undefined ? all : all.slice(0, limit);
  }

  async cancel(id: string): Promise<boolean> {
    const applied = await this.#change(id, { type: "cancel", now: Date.now() });
    if (!applied.ok) {
      if (applied.error.code === "already_final") return false;
      const edge = applied.error.code === "not_found" ? await this.#edge?.cancel(id) : undefined;
      if (edge !== undefined) return edge;
      throw applied.error;
    }
    return true;
  }

  async replay(id: string): Promise<void> {
    const applied = await this.#change(id, { type: "replay", now: Date.now() });
    if (applied.ok) return;
    if (applied.error.code === "not_found" && (await this.#edge?.replay(id)) !== undefined) return;
    throw applied.error;
  }

  async purge(filter: { state: "succeeded" | "dead" | "cancelled"; type?: TaskType<M> }): Promise<number> {
    if (filter?.state !== "succeeded" && filter?.state !== "dead" && filter?.state !== "cancelled") {
      throw new ValidationError("purge removes final tasks only", [
        { path: "state", message: 'must be "succeeded", "dead" or "cancelled"' },
      ]);
    }
    const removed =
      (await this.#p.durable.purge(filter)) +
      (await this.#memory.purge(filter)) +
      ((await this.#edge?.purge(filter)) ?? 0);
    this.#waiters.notifyAll();
    this.#p.bus.send({ kind: "purged" });
    this.#scheduler?.wake();
    return removed;
  }

  async sweep(): Promise<number> {
    const now = Date.now();
    const { retention } = this.#p.options;
    return (
      (await this.#p.durable.sweep(now, retention)) +
      (await this.#p.sweepOutbox(now, retention)) +
      (await this.#memory.sweep(now, retention))
    );
  }

  async stats(): Promise<ErrandStats> {
    const [durable, ephemeral, storage] = await Promise.all([
      this.#p.durable.counts(),
      this.#memory.counts(),
      storageEstimate(),
    ]);
    const counts = { ...durable.counts };
    for (const [state, n] of Object.entries(ephemeral.counts)) counts[state as QueueState] += n;
    const oldest = Math.min(durable.oldestPendingAt ?? Infinity, ephemeral.oldestPendingAt ?? Infinity);
    return {
      counts,
      oldestPendingAgeMs: Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) : null,
      storage,
    };
  }

  // One body for both of the interface's signatures: each event's detail is its type's.
  on(type: ErrandEventType, listener: (detail: never) => void): () => void {
    const wrapped = (event: Event) => listener((event as CustomEvent).detail as never);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#edge?.close();
    await this.#scheduler?.close();
    // Nothing settles a task here any more: a result() still waiting would wait for ever.
    this.#waiters.rejectAll(closedError());
    this.#p.bus.close();
    await this.#p.dispose();
    this.#memory.close();
  }

  /** @deprecated See {@link Errand.edgeTask}. */
  async edgeTask(id: string): Promise<OutboxRecord | undefined> {
    return this.#edge?.get(id);
  }

  /** @deprecated See {@link Errand.edgeTasks}. */
  async edgeTasks(): Promise<OutboxRecord[]> {
    return (await this.#edge?.list()) ?? [];
  }

  syncState(): SyncStateDetail | undefined {
    return this.#edge?.state;
  }

  resumeSync(): void {
    this.#edge?.resume();
  }

  async signOut(): Promise<number> {
    return this.#requiredEdge().signOut();
  }

  async queueRequest(input: Request | string | URL, init?: RequestInit): Promise<QueuedRequest> {
    return this.#requiredEdge().queueRequest(input, init);
  }

  /** @internal Wires the edge sync (built by `createErrand` when given `edge`). */
  attachEdge(edge: EdgeSync): void {
    this.#edge = edge;
  }

  /** @internal Emits a sync event (the sync hears other tabs' on the bus itself). */
  readonly emitSync: SyncEmit = (type, detail) => {
    this.dispatchEvent(
      new CustomEvent(type, { detail: "error" in detail ? withRebuiltError(detail) : detail }),
    );
  };

  /** @internal Wires the scheduler (built by `createErrand` after the owner lock is held). */
  attach(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  /** @internal The store slots the scheduler claims from. */
  slots(): StoreSlot[] {
    return [
      { store: this.#memory, durable: false },
      { store: this.#p.durable, durable: true },
    ];
  }

  /** @internal The objects to move with this attempt's payload: an ephemeral task's first attempt only. */
  takeTransfer(task: TaskRecord): readonly Transferable[] | undefined {
    const transfer = this.#ephemeralTransfer.get(task.id);
    this.#ephemeralTransfer.delete(task.id);
    return transfer;
  }

  /** @internal The policy a task runs under. */
  policyOf(task: TaskRecord): RetryPolicy {
    return effectivePolicy(
      task,
      ownPolicy(this.#p.policies, task.type),
      task.durable ? undefined : this.#ephemeralRetry.get(task.id),
    );
  }

  /** @internal Emits the events of a committed change. */
  changed(before: TaskRecord | undefined, after: TaskRecord): void {
    for (const type of eventsFor(before, after)) this.emitTask(type, after);
  }

  /** @internal Emits one task event here and, for durable tasks, in every other context. */
  emitTask(
    type: TaskEventType,
    task: TaskRecord,
    extra: { progress?: number; error?: ErrandError } = {},
  ): void {
    const detail = {
      ...detailOf(task),
      ...(extra.progress === undefined ? {} : { progress: extra.progress }),
      ...(extra.error === undefined ? {} : { error: serializeError(extra.error) }),
    };
    this.dispatchEvent(new CustomEvent(type, { detail: withRebuiltError(detail) }));
    if (task.durable) this.#p.bus.send({ kind: "event", type, detail });
    if (task.state === "succeeded" || task.state === "dead" || task.state === "cancelled") {
      this.#waiters.notify(task.id, task);
      // A dead task keeps its retry overrides for a replay.
      if (task.state !== "dead") this.#ephemeralRetry.delete(task.id);
      this.#ephemeralTransfer.delete(task.id);
    }
  }

  /** @internal Emits a storage event. */
  emitStorage(
    type: "storage.versionchange" | "storage.closed" | "storage.error",
    detail: EventDetailOf<typeof type>,
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #build(type: unknown, payload: unknown, options: LocalEnqueueOptions, path: string): TaskRecord {
    if (this.#closed) throw closedError();
    const record = buildRecord(type as string, payload, options, {
      id: newTaskId(),
      now: Date.now(),
      defs: this.#p.tasks,
      policies: this.#p.policies,
      path,
    });
    return record;
  }

  #accepted(inserted: StoreInserted[], options: LocalEnqueueOptions): TaskHandle[] {
    return inserted.map(({ record, created }) => {
      if (created) {
        if (!record.durable && options.retry !== undefined)
          this.#ephemeralRetry.set(record.id, options.retry);
        if (!record.durable && options.transfer !== undefined && options.transfer.length > 0)
          this.#ephemeralTransfer.set(record.id, options.transfer);
        this.emitTask("task.enqueued", record);
        this.#scheduler?.wake();
      }
      return { ...this.handle(record.id), created };
    });
  }

  async #enqueueEdge<R>(type: string, payload: unknown, options: EdgeEnqueueOptions): Promise<TaskHandle<R>> {
    if (this.#closed) throw closedError();
    const { record, created } = await this.#requiredEdge().enqueue(type, payload, options);
    return { ...(this.handle(record.id) as TaskHandle<R>), created };
  }

  async #enqueueManyEdge(items: readonly EnqueueItem<M>[]): Promise<TaskHandle[]> {
    if (items.some((item) => item?.options?.target !== "edge")) {
      throw new ValidationError("enqueueMany takes local or edge tasks, not both in one call", [
        { path: "items", message: 'must all have target "edge", or none' },
      ]);
    }
    const added = await this.#requiredEdge().enqueueMany(
      items.map(({ type, payload, options }) => ({ type, payload, options: options as EdgeEnqueueOptions })),
    );
    return added.map(({ record, created }) => ({ ...this.handle(record.id), created }));
  }

  #requiredEdge(): EdgeSync {
    if (this.#edge === undefined) {
      throw new ErrandError(
        "no_edge",
        "This runtime has no edge: pass createErrand({ edge: { url, tokenUrl } })",
        {
          retryable: false,
        },
      );
    }
    return this.#edge;
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

  async #resultOf(id: string, type: string | undefined): Promise<unknown> {
    if (this.#closed) throw closedError();
    if ((await this.#edge?.get(id)) !== undefined) return this.#edge?.result(id, type);
    if (this.#closed) throw closedError();
    return this.#waiters.wait(id, () => this.#read(id), ofType(type, taskOutcome));
  }

  async #read(id: string): Promise<TaskRecord | undefined> {
    return (await this.#memory.get(id)) ?? (await this.#p.durable.get(id));
  }

  async #change(id: string, event: TaskEvent): Promise<StoreApplied> {
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

  #onRemote(message: TabMessage): void {
    if (this.#closed) return;
    if (message.kind !== "event") {
      this.#waiters.notifyAll();
      return;
    }
    const detail = message.detail as DetailData<TaskEventDetail>;
    // Stopped before its listeners hear it, as a cancel made here is.
    if (message.type === "task.cancelled") this.#scheduler?.stop(detail.id, "cancel");
    this.dispatchEvent(
      new CustomEvent(message.type, {
        detail: withRebuiltError<TaskEventDetail>({ ...detail, remote: true }),
      }),
    );
    const { state } = detail;
    if (state === "succeeded" || state === "dead" || state === "cancelled") this.#waiters.notify(detail.id);
  }
}

function closedError(): ErrandError {
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
