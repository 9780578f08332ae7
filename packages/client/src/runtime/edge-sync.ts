/**
 * The sync between this runtime's outbox and the edge: the push loop under the origin's sync
 * lock, the status stream, the pause on a refused credential, events in every tab (over the tab
 * bus), `signOut()` and `queueRequest()`. Its {@link EdgeTasks} are what the runtime's calls
 * read and change; its {@link EdgeSubject} is whose outbox it is. `createErrand` starts one
 * when given `edge`.
 */

import type { TaskDef } from "@errand/core";
import type { TaskView } from "@errand/core/wire";
import { registerBackgroundSync } from "../browser/background-sync.ts";
import { createOnlineManager, type OnlineManager } from "../browser/online-manager.ts";
import type { TabBus } from "../browser/tab-bus.ts";
import type { TabMessage } from "../browser/tab-message.ts";
import { edgeAlias, edgeDetailOf, edgeEventsFor } from "../lifecycle/edge-events.ts";
import type { DetailData } from "../lifecycle/event-error.ts";
import type { SyncStateDetail } from "../lifecycle/sync-events.ts";
import type { TaskEventDetail, TaskEventType } from "../lifecycle/task-events.ts";
import { type DrainResult, OutboxPusher } from "../outbox/outbox-pusher.ts";
import { type PushLoop, startPushLoop } from "../outbox/push-loop.ts";
import { type QueuedRequest, RequestQueue } from "../requests/request-queue.ts";
import type { QueueDb } from "../stores/db.ts";
import { OutboxStore } from "../stores/outbox-store.ts";
import type { EdgeEndpoint } from "../transport/edge-http.ts";
import { startStatusStream } from "../transport/status-stream.ts";
import { createTokenSource, type TokenSource } from "../transport/token-source.ts";
import { FinalWaiters } from "../utils/final-waiters.ts";
import { type EdgeOptions, resolveEdgeOptions, SYNC_TAG } from "./edge-options.ts";
import { EdgeSubject } from "./edge-subject.ts";
import { type EdgeChange, EdgeTasks } from "./edge-tasks.ts";

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

/** A drain that ended paused: the pause it starts. */
type Paused = Extract<DrainResult, { kind: "paused" }>;

/** The sync of one runtime. */
export class EdgeSync {
  /** The outbox's tasks, as the runtime's calls read and change them. */
  readonly tasks: EdgeTasks;
  readonly #store: OutboxStore;
  readonly #tokens: TokenSource;
  readonly #subject: EdgeSubject;
  readonly #online: OnlineManager;
  readonly #ownsOnline: boolean;
  readonly #emit: SyncEmit;
  readonly #bus: TabBus;
  readonly #unlisten: () => void;
  readonly #waiters = new FinalWaiters();
  readonly #requests: RequestQueue;
  readonly #loop: PushLoop;
  /** Whether `#wake` registers a Background Sync. */
  readonly #backgroundSync: boolean;
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
    this.#emit = emit;
    this.#backgroundSync = resolved.backgroundSync;
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
    this.#subject = new EdgeSubject(this.#store, this.#tokens, subject);
    this.tasks = new EdgeTasks({
      store: this.#store,
      subject: this.#subject,
      defs,
      waiters: this.#waiters,
      changed: (changes) => this.#changed(changes),
      wake: () => this.#wake(),
    });
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
  }

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
   * Drops the signed-in subject's outbox, queued requests and cached results, and forgets its
   * token, so nothing of it replays under the next user.
   */
  async signOut(): Promise<number> {
    this.#pause = undefined;
    const subject = await this.#subject.signOut();
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
    const subject = await this.#subject.current();
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
    if (token !== undefined) await this.#subject.learn(token.subject);
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

  #changed(changes: readonly EdgeChange[]): void {
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
      this.#subject.forget();
      this.#waiters.notifyAll();
    }
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
    if (!this.#backgroundSync) return Promise.resolve();
    this.#syncRegistration ??= registerBackgroundSync(SYNC_TAG);
    return this.#syncRegistration;
  }

  #setState(change: Partial<SyncStateDetail>): void {
    const { paused: _paused, ...rest } = { ...this.#state, ...change };
    this.#state = this.#pause === undefined ? rest : { ...rest, paused: this.#pause.reason };
    this.#emit("sync.state", this.#state);
  }
}
