import { type OnlineManager, readStatusEvent } from "@errand/client";
import type { TaskView } from "@errand/core/wire";
import { type EdgeLink, readTaskViews } from "./edge-link.ts";

const RECONNECT_MS = 2000;
const POLL_MS = 2000;

/** Whether the feed hears the edge live. */
export type FeedState = "connected" | "connecting" | "offline";

/**
 * This page as a live subscriber: a WebSocket to `/v1/events` (a one-use ticket bought with the
 * page's client token) that hears every status change of this subject's edge tasks, with their
 * per-subscription deliveries. Every two seconds, and when asked, it also polls
 * `GET /v1/tasks?ids=…` for the tasks still in motion or not heard of yet (after a reload, or
 * while the socket was down), so nothing depends on having heard every event. It follows the
 * page's online switch: offline, it closes the socket and stops polling.
 *
 * The client runtime keeps an edge task's status and result but not its deliveries, which is
 * what the edge panel shows, hence this feed of the page's own.
 */
export class EdgeFeed {
  readonly #views = new Map<string, TaskView>();
  readonly #heard = new Set<string>();
  readonly #listeners = new Set<() => void>();
  #socket: WebSocket | undefined;
  #state: FeedState = "offline";
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  #polling = false;

  constructor(
    readonly link: EdgeLink,
    readonly online: OnlineManager,
    /** Ids of the edge tasks the page shows. */
    readonly watched: () => Promise<readonly string[]>,
  ) {
    online.subscribe((up) => (up ? this.#connect() : this.#disconnect()));
    setInterval(() => void this.poll(), POLL_MS);
    this.#connect();
  }

  get state(): FeedState {
    return this.#state;
  }

  /** The last view heard of task `id`. */
  view(id: string): TaskView | undefined {
    return this.#views.get(id);
  }

  /** Whether this page heard task `id` over its socket (its live delivery reached this page). */
  heardLive(id: string): boolean {
    return this.#heard.has(id);
  }

  /** Calls `listener` after every change. */
  subscribe(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** Reads the watched tasks that are still in motion or not heard of yet (one read at a time). */
  async poll(): Promise<void> {
    if (!this.online.isOnline() || this.#polling) return;
    this.#polling = true;
    try {
      const ids = (await this.watched()).filter((id) => !settled(this.#views.get(id)));
      if (ids.length === 0) return;
      const { token } = await this.link.token();
      for (let i = 0; i < ids.length; i += 100)
        this.#learn(await readTaskViews(this.link.url, token, ids.slice(i, i + 100)), false);
    } catch {
      // The edge is unreachable: the edge health line says so; the next poll tries again.
    } finally {
      this.#polling = false;
    }
  }

  #connect(): void {
    clearTimeout(this.#reconnect);
    if (this.#socket !== undefined || !this.online.isOnline()) return;
    this.#setState("connecting");
    void this.#open().catch(() => this.#retry());
  }

  async #open(): Promise<void> {
    const { token } = await this.link.token();
    const response = await fetch(new URL("/v1/events/ticket", this.link.url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`ticket: ${response.status}`);
    const { ticket } = (await response.json()) as { ticket: string };
    if (this.#socket !== undefined || !this.online.isOnline()) return;
    const url = new URL("/v1/events", this.link.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      this.#setState("connected");
      void this.poll();
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      const view = readStatusEvent(event.data);
      if (view) this.#learn([view], true);
    });
    socket.addEventListener("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#retry();
    });
  }

  #retry(): void {
    this.#setState(this.online.isOnline() ? "connecting" : "offline");
    clearTimeout(this.#reconnect);
    if (this.online.isOnline()) this.#reconnect = setTimeout(() => this.#connect(), RECONNECT_MS);
  }

  #disconnect(): void {
    clearTimeout(this.#reconnect);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, "offline");
    this.#setState("offline");
  }

  #learn(views: readonly TaskView[], live: boolean): void {
    for (const view of views) {
      this.#views.set(view.id, view);
      if (live) this.#heard.add(view.id);
    }
    this.#changed();
  }

  #setState(state: FeedState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** A task no delivery of which can still change. */
function settled(view: TaskView | undefined): boolean {
  return (
    view !== undefined &&
    view.status !== "accepted" &&
    view.status !== "queued" &&
    view.deliveries.every((delivery) => delivery.status !== "pending")
  );
}
