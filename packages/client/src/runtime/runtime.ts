/**
 * The runtime `createErrand` returns: the public face of the queue. It validates and builds
 * records, coalesces single enqueues into shared strict transactions, keeps ephemeral tasks in
 * memory, emits an event for every transition (and relays other tabs' events over a
 * BroadcastChannel), and owns the scheduler, the owner lock and the retention sweep.
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
import { ChannelRelay, type RelayMessage, relayedMessages } from "../browser/channel-relay.ts";
import type { EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import type { EdgeTaskEventDetail, SyncEventType, SyncStateDetail } from "../lifecycle/edge-events.ts";
import {
  buildRecord,
  type EnqueueOptions,
  effectivePolicy,
  type LocalEnqueueOptions,
  ownPolicy,
  unstorablePayload,
} from "../lifecycle/enqueue-options.ts";
import { type DetailData, withRebuiltError } from "../lifecycle/event-error.ts";
import type { OutboxRecord } from "../lifecycle/outbox-record.ts";
import {
  detailOf,
  type ErrandEventType,
  type EventDetailOf,
  eventsFor,
  type TaskEventDetail,
  type TaskEventType,
} from "../lifecycle/task-events.ts";
import { taskOutcome } from "../lifecycle/task-outcome.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import type { TaskEvent } from "../lifecycle/transition.ts";
import type { QueuedRequest } from "../requests/request-queue.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { StoreSlot } from "../scheduler/scheduler-options.ts";
import { type IdbTaskStore, UnstorableRecord } from "../stores/idb-task-store.ts";
import { MemoryTaskStore } from "../stores/memory-store.ts";
import type { ListFilter, RetentionMs, StoreApplied, StoreInserted, TaskStore } from "../stores/store.ts";
import { coalesce } from "../utils/coalescer.ts";
import { FinalWaiters } from "../utils/final-waiters.ts";
import { EdgeFacade } from "./edge-facade.ts";
import type { EdgeSync } from "./edge-sync.ts";
import type { ResolvedOptions } from "./runtime-options.ts";
import {
  type EnqueueItem,
  type ErrandStats,
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
  readonly channel: BroadcastChannel | undefined;
  readonly dispose: () => Promise<void>;
}

/**
 * A running Errand queue, made by `createErrand` (the package exports this class as a type
 * only). Listen with `on(type, listener)` or as an `EventTarget` (`CustomEvent`s whose `detail`
 * is a {@link TaskEventDetail} or {@link StorageEventDetail}).
 */
export class Errand<M extends TaskMap> extends EventTarget {
  readonly #p: RuntimeParts<M>;
  readonly #memory = new MemoryTaskStore();
  readonly #ephemeralRetry = new Map<string, Partial<RetryPolicy>>();
  readonly #ephemeralTransfer = new Map<string, readonly Transferable[]>();
  readonly #waiters = new FinalWaiters();
  readonly #relay: ChannelRelay;
  readonly #insert: (record: TaskRecord) => Promise<StoreInserted | Error>;
  #scheduler: Scheduler | undefined;
  readonly #edge = new EdgeFacade();
  #closed = false;

  /** @internal `createErrand` builds runtimes; apps never call this. */
  constructor(parts: RuntimeParts<M>) {
    super();
    this.#p = parts;
    this.#insert = coalesce((records: TaskRecord[]) => insertEach(parts.durable, records));
    this.#relay = new ChannelRelay(parts.channel);
    parts.channel?.addEventListener("message", (message: MessageEvent) => {
      const messages = relayedMessages(message.data);
      for (const one of messages) this.#onRemote(one);
      // Anything another context did may free an ordering key or add work: look again.
      if (messages.some((one) => one.kind !== "event" || !QUIET_EVENTS.has(one.type)))
        this.#scheduler?.wake();
    });
  }

  /** This runtime's owner id (in leases and its Web Lock's name). */
  get owner(): string {
    return this.#p.options.ownerId;
  }

  /**
   * Adds a task. Resolves once it is committed (durable tasks: `durability: "strict"`); calls made
   * together share one transaction. Rejects with a `ValidationError` for bad input, storing nothing.
   *
   * @example
   * ```ts
   * const handle = await errand.enqueue("resize", { width: 320 }, { priority: 5, retry: { maxAttempts: 3 } });
   * const { url } = await handle.result();
   * ```
   */
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

