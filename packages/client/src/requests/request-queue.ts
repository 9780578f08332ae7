/**
 * `queueRequest()`: HTTP requests kept in IndexedDB while offline and replayed by the push
 * leader with the outbox's rules (request-replay.ts), their final response kept for the caller.
 * Unlike Workbox's queue, the caller gets the response back (workbox#2714), a 5xx is retried,
 * not counted as delivered (workbox#2599), and a failing request blocks no other.
 */

import { type Backoff, newTaskId, ValidationError } from "@errand/core";
import type { OutboxStore } from "../stores/outbox-store.ts";
import type { RequestLimits } from "../utils/deadline.ts";
import type { FinalWaiters } from "../utils/final-waiters.ts";
import { replayRequests, toResponse } from "./request-replay.ts";

/** What `queueRequest` returns. */
export interface QueuedRequest {
  readonly id: string;
  /**
   * The final response, once there is one: the `2xx`, or the `4xx` that ended the request (check
   * `ok`). Never a `5xx`: those are retried.
   */
  response(): Promise<Response>;
}

/** What the queue works with; each replay ends by `timeoutMs`, or when `signal` aborts. */
export type RequestQueueParts = RequestLimits & {
  readonly fetch: typeof fetch;
  readonly backoff: Backoff;
  readonly changed: (id: string) => void;
};

/** The queue of one runtime. */
export class RequestQueue {
  readonly #store: OutboxStore;
  readonly #ctx: RequestQueueParts;

  constructor(store: OutboxStore, ctx: RequestQueueParts) {
    this.#store = store;
    this.#ctx = ctx;
  }

  /**
   * Stores the request (method, URL, headers, body); resolves with its id once committed.
   *
   * @throws {ValidationError} for a URL that is not http(s), or a streamed body that cannot be read.
   */
  async add(subject: string, input: Request | string | URL, init?: RequestInit): Promise<string> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ValidationError("queueRequest takes http(s) URLs", [
        { path: "url", message: "must be http(s)" },
      ]);
    }
    const body =
      request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    const now = Date.now();
    const stored = await this.#store.addRequest({
      id: newTaskId(),
      subject,
      method: request.method,
      url: url.toString(),
      headers: [...request.headers],
      ...(body === undefined || body.byteLength === 0 ? {} : { body }),
      state: "pending",
      attempts: 0,
      runAt: now,
      createdAt: now,
      updatedAt: now,
    });
    return stored.id;
  }

  /** Replays the subject's due requests; returns the next retry time, if any. */
  replay(subject: string): Promise<number | undefined> {
    return replayRequests(this.#store, subject, {
      ...(this.#ctx.timeoutMs === undefined ? {} : { timeoutMs: this.#ctx.timeoutMs }),
      ...(this.#ctx.signal === undefined ? {} : { signal: this.#ctx.signal }),
      fetch: this.#ctx.fetch,
      now: Date.now,
      backoff: this.#ctx.backoff,
      changed: (record) => this.#ctx.changed(record.id),
    });
  }

  /** The final response of request `id`. */
  response(id: string, waiters: FinalWaiters): Promise<Response> {
    return waiters.wait(
      id,
      () => this.#store.getRequest(id),
      (record) =>
        record.state === "pending" || record.response === undefined
          ? { done: false }
          : { done: true, value: toResponse(record.response) },
    );
  }
}
