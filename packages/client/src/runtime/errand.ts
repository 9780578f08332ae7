/**
 * The public face of a runtime: what `createErrand` resolves with. Type-only; the class behind
 * it (runtime.ts) keeps its wiring to itself.
 */

import type { PayloadOf, ResultOf, TaskMap, TaskType } from "@errand/core";
import type { EnqueueOptions } from "../lifecycle/enqueue-options.ts";
import type { ErrandEventType, EventDetailOf } from "../lifecycle/errand-events.ts";
import type { OutboxRecord } from "../lifecycle/outbox-record.ts";
import type { EdgeTaskEventDetail, EdgeTaskEventType, SyncStateDetail } from "../lifecycle/sync-events.ts";
import type { QueuedRequest } from "../requests/request-queue.ts";
import type {
  EnqueuedHandles,
  EnqueueItem,
  ErrandStats,
  ListFilter,
  TaskHandle,
  TaskInfo,
} from "./runtime-types.ts";

/**
 * A running Errand runtime, made by `createErrand`. Local tasks (run by this browser's workers)
 * and edge tasks (`target: "edge"`, sent through the outbox) are read, awaited, cancelled and
 * listened to through the same calls; a task's view and its events say `where` it runs.
 * Listen with `on(type, listener)` or as an `EventTarget` (`CustomEvent`s whose `detail` is the
 * event's, {@link EventDetailOf}).
 *
 * @example
 * ```ts
 * const errand = await createErrand({ tasks, worker, edge: { url, tokenUrl: "/errand-token" } });
 * const local = await errand.enqueue("resize", { width: 320 });
 * const edge = await errand.enqueue("orders.paid", { orderId: "o-1" }, { target: "edge" });
 * errand.on("task.succeeded", ({ id, where }) => console.log(id, where));
 * for (const task of await errand.list({ state: "pending" })) console.log(task.where, task.id);
 * ```
 */
export interface Errand<M extends TaskMap = TaskMap> extends EventTarget {
  /** This runtime's owner id (in leases and its Web Lock's name). */
  readonly owner: string;

  /**
   * Adds a task. Resolves once it is committed (durable tasks: `durability: "strict"`); calls made
   * together share one transaction. Rejects with a `ValidationError` for bad input, storing nothing.
   * With `target: "edge"` the task goes to the outbox, and on to the edge when the network allows.
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
    options?: EnqueueOptions,
  ): Promise<TaskHandle<ResultOf<M, K>>>;

  /**
   * Adds several tasks in one transaction: all are stored, or (on any bad item or storage error)
   * none. Handles come back in item order, each typed by its item's task type. One call takes
   * local tasks or edge tasks, not both.
   *
   * @example
   * ```ts
   * const [hash, resize] = await errand.enqueueMany([
   *   { type: "hash", payload: { text: "hi" } },
   *   { type: "resize", payload: { width: 320 } },
   * ]);
   * ```
   */
  enqueueMany<const I extends readonly EnqueueItem<M>[] | []>(items: I): Promise<EnqueuedHandles<M, I>>;

  /**
   * A handle to an existing task, local or edge (e.g. after a reload). Given the task's `type`,
   * its result is typed by it, and `result()` rejects with `type_mismatch` when the task is of
   * another type; it rejects with `not_found` when there is no such task.
   *
   * @example
   * ```ts
   * const { url } = await errand.handle(id, "resize").result();
   * ```
   */
  handle<K extends TaskType<M>>(id: string, type?: K): TaskHandle<ResultOf<M, K>>;

  /** Task `id`, local or edge; undefined when there is none. */
  get(id: string): Promise<TaskInfo | undefined>;

  /**
   * Tasks `filter` selects: local ones (durable first, each store in creation order), then the
   * signed-in subject's edge tasks in creation order.
   */
  list(filter?: ListFilter): Promise<TaskInfo[]>;

  /**
   * Cancels a pending or running task (a running attempt's signal aborts, in whichever context
   * runs it). Resolves true when this call cancelled it, false when it was already final.
   *
   * An edge task not sent yet is cancelled at once and never sent. One the edge holds gets a
   * cancel that waits in the outbox, offline too, and goes out before any later task of its
   * ordering key; it resolves true once that cancel is committed, and the task follows the
   * edge's answer: `task.cancelled` (and `result()` rejects with `CancelledError`), or, when the
   * edge had already finished it, the end the edge reports.
   *
   * @throws {ErrandError} `not_found`.
   */
  cancel(id: string): Promise<boolean>;

  /**
   * Moves a dead task back to pending with fresh attempts; a local task keeps its ordering
   * sequence, an edge task its place in the outbox. An edge task the edge holds is replayed
   * there, by an admin (`POST /v1/dead-letters/:id/replay`): here that rejects with
   * `replay_at_edge`.
   *
   * @throws {ErrandError} `not_found`; `invalid_transition` when the task is not dead;
   *   `replay_at_edge`.
   */
  replay(id: string): Promise<void>;

  /**
   * Removes every task in a final `state` (optionally of one `type`), local tasks and the
   * signed-in subject's edge tasks; returns how many.
   */
  purge(filter: { state: "succeeded" | "dead" | "cancelled"; type?: TaskType<M> }): Promise<number>;

  /**
   * Removes final tasks past their retention now, edge tasks and queued requests included; returns
   * how many. It also runs at start and every `sweepMs`.
   */
  sweep(): Promise<number>;

  /** Counts of local tasks per state, the oldest pending one's age, and storage usage, quota and persistence. */
  stats(): Promise<ErrandStats>;

  /**
   * Calls `listener` with the detail of every `edge.*` event; returns the unsubscribe function.
   *
   * @deprecated Listen to the `task.*` events: an edge task fires them too, its detail saying
   * `where: "edge"`. The `edge.*` events go in the next minor release.
   */
  on<T extends EdgeTaskEventType>(type: T, listener: (detail: EdgeTaskEventDetail) => void): () => void;

  /**
   * Calls `listener` with the detail of every `type` event, about local and edge tasks alike;
   * returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const off = errand.on("task.progress", ({ id, progress }) => bar(id).set(progress ?? 0));
   * ```
   */
  on<T extends ErrandEventType>(type: T, listener: (detail: EventDetailOf<T>) => void): () => void;

  /** Stops running (attempts in flight go back to pending), releases the owner lock and closes the database. */
  close(): Promise<void>;

  /** This tab's sync state (online, leading, socket, paused); undefined without an `edge` option. */
  syncState(): SyncStateDetail | undefined;

  /** Pushes again after the sync paused on a refused credential. */
  resumeSync(): void;

  /**
   * Drops the signed-in subject's outbox, queued requests and cached edge results, and forgets
   * its token, so nothing of it is sent under the next user. Returns how many records went.
   */
  signOut(): Promise<number>;

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
  queueRequest(input: Request | string | URL, init?: RequestInit): Promise<QueuedRequest>;

  /**
   * An edge task as the outbox holds it.
   *
   * @deprecated Use {@link Errand.get}, which reads edge tasks too (`where: "edge"`, with their
   * deliveries). Goes in the next minor release.
   */
  edgeTask(id: string): Promise<OutboxRecord | undefined>;

  /**
   * The signed-in subject's edge tasks, as the outbox holds them.
   *
   * @deprecated Use `list({ where: "edge" })`. Goes in the next minor release.
   */
  edgeTasks(): Promise<OutboxRecord[]>;
}
