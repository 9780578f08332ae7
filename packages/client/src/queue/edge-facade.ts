/**
 * The runtime's edge half: what an `Errand` does with edge tasks (`target: "edge"`), queued
 * requests and the sync state. It holds the {@link EdgeSync} that `createErrand` builds when given
 * `edge`; without one, reads answer empty and writes fail with `no_edge`.
 */

import { ErrandError, ValidationError, type ValidationIssue } from "@errand/core";
import type { EdgeEnqueueOptions } from "../sync/edge-enqueue.ts";
import type { SyncStateDetail } from "../sync/edge-events.ts";
import type { EdgeSync } from "../sync/edge-sync.ts";
import type { OutboxRecord } from "../sync/outbox-record.ts";
import type { OutboxAdded } from "../sync/outbox-store.ts";
import type { QueuedRequest } from "../sync/request-queue.ts";
import type { EnqueueOptions } from "./enqueue-options.ts";

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

  /** The outcome of an edge task, or undefined when `id` is not one (it is a local task then). */
  async result(id: string): Promise<{ value: Promise<unknown> } | undefined> {
    const edge = this.#edge;
    if (edge === undefined || (await edge.get(id)) === undefined) return undefined;
    return { value: edge.result(id) };
  }

  /**
   * Puts one task in the outbox.
   *
   * @throws {ValidationError} naming every local option given (they do not apply at the edge).
   */
  enqueue(type: string, payload: unknown, options: EdgeEnqueueOptions): Promise<OutboxAdded> {
    try {
      refuse(localOptionIssues(options, ""), type);
      return this.#required().enqueue(type, payload, edgeOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Puts a batch in the outbox, all or none.
   *
   * @throws {ValidationError} when the batch mixes local and edge tasks, or names every local
   *   option an item gives.
   */
  enqueueMany(items: readonly EdgeItem[]): Promise<OutboxAdded[]> {
    if (items.some((item) => item?.options?.target !== "edge")) {
      throw new ValidationError("enqueueMany takes local or edge tasks, not both in one call", [
        { path: "items", message: 'must all have target "edge", or none' },
      ]);
    }
    refuse(
      items.flatMap((item, i) => localOptionIssues(item.options ?? {}, `items.${i}.`)),
      "a batch",
    );
    return this.#required().enqueueMany(
      items.map((item) => ({
        type: item.type,
        payload: item.payload,
        options: edgeOptions(item.options as EdgeEnqueueOptions),
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

/** What a local task takes and an edge task does not (its policy is the subscription's). */
const LOCAL_ONLY = ["priority", "onDead", "retry", "timeout", "ttl", "durable", "transfer"] as const;

/** One issue per local-only option set on an edge task's `options` (from untyped callers). */
export function localOptionIssues(options: EnqueueOptions, path: string): ValidationIssue[] {
  return LOCAL_ONLY.filter((name) => (options as Record<string, unknown>)[name] !== undefined).map(
    (name) => ({
      path: `${path}options.${name}`,
      message: 'is a local option: a target: "edge" task takes topic, orderingKey, dedupKey and delay',
    }),
  );
}

function refuse(issues: ValidationIssue[], what: unknown): void {
  if (issues.length === 0) return;
  const summary = issues.map((issue) => `${issue.path} ${issue.message}`).join("; ");
  const subject = typeof what === "string" && what !== "a batch" ? JSON.stringify(what) : "a batch";
  throw new ValidationError(`Cannot enqueue ${subject} for the edge: ${summary}`, issues);
}

function edgeOptions(options: EdgeEnqueueOptions): EdgeEnqueueOptions {
  return {
    target: "edge" as const,
    ...(options.topic === undefined ? {} : { topic: options.topic }),
    ...(options.orderingKey === undefined ? {} : { orderingKey: options.orderingKey }),
    ...(options.dedupKey === undefined ? {} : { dedupKey: options.dedupKey }),
    ...(options.delay === undefined ? {} : { delay: options.delay }),
  };
}
