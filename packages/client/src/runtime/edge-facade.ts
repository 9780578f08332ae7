/**
 * The runtime's edge half: what an `Errand` does with edge tasks (`target: "edge"`), queued
 * requests and the sync state. It holds the {@link EdgeSync} that `createErrand` builds when given
 * `edge`; without one, reads answer empty and writes fail with `no_edge`.
 */

import { ErrandError, ValidationError } from "@errand/core";
import type { EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import type { SyncStateDetail } from "../lifecycle/edge-events.ts";
import type { EnqueueOptions } from "../lifecycle/enqueue-options.ts";
import type { OutboxRecord } from "../lifecycle/outbox-record.ts";
import type { QueuedRequest } from "../requests/request-queue.ts";
import type { OutboxAdded } from "../stores/outbox-store.ts";
import type { EdgeSync } from "./edge-sync.ts";

/** One item of an `enqueueMany` call, as far as the edge reads it. */
interface EdgeItem {
  readonly type: string;
  readonly payload: unknown;
  readonly options?: EnqueueOptions;
}

/** The edge sync of one runtime, if it has one. */
export class EdgeFacade {
  #edge: EdgeSync | undefined;

  attach(edge: EdgeSync): void {
    this.#edge = edge;
  }

  task(id: string): Promise<OutboxRecord | undefined> {
    return this.#edge?.get(id) ?? Promise.resolve(undefined);
  }

  tasks(): Promise<OutboxRecord[]> {
    return this.#edge?.list() ?? Promise.resolve([]);
  }

  state(): SyncStateDetail | undefined {
    return this.#edge?.state;
  }

  resume(): void {
    this.#edge?.resume();
  }

  signOut(): Promise<number> {
    try {
      return this.#required().signOut();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  queueRequest(input: Request | string | URL, init?: RequestInit): Promise<QueuedRequest> {
    try {
      return this.#required().queueRequest(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Cancels an edge task (see {@link EdgeSync.cancel}); undefined when `id` is not one (it is a
   * local task then, or none), or when this runtime has no edge.
   */
  cancel(id: string): Promise<boolean | undefined> {
    return this.#edge?.cancel(id) ?? Promise.resolve(undefined);
  }

  /** The outcome of an edge task, or undefined when `id` is not one (it is a local task then). */
  async result(id: string): Promise<{ value: Promise<unknown> } | undefined> {
    const edge = this.#edge;
    if (edge === undefined || (await edge.get(id)) === undefined) return undefined;
    return { value: edge.result(id) };
  }

  /** Puts one task in the outbox (a local option given is refused there, with the rest). */
  enqueue(type: string, payload: unknown, options: EdgeEnqueueOptions): Promise<OutboxAdded> {
    return this.#required().enqueue(type, payload, options);
  }

  /**
   * Puts a batch in the outbox, all or none.
   *
   * @throws {ValidationError} when the batch mixes local and edge tasks.
   */
  enqueueMany(items: readonly EdgeItem[]): Promise<OutboxAdded[]> {
    if (items.some((item) => item?.options?.target !== "edge")) {
      throw new ValidationError("enqueueMany takes local or edge tasks, not both in one call", [
        { path: "items", message: 'must all have target "edge", or none' },
      ]);
    }
    return this.#required().enqueueMany(
      items.map((item) => ({
        type: item.type,
        payload: item.payload,
        options: item.options as EdgeEnqueueOptions,
      })),
    );
  }

  async close(): Promise<void> {
    await this.#edge?.close();
  }

  #required(): EdgeSync {
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