  /**
   * Adds several tasks in one transaction: all are stored, or (on any bad item or storage error)
   * none. Handles come back in item order.
   */
  async enqueueMany(items: readonly EnqueueItem<M>[]): Promise<TaskHandle[]> {
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

  /** A handle to an existing task (e.g. after a reload); `result()` rejects with `not_found` if there is none. */
  handle<R = unknown>(id: string): TaskHandle<R> {
    return { id, created: false, result: () => this.#resultOf(id) as Promise<R> };
  }

  async get(id: string): Promise<TaskInfo | undefined> {
    const task = await this.#read(id);
    return task === undefined ? undefined : toInfo(task);
  }

  /** Tasks of both stores, durable first, each in creation order. */
  async list(filter: ListFilter = {}): Promise<TaskInfo[]> {
    const [durable, ephemeral] = await Promise.all([this.#p.durable.list(filter), this.#memory.list(filter)]);
    const all = [...durable, ...ephemeral].map(toInfo);
    return filter.limit === undefined ? all : all.slice(0, filter.limit);
  }

  /**
   * Cancels a pending or running task (a running attempt's signal aborts, in whichever context
   * runs it). Resolves true when this call cancelled it, false when it was already final.
   *
   * An edge task (`target: "edge"`) not sent yet is cancelled at once and never sent. One the
   * edge holds gets a cancel that waits in the outbox, offline too, and goes out before any later
   * task of its ordering key; it resolves true once that cancel is committed, and the task
   * follows the edge's answer: `edge.cancelled` (and `result()` rejects with `CancelledError`),
   * or, when the edge had already finished it, the end the edge reports.
   *
   * @throws {ErrandError} `not_found`.
   */
  async cancel(id: string): Promise<boolean> {
    const applied = await this.#change(id, { type: "cancel", now: Date.now() });
    if (!applied.ok) {
      if (applied.error.code === "already_final") return false;
      if (applied.error.code === "not_found") {
        const edge = await this.#edge.cancel(id);
        if (edge !== undefined) return edge;
      }
      throw applied.error;
    }
    return true;
  }

  /**
   * Moves a dead task back to pending with fresh attempts; it keeps its ordering sequence.
   *
   * @throws {ErrandError} `not_found`, or `invalid_transition` when the task is not dead.
   */
  async replay(id: string): Promise<void> {
    const applied = await this.#change(id, { type: "replay", now: Date.now() });
    if (!applied.ok) throw applied.error;
  }

  /** Removes every task in a final `state` (optionally of one `type`); returns how many. */
  async purge(filter: { state: "succeeded" | "dead" | "cancelled"; type?: TaskType<M> }): Promise<number> {
    if (filter?.state !== "succeeded" && filter?.state !== "dead" && filter?.state !== "cancelled") {
      throw new ValidationError("purge removes final tasks only", [
        { path: "state", message: 'must be "succeeded", "dead" or "cancelled"' },
      ]);
    }
    const removed = (await this.#p.durable.purge(filter)) + (await this.#memory.purge(filter));
    this.#waiters.notifyAll();
    this.#relay.send({ kind: "purged" });
    this.#scheduler?.wake();
    return removed;
  }

  /**
   * Removes final tasks past their retention now, edge tasks and queued requests included; returns
   * how many. It also runs at start and every `sweepMs`.
   */
  async sweep(): Promise<number> {
    const now = Date.now();
    const { retention } = this.#p.options;
    return (
      (await this.#p.durable.sweep(now, retention)) +
      (await this.#p.sweepOutbox(now, retention)) +
      (await this.#memory.sweep(now, retention))
    );
  }

  /** Counts per state, the oldest pending task's age, and storage usage, quota and persistence. */
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

  /** Calls `listener` with the detail of every `type` event; returns the unsubscribe function. */
  on<T extends ErrandEventType>(type: T, listener: (detail: EventDetailOf<T>) => void): () => void {
    const wrapped = (event: Event) => listener((event as CustomEvent<EventDetailOf<T>>).detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  /** Stops running (attempts in flight go back to pending), releases the owner lock and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#edge.close();
    await this.#scheduler?.close();
    // Nothing settles a task here any more: a result() still waiting would wait for ever.
    this.#waiters.rejectAll(closedError());
    this.#relay.close();
    await this.#p.dispose();
    this.#memory.close();
  }

  /** An edge task (`target: "edge"`) as the outbox holds it. */
  edgeTask(id: string): Promise<OutboxRecord | undefined> {
    return this.#edge.task(id);
  }

  /** The signed-in subject's edge tasks. */
  edgeTasks(): Promise<OutboxRecord[]> {
    return this.#edge.tasks();
  }

  /** This tab's sync state (online, leading, socket, paused); undefined without an `edge` option. */
  syncState(): SyncStateDetail | undefined {
    return this.#edge.state();
  }

  /** Pushes again after the sync paused on a refused credential. */
  resumeSync(): void {
    this.#edge.resume();
  }

  /**
   * Drops the signed-in subject's outbox, queued requests and cached edge results, and forgets
   * its token, so nothing of it is sent under the next user. Returns how many records went.
   */
  signOut(): Promise<number> {
    return this.#edge.signOut();
  }

  /**
   * Stores an HTTP request (method, URL, headers, body) and replays it when the network allows:
   * 5xx and network failures are retried, a 4xx ends it; `response()` gives the final response.
   *
   * @example
   * ```ts
   * const queued = await errand.queueRequest("/api/notes", { method: "POST", body: JSON.stringify(note) });
   * const response = await queued.response();
   * ```
   */
  queueRequest(input: Request | string | URL, init?: RequestInit): Promise<QueuedRequest> {
    return this.#edge.queueRequest(input, init);
  }

  /** @internal Wires the edge sync (built by `createErrand` when given `edge`). */
  attachEdge(edge: EdgeSync): void {
    this.#edge.attach(edge);
  }

  /** @internal Emits a sync event (the sync relays other tabs' itself). */
  emitSync(type: SyncEventType, detail: DetailData<EdgeTaskEventDetail> | SyncStateDetail): void {
    this.dispatchEvent(
      new CustomEvent(type, { detail: "error" in detail ? withRebuiltError(detail) : detail }),
    );
  }

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
    if (task.durable) this.#relay.send({ kind: "event", type, detail });
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
    const { record, created } = await this.#edge.enqueue(type, payload, options);
    return { ...this.handle<R>(record.id), created };
  }

  async #enqueueManyEdge(items: readonly EnqueueItem<M>[]): Promise<TaskHandle[]> {
    const added = await this.#edge.enqueueMany(items);
    return added.map(({ record, created }) => ({ ...this.handle(record.id), created }));
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

  async #resultOf(id: string): Promise<unknown> {
    if (this.#closed) throw closedError();
    const edge = await this.#edge.result(id);
    if (edge !== undefined) return edge.value;
    if (this.#closed) throw closedError();
    return this.#waiters.wait(id, () => this.#read(id), taskOutcome);
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

  #onRemote(message: RelayMessage): void {
    if (this.#closed) return;
    if (message.kind === "purged") {
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
