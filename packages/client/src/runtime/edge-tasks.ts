/**
 * The edge tasks of one sync, as the runtime's calls see them: adding them to the outbox,
 * reading, awaiting, cancelling, replaying and purging them. Moving them to the edge and back is
 * the sync's (edge-sync.ts); this half commits each change and hands it to the sync, which
 * emits its events and wakes the push.
 */

import {
  CancelledError,
  deserializeError,
  ErrandError,
  newTaskId,
  type TaskDef,
  type TaskState,
} from "@errand/core";
import { buildOutboxRecord, type EdgeEnqueueOptions } from "../lifecycle/edge-enqueue.ts";
import {
  type EdgeTaskInfo,
  isFinalOutboxState,
  type OutboxRecord,
  type OutboxState,
  toEdgeInfo,
} from "../lifecycle/outbox-record.ts";
import { ofType } from "../lifecycle/task-outcome.ts";
import type { OutboxAdded, OutboxChange, OutboxStore } from "../stores/outbox-store.ts";
import { coalesce } from "../utils/coalescer.ts";
import type { FinalWaiters } from "../utils/final-waiters.ts";
import type { EdgeSubject } from "./edge-subject.ts";

/** A committed change of an outbox record; `before` undefined for a new one. */
export type EdgeChange = OutboxChange | { readonly before: undefined; readonly after: OutboxRecord };

/** What the edge tasks work with, from their sync. */
export interface EdgeTasksParts {
  readonly store: OutboxStore;
  readonly subject: EdgeSubject;
  readonly defs: { readonly [type: string]: TaskDef | undefined };
  /** The sync's waits for outcomes, notified by `changed` and by other tabs. */
  readonly waiters: FinalWaiters;
  /** Emits the events of committed changes, here and in the other tabs. */
  readonly changed: (changes: readonly EdgeChange[]) => void;
  /** Wakes the push; resolves once a Background Sync the sync asks for is held. */
  readonly wake: () => Promise<void>;
}

/** The outbox's tasks. */
export class EdgeTasks {
  readonly #p: EdgeTasksParts;
  readonly #add: (record: Omit<OutboxRecord, "seq">) => Promise<OutboxAdded>;

  constructor(parts: EdgeTasksParts) {
    this.#p = parts;
    this.#add = coalesce((records: Omit<OutboxRecord, "seq">[]) => parts.store.add(records));
  }

  /**
   * Stores an edge task under the signed-in subject; resolves once committed and, where a
   * service worker answers Background Sync, once the browser holds the sync that drains it.
   * With a dedup key that a task of the subject holds, stores nothing and resolves with that
   * task.
   *
   * @throws {ValidationError} for bad input (nothing stored).
   * @throws {ErrandError} `signed_out` when no subject is known yet (never signed in, or signed out).
   */
  async enqueue(type: string, payload: unknown, options: EdgeEnqueueOptions): Promise<OutboxAdded> {
    const subject = await this.#p.subject.current();
    const record = buildOutboxRecord(type, payload, options, {
      id: newTaskId(),
      now: Date.now(),
      subject,
      defs: this.#p.defs,
    });
    const added = await this.#add(record);
    if (!added.created) return added;
    this.#p.changed([{ before: undefined, after: added.record }]);
    await this.#p.wake();
    return added;
  }

  /**
   * Stores several edge tasks in one transaction: every item is checked first, and one bad item
   * stores none. An item whose dedup key is held answers the holder, as in {@link enqueue}.
   */
  async enqueueMany(
    items: readonly { type: string; payload: unknown; options: EdgeEnqueueOptions }[],
  ): Promise<OutboxAdded[]> {
    const subject = await this.#p.subject.current();
    const now = Date.now();
    const records = items.map((item, i) =>
      buildOutboxRecord(item.type, item.payload, item.options, {
        id: newTaskId(),
        now,
        subject,
        defs: this.#p.defs,
        path: `items.${i}.`,
      }),
    );
    const added = await this.#p.store.add(records);
    const created = added.flatMap((a) => (a.created ? [{ before: undefined, after: a.record }] : []));
    this.#p.changed(created);
    if (created.length > 0) await this.#p.wake();
    return added;
  }

  /**
   * Resolves with an edge task's result once final (rejects when dead or cancelled, and with
   * `type_mismatch` when it is not of `type`).
   */
  result(id: string, type?: string): Promise<unknown> {
    return this.#p.waiters.wait(
      id,
      () => this.#p.store.get(id),
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

  /** Edge task `id` as the outbox holds it. */
  get(id: string): Promise<OutboxRecord | undefined> {
    return this.#p.store.get(id);
  }

  /** Edge task `id` as `get` shows it. */
  async info(id: string): Promise<EdgeTaskInfo | undefined> {
    const record = await this.#p.store.get(id);
    return record === undefined ? undefined : toEdgeInfo(record);
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
    const subject = await this.#p.subject.known();
    if (subject === undefined) return [];
    const records = await (state === undefined
      ? this.#p.store.list(subject)
      : this.#p.store.inState(subject, state));
    return records
      .filter((record) => type === undefined || record.type === type)
      .sort((a, b) => a.seq - b.seq);
  }

  /** {@link list} as `list` shows tasks. */
  async infos(filter: { state?: TaskState; type?: string } = {}): Promise<EdgeTaskInfo[]> {
    return (await this.list(filter)).map(toEdgeInfo);
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
    const { record, change } = await this.#p.store.cancel(id, Date.now());
    if (record === undefined) return undefined;
    if (change !== undefined) {
      this.#p.changed([change]);
      if (change.after.cancel !== undefined) await this.#p.wake();
    }
    return !isFinalOutboxState(record.state);
  }

  /**
   * Replays an edge task that died before the edge took it: back to pending with fresh attempts,
   * pushed again. Resolves undefined when `id` is no edge task here.
   *
   * @throws {ErrandError} `invalid_transition` when the task is not dead; `replay_at_edge` when
   *   the edge holds it (an admin replays its dead letter there).
   */
  async replay(id: string): Promise<true | undefined> {
    const [change] = await this.#p.store.apply([{ id, event: { type: "replay", now: Date.now() } }], true);
    if (change !== undefined) {
      this.#p.changed([change]);
      await this.#p.wake();
      return true;
    }
    const record = await this.#p.store.get(id);
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
    const subject = await this.#p.subject.known();
    if (subject === undefined) return 0;
    const removed = await this.#p.store.purge(subject, filter);
    // The runtime tells the other contexts, once for its tasks and these.
    this.#p.waiters.notifyAll();
    return removed;
  }
}
