/**
 * The sync between this runtime's outbox and the edge: enqueue of edge tasks, the push loop
 * under the origin's sync lock, the status stream, `handle.result()` for edge tasks, events in
 * every tab, `signOut()` and `queueRequest()`. `createErrand` starts one when given `edge`.
 */

import {
  CancelledError,
  deserializeError,
  ErrandError,
  newTaskId,
  type TaskDef,
  type TaskState,
} from "@errand/core";
import type { TaskView } from "@errand/core/wire";
import { createOnlineManager, type OnlineManager } from "../browser/online-manager.ts";
import type { TabBus } from "../browser/tab-bus.ts";
import type { TabMessage } from "../browser/tab-message.ts";
import { buildOutboxRecord, type EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import { edgeAlias, edgeDetailOf, edgeEventsFor, type SyncStateDetail } from "../lifecycle/edge-events.ts";
import type { DetailData } from "../lifecycle/event-error.ts";
import {
  type EdgeTaskInfo,
  isFinalOutboxState,
  type OutboxRecord,
  type OutboxState,
  toEdgeInfo,
} from "../lifecycle/outbox-record.ts";
import type { TaskEventDetail, TaskEventType } from "../lifecycle/task-events.ts";
import { ofType } from "../lifecycle/task-outcome.ts";
import { type DrainResult, OutboxPusher } from "../outbox/outbox-pusher.ts";
import { type PushLoop, startPushLoop } from "../outbox/push-loop.ts";
import { type QueuedRequest, RequestQueue } from "../requests/request-queue.ts";
import type { QueueDb } from "../stores/db.ts";
import { type OutboxAdded, type OutboxChange, OutboxStore } from "../stores/outbox-store.ts";
import type { EdgeEndpoint } from "../transport/edge-http.ts";
import { startStatusStream } from "../transport/status-stream.ts";
import { createTokenSource, type TokenSource } from "../transport/token-source.ts";
import { within } from "../utils/abortable-wait.ts";
import { coalesce } from "../utils/coalescer.ts";
import { FinalWaiters } from "../utils/final-waiters.ts";
import { type EdgeOptions, resolveEdgeOptions, SYNC_TAG } from "./edge-options.ts";

/**
 * What the sync emits through its runtime: `sync.state`, and each edge task event under its
 * `task.*` name and its deprecated `edge.*` one.
 */
export type SyncEmit = (type: string, detail: DetailData<TaskEventDetail> | SyncStateDetail) => void;

/** What a sync is started with. */
export interface SyncParts {
  /** The open queue database, and its name (which names the origin's sync lock). */
  readonly db: QueueDb;
  readonly dbName: string;
  /** The runtime's end of the tab bus. */
  readonly bus: TabBus;
  readonly options: EdgeOptions;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  readonly emit: SyncEmit;
}

/**
 * How long an enqueue waits for a token to name the subject when one is stored: a token call
 * stalled on a bad network must not hold it, since nothing is committed while it waits and a
 * tab closed meanwhile loses the task.
 */
const STORED_SUBJECT_WAIT_MS = 1_000;

/** A drain that ended paused: the pause it starts. */
type Paused = Extract<DrainResult, { kind: "paused" }>;

/** The sync of one runtime. */
export class EdgeSync {
  readonly #store: OutboxStore;
  readonly #tokens: TokenSource;
  readonly #online: OnlineManager;
  readonly #ownsOnline: boolean;
  readonly #emit: SyncEmit;
  readonly #defs: { readonly [type: string]: TaskDef | undefined };
  readonly #bus: TabBus;
  readonly #unlisten: () => void;
  readonly #waiters = new FinalWaiters();
  readonly #add: (record: Omit<OutboxRecord, "seq">) => Promise<OutboxAdded>;
  readonly #requests: RequestQueue;
  readonly #loop: PushLoop;
  #subject: string | undefined;
  /**
   * The subject of the token asked for at start; enqueues wait for it before trusting the stored
   * one, for at most {@link STORED_SUBJECT_WAIT_MS} when there is one.
   */
  readonly #subjectAtStart: Promise<void>;
  #lastSubject: string | undefined;
  /** The Background Sync asked for this stretch of pending work, while one is. */
  #syncRegistration: Promise<void> | undefined;
  #state: SyncStateDetail;
  /**
   * The pause pushing is in, while it is: why, and whose credential the edge refused when it is
   * about one subject's (a `401`).
   */
  #pause: Paused | undefined;
  /** Aborted by `close()`: ends the requests in flight, so a stalled one cannot hold it up. */
  readonly #closing = new AbortController();

  private constructor(parts: SyncParts, subject: string | undefined) {
    const { db, dbName, bus, options, defs, emit } = parts;
    const resolved = resolveEdgeOptions(options);
    this.#store = new OutboxStore(db);
    this.#defs = defs;
    this.#emit = emit;
    this.#lastSubject = subject;
    const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const limits = { timeoutMs: resolved.requestTimeoutMs, signal: this.#closing.signal };
    this.#tokens = createTokenSource(
      options.getToken === undefined
        ? { tokenUrl: options.tokenUrl ?? "", fetch: doFetch, ...limits }
        : { getToken: options.getToken, ...limits },
    );
    this.#ownsOnline = options.online === undefined;
    this.#online = options.online ?? createOnlineManager();
    this.#state = { online: this.#online.isOnline(), leading: false, connected: false };
    this.#add = coalesce((records: Omit<OutboxRecord, "seq">[]) => this.#store.add(records));
    const edge: EdgeEndpoint = { url: resolved.url, fetch: doFetch, now: Date.now, ...limits };
    const pusher = new OutboxPusher({
      store: this.#store,
      edge,
      tokens: this.#tokens,
      online: this.#online,
      backoff: resolved.backoff,
      concurrency: resolved.concurrency,
      changed: (changes) => this.#changed(changes),
    });
    this.#requests = new RequestQueue(this.#store, {
      ...limits,
      fetch: doFetch,
      backoff: resolved.backoff,
      changed: (id) => {
        this.#waiters.notify(id);
        this.#bus.send({ kind: "request", id });
      },
    });
    this.#bus = bus;
    this.#unlisten = bus.listen((messages) => {
      for (const message of messages) this.#onRemote(message);
    });
    this.#online.subscribe((online) => {
      this.#setState({ online });
      if (online) this.#loop.wake();
    });
    this.#loop = startPushLoop(`errand:${dbName}:sync`, {
      drain: (probe) => this.#drain(pusher, probe),
      lead: () => {
        this.#setState({ leading: true });
        const stop = startStatusStream({
          edge,
          tokens: this.#tokens,
          pollMs: resolved.pollMs,
          checkMs: resolved.checkMs,
          unfinished: async (subject) => (await this.#store.inState(subject, "sent")).map((r) => r.id),
          heard: (views, absent) => this.#heard(views, absent),
          connected: (connected) => this.#setState({ connected }),
        });
        return () => {
          stop();
          this.#setState({ leading: false, connected: false });
        };
      },
      report: (result) => this.#report(result),
      failed: () => {},
    });
    this.backgroundSync = resolved.backgroundSync;
    // Whoever signs in now decides whose outbox new tasks join; the stored subject is only the
    // fallback for a start without network.
    this.#subjectAtStart = this.#tokens.get().then(
      (token) => this.#learnSubject(token.subject),
      () => {},
    );
  }

  /** Whether enqueues register a Background Sync. */
  readonly backgroundSync: boolean;

  /** Starts the sync over an open queue database. */
  static async start(parts: SyncParts): Promise<EdgeSync> {
    resolveEdgeOptions(parts.options);
    const subject = await new OutboxStore(parts.db).lastSubject();
    return new EdgeSync(parts, subject);
  }

  /** This context's sync state. */
  get state(): SyncStateDetail {
    return this.#state;
  }

  /**
   * Stores an edge task under the signed-in subject; resolves once committed and, where a
   * service worker answers Background Sync, once the browser holds the sync that drains it.
   * With a dedup key that a task of the subject holds, stores
   * nothing and resolves with that task.
   *
   * @throws {ValidationError} for bad input (nothing stored).
   * @throws {ErrandError} `signed_out` when no subject is known yet (never signed in, or signed out).
   */
  async enqueue(type: string, payload: unknown, options: EdgeEnqueueOptions): Promise<OutboxAdded> {
    const subject = await this.#currentSubject();
    const record = buildOutboxRecord(type, payload, options, {
      id: newTaskId(),
      now: Date.now(),
      subject,
      defs: this.#defs,
    });
    const added = await this.#add(record);
    if (!added.created) return added;
    this.#changed([{ before: undefined, after: added.record }]);
    await this.#wake();
    return added;
  }

  /**
   * Stores several edge tasks in one transaction: every item is checked first, and one bad item
   * stores none. An item whose dedup key is held answers the holder, as in {@link enqueue}.
   */
  async enqueueMany(
    items: readonly { type: string; payload: unknown; options: EdgeEnqueueOptions }[],
  ): Promise<OutboxAdded[]> {
    const subject = await this.#currentSubject();
    const now = Date.now();
    const records = items.map((item, i) =>
      buildOutboxRecord(item.type, item.payload, item.options, {
        id: newTaskId(),
        now,
        subject,
        defs: this.#defs,
        path: `items.${i}.`,
      }),
    );
    const added = await this.#store.add(records);
    const created = added.flatMap((a) => (a.created ? [{ before: undefined, after: a.record }] : []));
    this.#changed(created);
    if (created.length > 0) await this.#wake();
    return added;
  }

  /**
   * Resolves with an edge task's result once final (rejects when dead or cancelled, and with
   * `type_mismatch` when it is not of `type`).
   */
  result(id: string, type?: string): Promise<unknown> {
    return this.#waiters.wait(
      id,
      () => this.#store.get(id),
      ofType(type, (record: OutboxRecord) => {
        if (record.state === "succeeded") return { done: true, value: record.result };
        if (record.state === "dead")
          return {
            done: true,
            error: record.error
              ? deserializeError(record.error)
              : new ErrandError("dead", `Task ${id} is dead`),
          };
        if (record.state === "cancelled")
          return { done: true, error: new CancelledError(`Task ${id} was cancelled`) };
        return { done: false };
      }),
    );
  }

  get(id: string): Promise<OutboxRecord | undefined> {
    return this.#store.get(id);
  }

  /** An edge task as `get` shows it. */
  async info(id: string): Promise<EdgeTaskInfo | undefined> {
    const record = await this.#store.get(id);
    return record === undefined ? undefined : toEdgeInfo(record);
  }

  /**
   * Cancels an edge task, offline too. One not sent yet ends `cancelled` and is never pushed.
   * For one the edge holds, a cancel is committed to the outbox and goes out as
   * `POST /v1/tasks/:id/cancel` before any later task of its ordering key; the task stays `sent`
   * until the edge answers, then follows the answer: `cancelled`, or as it was when the edge had
   * already finished it (`already_final`), its status stream telling how it ended.
   *
   * Resolves once the cancel is committed: undefined when `id` is no edge task here, false when
   * the task was already final, true otherwise (a second call while its cancel waits too).
   */
  async cancel(id: string): Promise<boolean | undefined> {
    const { record, change } = await this.#store.cancel(id, Date.now());
    if (record === undefined) return undefined;
    if (change !== undefined) {
      this.#changed([change]);
      if (change.after.cancel !== undefined) await this.#wake();
    }
    return !isFinalOutboxState(record.state);
  }

  /**
   * The signed-in subject's edge tasks, in creation order, in `state` and of `type` when given.
   * Like an enqueue, it waits for the token asked for at start and, without network or while
   * that call stalls, falls back to the last subject that signed in (signOut clears it), so a
   * reload while offline still shows the queued outbox.
   */
  async list(filter: { state?: TaskState; type?: string } = {}): Promise<OutboxRecord[]> {
    const { state, type } = filter;
    if (state === "running") return [];
    const subject = await this.#knownSubject();
    if (subject === undefined) return [];
    const records = await (state === undefined
      ? this.#store.list(subject)
      : this.#store.inState(subject, state));
    return records
      .filter((record) => type === undefined || record.type === type)
      .sort((a, b) => a.seq - b.seq);
  }

  /** {@link list} as `list` shows tasks. */
  async infos(filter: { state?: TaskState; type?: string } = {}): Promise<EdgeTaskInfo[]> {
    return (await this.list(filter)).map(toEdgeInfo);
  }

  /**
   * Replays an edge task that died before the edge took it: back to pending with fresh attempts,
   * pushed again. Resolves undefined when `id` is no edge task here.
   *
   * @throws {ErrandError} `invalid_transition` when the task is not dead; `replay_at_edge` when
   *   the edge holds it (an admin replays its dead letter there).
   */
  async replay(id: string): Promise<true | undefined> {
    const [change] = await this.#store.apply([{ id, event: { type: "replay", now: Date.now() } }], true);
    if (change !== undefined) {
      this.#changed([change]);
      await this.#wake();
      return true;
    }
    const record = await this.#store.get(id);
    if (record === undefined) return undefined;
    if (record.state !== "dead") {
      throw new ErrandError("invalid_transition", `Cannot replay task ${id}: it is ${record.state}`, {
        retryable: false,
      });
    }
    throw new ErrandError(
      "replay_at_edge",
      `Task ${id} died at the edge: replay its dead letter there (POST /v1/dead-letters/:id/replay, admin)`,
      { retryable: false, details: { id } },
    );
  }

  /** Removes the signed-in subject's edge tasks in the final `state` (of `type`); returns how many. */
  async purge(filter: { state: OutboxState; type?: string | undefined }): Promise<number> {
    const subject = await this.#knownSubject();
    if (subject === undefined) return 0;
    const removed = await this.#store.purge(subject, filter);
    // The runtime tells the other contexts, once for its tasks and these.
    this.#waiters.notifyAll();
    return removed;
  }

  /**
   * Drops the signed-in subject's outbox, queued requests and cached results, and forgets its
   * token, so nothing of it replays under the next user.
   */
  async signOut(): Promise<number> {
    const subject = this.#subject ?? (await this.#store.lastSubject());
    this.#tokens.clear();
    this.#subject = undefined;
    this.#lastSubject = undefined;
    this.#pause = undefined;
    await this.#store.setLastSubject(undefined);
    const removed = subject === undefined ? 0 : await this.#store.dropSubject(subject);
    this.#waiters.notifyAll();
    this.#bus.send({ kind: "signed-out" });
    return removed;
  }

  /**
   * Stores an HTTP request to send when the network allows (see {@link RequestQueue}), under the
   * signed-in subject, found as for an enqueue: only that subject's token replays it.
   *
   * @throws {ErrandError} `signed_out` when no subject is known yet (never signed in, or signed out).
   */
  async queueRequest(input: Request | string | URL, init?: RequestInit): Promise<QueuedRequest> {
    const subject = await this.#currentSubject();
    const id = await this.#requests.add(subject, input, init);
    await this.#wake();
    return { id, response: () => this.#requests.response(id, this.#waiters) };
  }

  /** Pushing again after a pause (`401` twice, token endpoint refused). */
  resume(): void {
    this.#pause = undefined;
    this.#setState({});
    void this.#wake();
  }

  async close(): Promise<void> {
    this.#closing.abort(new DOMException("The runtime closed", "AbortError"));
    await this.#loop.close();
    this.#unlisten();
    if (this.#ownsOnline) this.#online.close();
  }

  async #drain(pusher: OutboxPusher, probe: boolean): Promise<DrainResult> {
    if (this.#pause !== undefined && !this.#pauseLifted(this.#pause)) return this.#pause;
    const result = await pusher.drain(probe);
    const token = await this.#tokens.get().catch(() => undefined);
    if (token !== undefined) await this.#learnSubject(token.subject);
    // "offline" already means this drain may not send (see OutboxPusher.drain): no replay either.
    if (token === undefined || result.kind === "paused" || result.kind === "offline") return result;
    if (this.#closing.signal.aborted) return result;
    const next = await this.#requests.replay(token.subject);
    if (next === undefined) return result;
    const until = result.kind === "waiting" ? Math.min(result.until, next) : next;
    return { kind: "waiting", until };
  }

  #report(result: DrainResult): void {
    if (result.kind === "idle") this.#syncRegistration = undefined;
    if (result.kind === "paused" && this.#pause === undefined) {
      this.#pause = result;
      this.#setState({});
    }
  }

  /**
   * Ends a pause that was about one subject's credential once the token in hand is another
   * subject's (someone else signed in, e.g. in another tab, and a refresh brought their token):
   * the refusal says nothing about theirs. Only the cached token is read, so a paused drain
   * never asks the token endpoint; a refused token endpoint (no subject) stays paused until
   * `resume()`.
   */
  #pauseLifted({ subject }: Paused): boolean {
    const token = this.#tokens.peek();
    if (subject === undefined || token === undefined || token.subject === subject) return false;
    this.#pause = undefined;
    this.#setState({});
    return true;
  }

  /** One write for a poll's answer: the statuses heard and the ids the edge left out. */
  async #heard(views: readonly TaskView[], absent: readonly string[] = []): Promise<void> {
    const now = Date.now();
    const changes = await this.#store.apply([
      ...views.map((view) => ({ id: view.id, event: { type: "status", now, view } as const })),
      ...absent.map((id) => ({ id, event: { type: "absent", now } as const })),
    ]);
    this.#changed(changes);
  }

  #changed(changes: readonly (OutboxChange | { before: undefined; after: OutboxRecord })[]): void {
    for (const { before, after } of changes) {
      for (const type of edgeEventsFor(before, after)) {
        const detail = edgeDetailOf(after);
        this.#emitTask(type, detail);
        this.#bus.send({ kind: "event", type, detail });
      }
      this.#waiters.notify(after.id);
    }
  }

  #emitTask(type: TaskEventType, detail: DetailData<TaskEventDetail>): void {
    this.#emit(type, detail);
    this.#emit(edgeAlias(type), { ...detail, target: "edge" } as DetailData<TaskEventDetail>);
  }

  #onRemote(message: TabMessage): void {
    if (message.kind === "wake") this.#loop.wake();
    else if (message.kind === "event") {
      // The runtime hears its own tasks' events.
      if (message.detail.where !== "edge") return;
      const detail = message.detail as DetailData<TaskEventDetail>;
      this.#emitTask(message.type as TaskEventType, { ...detail, remote: true });
      this.#waiters.notify(message.detail.id);
    } else if (message.kind === "request") this.#waiters.notify(message.id);
    else if (message.kind === "purged") this.#waiters.notifyAll();
    else if (message.kind === "signed-out") {
      this.#tokens.clear();
      this.#subject = undefined;
      this.#lastSubject = undefined;
      this.#waiters.notifyAll();
    }
  }

  async #learnSubject(subject: string): Promise<void> {
    if (subject === this.#subject) return;
    this.#subject = subject;
    await this.#store.setLastSubject(subject);
  }

  /**
   * The subject whose edge tasks this tab shows: once the token asked for at start named it (or
   * that call stalled or failed), the signed-in one, else the last one that signed in.
   */
  async #knownSubject(): Promise<string | undefined> {
    await this.#waitForToken(this.#subjectAtStart);
    return this.#subject ?? this.#lastSubject ?? (await this.#store.lastSubject());
  }

  async #currentSubject(): Promise<string> {
    const startAnswered = await this.#waitForToken(this.#subjectAtStart);
    if (this.#subject !== undefined) return this.#subject;
    // The start-up call still stalling, a new ask would get that same call (the token source
    // shares a call in flight) and wait for it again: fall back at once.
    const asked = startAnswered ? await this.#askSubject() : undefined;
    const subject = asked ?? this.#lastSubject ?? (await this.#store.lastSubject());
    if (subject === undefined) {
      throw new ErrandError(
        "signed_out",
        "No signed-in subject: edge tasks need a token once before going offline",
        {
          retryable: true,
        },
      );
    }
    this.#subject = subject;
    await this.#store.setLastSubject(subject);
    return subject;
  }

  /** Asks for a token; its subject, or undefined when it failed or stalls past the wait. */
  async #askSubject(): Promise<string | undefined> {
    const asked = this.#tokens.get().then(
      (token) => token.subject,
      () => undefined,
    );
    return (await this.#waitForToken(asked)) ? await asked : undefined;
  }

  /**
   * Waits for a token call; only {@link STORED_SUBJECT_WAIT_MS} when a subject is stored to fall
   * back on (the call's own deadline bounds it otherwise). Resolves with whether it answered; a
   * call that failed rejects, as the start-up call does when storing its subject failed (a full
   * disk must reach the caller, not pass for a missing token).
   */
  async #waitForToken(call: Promise<unknown>): Promise<boolean> {
    const answered =
      this.#lastSubject === undefined ||
      (await within(
        call.then(
          () => true,
          () => true,
        ),
        STORED_SUBJECT_WAIT_MS,
        false,
      ));
    if (answered) await call;
    return answered;
  }

  /**
   * Wakes the push loop and the other tabs and, once per stretch of pending work (the service
   * worker drains everything when it fires), asks for a Background Sync. Resolves once the
   * browser holds that sync, so a tab closed as soon as an enqueue resolved still has its work
   * drained: closing the page while `register()` is in flight drops the registration.
   */
  #wake(): Promise<void> {
    this.#loop.wake();
    this.#bus.send({ kind: "wake" });
    if (!this.backgroundSync) return Promise.resolve();
    this.#syncRegistration ??= registerBackgroundSync();
    return this.#syncRegistration;
  }

  #setState(change: Partial<SyncStateDetail>): void {
    const { paused: _paused, ...rest } = { ...this.#state, ...change };
    this.#state = this.#pause === undefined ? rest : { ...rest, paused: this.#pause.reason };
    this.#emit("sync.state", this.#state);
  }
}

/** Asks the active service worker for a Background Sync; where the API is missing, nothing. */
async function registerBackgroundSync(): Promise<void> {
  const container = globalThis.navigator?.serviceWorker;
  if (container?.controller === null || container?.controller === undefined) return;
  const registration = (await container.ready) as ServiceWorkerRegistration & {
    sync?: { register(tag: string): Promise<void> };
  };
  await registration.sync?.register(SYNC_TAG).catch(() => {});
}
