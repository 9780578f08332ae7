/**
 * The runtime `createErrand` returns, seen by apps as {@link Errand}: an `EventTarget` over two
 * halves, the {@link LocalQueue} (tasks this browser runs) and, with an `edge` option, the
 * {@link EdgeSync} (the outbox and its sync). Each call about one task looks for a local task
 * first, then an edge one; `list`, `purge` and `sweep` take both.
 */

import {
  ErrandError,
  type PayloadOf,
  type ResultOf,
  type RetryPolicy,
  type TaskMap,
  type TaskType,
  ValidationError,
} from "@errand/core";
import type { TabBus } from "../browser/tab-bus.ts";
import type { EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import type { EnqueueOptions, LocalEnqueueOptions } from "../lifecycle/enqueue-options.ts";
import type { ErrandEventType, EventDetailOf } from "../lifecycle/errand-events.ts";
import { withRebuiltError } from "../lifecycle/event-error.ts";
import type { EdgeTaskInfo, OutboxRecord } from "../lifecycle/outbox-record.ts";
import type { SyncStateDetail } from "../lifecycle/sync-events.ts";
import type { QueuedRequest } from "../requests/request-queue.ts";
import type { IdbTaskStore } from "../stores/idb-task-store.ts";
import type { OutboxAdded } from "../stores/outbox-store.ts";
import type { RetentionMs, StoreFilter } from "../stores/store.ts";
import type { EdgeSync, SyncEmit } from "./edge-sync.ts";
import type { Errand } from "./errand.ts";
import { type Added, closedError, LocalQueue } from "./local-queue.ts";
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
  /** @internal The local half, which `createErrand` wires the scheduler to. */
  readonly local: LocalQueue;
  #edge: EdgeSync | undefined;
  #closed = false;

  /** @internal `createErrand` builds runtimes; apps never call this. */
  constructor(parts: RuntimeParts<M>) {
    super();
    this.#p = parts;
    this.local = new LocalQueue({
      defs: parts.tasks,
      policies: parts.policies,
      durable: parts.durable,
      bus: parts.bus,
      dispatch: (type, detail) => this.dispatchEvent(new CustomEvent(type, { detail })),
    });
  }

  get owner(): string {
    return this.#p.options.ownerId;
  }

  async enqueue<K extends TaskType<M>>(
    type: K,
    payload: PayloadOf<M, K>,
    options: EnqueueOptions = {},
  ): Promise<TaskHandle<ResultOf<M, K>>> {
    if (this.#closed) throw closedError();
    const added =
      options?.target === "edge"
        ? addedOf(await this.#requiredEdge().tasks.enqueue(type, payload, options))
        : await this.local.add(type, payload, options as LocalEnqueueOptions);
    return this.#handleOf(added) as TaskHandle<ResultOf<M, K>>;
  }

  enqueueMany<const I extends readonly EnqueueItem<M>[] | []>(items: I): Promise<EnqueuedHandles<M, I>> {
    return this.#enqueueMany(items) as Promise<EnqueuedHandles<M, I>>;
  }

  handle<K extends TaskType<M>>(id: string, type?: K): TaskHandle<ResultOf<M, K>> {
    return { id, created: false, result: () => this.#resultOf(id, type) as Promise<ResultOf<M, K>> };
  }

  async get(id: string): Promise<TaskInfo | undefined> {
    const task = await this.local.read(id);
    return task === undefined ? this.#edge?.tasks.info(id) : toInfo(task);
  }

  async list(filter: ListFilter = {}): Promise<TaskInfo[]> {
    const { where, state, limit } = filter;
    // Every local state but `sent`, which is an edge task's only.
    const [local, edge] = await Promise.all([
      where === "edge" || state === "sent" ? [] : this.local.list(filter as StoreFilter),
      where === "local" ? [] : (this.#edge?.tasks.infos(filter) ?? ([] as EdgeTaskInfo[])),
    ]);
    const all = [...local, ...edge];
    return limit === undefined ? all : all.slice(0, limit);
  }

  async cancel(id: string): Promise<boolean> {
    const applied = await this.local.change(id, { type: "cancel", now: Date.now() });
    if (applied.ok) return true;
    if (applied.error.code === "already_final") return false;
    const edge = applied.error.code === "not_found" ? await this.#edge?.tasks.cancel(id) : undefined;
    if (edge !== undefined) return edge;
    throw applied.error;
  }

  async replay(id: string): Promise<void> {
    const applied = await this.local.change(id, { type: "replay", now: Date.now() });
    if (applied.ok) return;
    if (applied.error.code === "not_found" && (await this.#edge?.tasks.replay(id)) !== undefined) return;
    throw applied.error;
  }

  async purge(filter: { state: "succeeded" | "dead" | "cancelled"; type?: TaskType<M> }): Promise<number> {
    if (filter?.state !== "succeeded" && filter?.state !== "dead" && filter?.state !== "cancelled") {
      throw new ValidationError("purge removes final tasks only", [
        { path: "state", message: 'must be "succeeded", "dead" or "cancelled"' },
      ]);
    }
    const removed = (await this.local.purge(filter)) + ((await this.#edge?.tasks.purge(filter)) ?? 0);
    this.#p.bus.send({ kind: "purged" });
    return removed;
  }

  async sweep(): Promise<number> {
    const now = Date.now();
    const { retention } = this.#p.options;
    return (await this.local.sweep(now, retention)) + (await this.#p.sweepOutbox(now, retention));
  }

  async stats(): Promise<ErrandStats> {
    const [{ counts, oldestPendingAt }, storage] = await Promise.all([
      this.local.counts(),
      storageEstimate(),
    ]);
    return {
      counts,
      oldestPendingAgeMs: oldestPendingAt === undefined ? null : Math.max(0, Date.now() - oldestPendingAt),
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
    await this.local.close();
    this.#p.bus.close();
    await this.#p.dispose();
  }

  /** @deprecated See {@link Errand.edgeTask}. */
  async edgeTask(id: string): Promise<OutboxRecord | undefined> {
    return this.#edge?.tasks.get(id);
  }

  /** @deprecated See {@link Errand.edgeTasks}. */
  async edgeTasks(): Promise<OutboxRecord[]> {
    return (await this.#edge?.tasks.list()) ?? [];
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

  /** @internal Emits a storage event. */
  emitStorage(
    type: "storage.versionchange" | "storage.closed" | "storage.error",
    detail: EventDetailOf<typeof type>,
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  async #enqueueMany(items: readonly EnqueueItem<M>[]): Promise<TaskHandle[]> {
    if (!Array.isArray(items))
      throw new ValidationError("enqueueMany expects an array", [{ path: "", message: "must be an array" }]);
    if (this.#closed) throw closedError();
    const edge = items.some((item) => item?.options?.target === "edge");
    if (edge && items.some((item) => item?.options?.target !== "edge")) {
      throw new ValidationError("enqueueMany takes local or edge tasks, not both in one call", [
        { path: "items", message: 'must all have target "edge", or none' },
      ]);
    }
    // An item may be anything at run time: each half validates what it was given.
    const plain = items.map((item) => ({
      type: item?.type,
      payload: item?.payload,
      options: item?.options ?? {},
    }));
    const added = edge
      ? (await this.#requiredEdge().tasks.enqueueMany(plain as EdgeItem[])).map(addedOf)
      : await this.local.addMany(plain as LocalItem[]);
    return added.map((one) => this.#handleOf(one));
  }

  #handleOf({ id, created }: Added): TaskHandle {
    return { ...this.handle(id), created };
  }

  async #resultOf(id: string, type: string | undefined): Promise<unknown> {
    if (this.#closed) throw closedError();
    if ((await this.#edge?.tasks.get(id)) !== undefined) return this.#edge?.tasks.result(id, type);
    return this.local.result(id, type);
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
}

type EdgeItem = { type: string; payload: unknown; options: EdgeEnqueueOptions };
type LocalItem = { type: string; payload: unknown; options: LocalEnqueueOptions };

function addedOf({ record, created }: OutboxAdded): Added {
  return { id: record.id, created };
}
