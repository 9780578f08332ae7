/**
 * Carries a runtime's task events to the other contexts of its database (tabs, workers) over one
 * BroadcastChannel, in batches: everything sent within one microtask goes as one message, so an
 * `enqueueMany` of 10,000 tasks posts once, not 10,000 times. Progress is throttled per task (the
 * latest value wins, at most one per `progressEveryMs`), so a chatty handler cannot flood the
 * channel; any other event flushes the held progress first, so a receiver never sees a task's
 * progress after its completion.
 */

/** One relayed message. */
export type RelayMessage =
  | { readonly kind: "event"; readonly type: string; readonly detail: { readonly id: string } }
  | { readonly kind: "purged" };

/** What goes over the channel: the messages of one flush, in order. */
export interface RelayBatch {
  readonly kind: "batch";
  readonly messages: readonly RelayMessage[];
}

/** The part of a BroadcastChannel the relay posts to. */
export interface RelayChannel {
  postMessage(message: RelayBatch): void;
}

/** Batches and throttles relayed messages. */
export class ChannelRelay {
  readonly #channel: RelayChannel | undefined;
  readonly #progressEveryMs: number;
  #queued: RelayMessage[] = [];
  readonly #progress = new Map<string, RelayMessage>();
  #microtask = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(channel: RelayChannel | undefined, progressEveryMs = 100) {
    this.#channel = channel;
    this.#progressEveryMs = progressEveryMs;
  }

  /** Queues `message`; it goes out at the end of this microtask (progress: within `progressEveryMs`). */
  send(message: RelayMessage): void {
    if (this.#channel === undefined || this.#closed) return;
    if (message.kind === "event" && message.type === "task.progress") {
      this.#progress.set(message.detail.id, message);
      this.#timer ??= setTimeout(() => this.#flush(), this.#progressEveryMs);
      return;
    }
    this.#queued.push(message);
    if (!this.#microtask) {
      this.#microtask = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Sends what is held now and stops relaying. */
  close(): void {
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    this.#microtask = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const messages = [...this.#progress.values(), ...this.#queued];
    this.#progress.clear();
    this.#queued = [];
    if (messages.length > 0 && !this.#closed) this.#channel?.postMessage({ kind: "batch", messages });
  }
}

/** The messages of whatever arrived on the channel (a batch, or nothing the relay sent). */
export function relayedMessages(data: unknown): readonly RelayMessage[] {
  if (typeof data !== "object" || data === null) return [];
  const batch = data as Partial<RelayBatch>;
  return batch.kind === "batch" && Array.isArray(batch.messages) ? batch.messages : [];
}
