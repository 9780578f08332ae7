/**
 * The tab bus: the one BroadcastChannel between the contexts of a database (tabs, workers, the
 * service worker's drain), shared by the runtime (its task events, purges) and the edge sync
 * (edge task events, wake-ups, queued requests, sign-outs). Its channel is injected: a fake in
 * tests, none where the platform has no BroadcastChannel (then nothing goes out or comes in).
 *
 * Messages go in batches: everything sent within one microtask goes as one message, so an
 * `enqueueMany` of 10,000 tasks posts once, not 10,000 times, and at most one message goes per
 * `batchEveryMs`: a runtime starting and finishing short tasks one worker message at a time sent
 * a message per task, which took a tenth of its main thread (each post clones and crosses to the
 * browser process). An event after a quiet moment still goes at the end of its microtask.
 *
 * Order: one queue, flushed in the order messages were sent, so a receiver sees a task's events
 * in the order they happened. Progress is throttled per task (the latest value wins, at most one
 * per `progressEveryMs`, so a chatty handler cannot flood the channel): a new value removes the
 * task's held one and joins the queue's end, after the events sent before it.
 *
 * A final event (`task.succeeded`, `task.dead`, `task.cancelled`) goes at the end of its
 * microtask, never after the batch period: another context may hold the task in its claim window
 * and start it from there without a transaction, and only this message stops it. A start still
 * slips through when it comes before the message arrives (a message hop); that attempt runs until
 * its first renewal or its outcome, which the store refuses (the lease's fencing token), and
 * nothing of it commits.
 */

import type { TabBatch, TabMessage } from "./tab-message.ts";

/** The part of a BroadcastChannel the bus uses. */
export interface TabChannel {
  postMessage(message: TabBatch): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** What hears the bus: the messages of one batch from another context, in order. */
export type TabListener = (messages: readonly TabMessage[]) => void;

/** One context's end of the bus: batches and throttles what it sends, hands on what it hears. */
export class TabBus {
  readonly #channel: TabChannel | undefined;
  readonly #listeners = new Set<TabListener>();
  readonly #progressEveryMs: number;
  /** The messages to post, in the order sent; a task's progress under `progress:<id>`. */
  readonly #queued = new Map<string, TabMessage>();
  /** Keys of the queued messages that are not progress. */
  #sent = 0;
  readonly #batchEveryMs: number;
  #microtask = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When `#timer` fires (Unix ms). */
  #timerAt = 0;
  #lastPost = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(channel: TabChannel | undefined, progressEveryMs = 100, batchEveryMs = 10) {
    this.#channel = channel;
    this.#progressEveryMs = progressEveryMs;
    this.#batchEveryMs = batchEveryMs;
    channel?.addEventListener("message", (event) => {
      const messages = tabMessages(event.data);
      if (messages.length === 0 || this.#closed) return;
      for (const listener of this.#listeners) listener(messages);
    });
  }

  /** Calls `listener` with each batch another context sends; returns the function that stops it. */
  listen(listener: TabListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Queues `message`; it goes out at the end of this microtask, or `batchEveryMs` after the last
   * post if that is later (progress: within `progressEveryMs`).
   */
  send(message: TabMessage): void {
    if (this.#channel === undefined || this.#closed) return;
    if (message.kind === "event" && message.type === "task.progress") {
      const key = `progress:${message.detail.id}`;
      // Deleted first: a Map keeps a key's first place, and this value comes after what was sent since.
      this.#queued.delete(key);
      this.#queued.set(key, message);
      this.#flushIn(this.#progressEveryMs);
      return;
    }
    this.#sent += 1;
    this.#queued.set(String(this.#sent), message);
    const final = message.kind === "event" && FINAL_EVENTS.has(message.type);
    this.#flushIn(final ? 0 : this.#lastPost + this.#batchEveryMs - Date.now());
  }

  #flushIn(ms: number): void {
    if (ms <= 0) {
      if (!this.#microtask) {
        this.#microtask = true;
        queueMicrotask(() => this.#flush());
      }
      return;
    }
    const at = Date.now() + ms;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#flush(), ms);
  }

  /** Sends what is held now, stops sending and hearing, and closes the channel. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#listeners.clear();
    this.#channel?.close();
  }

  #flush(): void {
    this.#microtask = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const messages = [...this.#queued.values()];
    this.#queued.clear();
    if (messages.length === 0 || this.#closed) return;
    this.#lastPost = Date.now();
    this.#channel?.postMessage({ kind: "batch", messages });
  }
}

/** Events after which a task never runs again (unless replayed), which go out at once. */
const FINAL_EVENTS = new Set(["task.succeeded", "task.dead", "task.cancelled"]);

/** The messages of whatever arrived on the channel (a batch, or nothing a bus sent). */
export function tabMessages(data: unknown): readonly TabMessage[] {
  if (typeof data !== "object" || data === null) return [];
  const batch = data as Partial<TabBatch>;
  return batch.kind === "batch" && Array.isArray(batch.messages) ? batch.messages : [];
}

/** The bus of database `dbName`'s contexts, over a BroadcastChannel where there is one. */
export function openTabBus(dbName: string): TabBus {
  return new TabBus(
    typeof BroadcastChannel === "function" ? new BroadcastChannel(`errand:${dbName}`) : undefined,
  );
}
