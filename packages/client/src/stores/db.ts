/**
 * The one owner of the queue's IndexedDB database: its name, version, object stores, indexes
 * and upgrades. Nothing else calls `openDB` or names a store or index by string literal outside
 * this schema's types.
 *
 * Indexes, and the question each answers without a scan:
 * - `due` `[state, rank, runAt]`: the next pending tasks, highest priority first, then oldest
 *   `runAt`, then id (UUIDv7, so creation order). The claim walks it one priority group at a time.
 *   Its `state` prefix ({@link stateRange}) also answers counts, `list({ state })`, `purge` and
 *   the running tasks whose lease may have lapsed, so a record carries one index entry for both.
 * - `gate` `[gate, seq]`: the head of an ordering key (its lowest sequence number among tasks that
 *   hold the key back); tasks that do not hold it back have no `gate` and are not in the index.
 * - `dedup` `dedupGate`: the unfinished task holding a dedup key.
 * - `finished` `finishedAt`: what the retention sweep may remove.
 *
 * Version 2 adds the edge sync's stores: `outbox` (edge-bound tasks) and
 * `requests` (queued HTTP requests), each with `subject` `[subject, state]`: a subject's pending
 * records to push, and everything of a subject for `signOut()`; and `syncMeta`, the sync's few
 * named values (the last signed-in subject, so a reload while offline still knows whose outbox
 * new tasks belong to).
 *
 * Version 3 drops the `state` index of version 1: the `due` index's prefix answers its queries,
 * and every enqueue paid for a second index entry.
 *
 * Version 4 lets the sync's stores be swept and deduped without a scan: `outbox` gains `dedup`
 * `[subject, dedupKey]` (the records of a subject carrying a dedup key; those without one are
 * not in it) and `finished` `finishedAt`, and `requests` gains `finished` `finishedAt`, a field
 * that version 4 introduces: the upgrade gives each request already final the `updatedAt` of its
 * last write, which was the one that ended it.
 *
 * Fields no index reads need no version: a task's lease gained `started` and the task
 * `unstartedTakeovers` (an attempt's start mark) without one. Records written before read as a
 * started lease and no takeovers, which is what their writer meant.
 *
 * Version 5 adds `outbox` `cancels` `[subject, cancel.seq]`: a subject's cancels waiting for the
 * edge, in the order they were asked for. Only records with a waiting cancel are in it, so the
 * push leader finds them on every drain without reading the subject's sent tasks.
 */

import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, openDB, type StoreNames } from "idb";
import type { OutboxRecord, OutboxState } from "../lifecycle/outbox-record.ts";
import type { RequestRecord, RequestState } from "../lifecycle/request-record.ts";
import type { QueueState } from "../lifecycle/task-record.ts";
import { toStorageError } from "./storage-error.ts";
import type { RetentionMs } from "./store.ts";
import type { StoredTask } from "./stored-task.ts";

/** The schema version this code writes; bump it with a new `upgrade` step. */
export const DB_VERSION = 5;

/** The database schema, typed for idb. */
export interface QueueSchema extends DBSchema {
  tasks: {
    key: string;
    value: StoredTask;
    indexes: {
      due: [QueueState, number, number];
      gate: [string, number];
      dedup: string;
      finished: number;
    };
  };
  /** Named counters: `seq:<orderingKey>` holds the last sequence number given out for that key. */
  counters: { key: string; value: number };
  /** Edge-bound tasks (the sync's outbox). */
  outbox: {
    key: string;
    value: OutboxRecord;
    indexes: {
      subject: [string, OutboxState];
      dedup: [string, string];
      finished: number;
      cancels: [string, number];
    };
  };
  /** Queued HTTP requests (`queueRequest`). */
  requests: {
    key: string;
    value: RequestRecord;
    indexes: { subject: [string, RequestState]; finished: number };
  };
  /** The sync's named values. */
  syncMeta: { key: string; value: unknown };
}

/** Every key of the `due` index whose task is in `state`. */
export function stateRange(state: QueueState): IDBKeyRange {
  return IDBKeyRange.bound([state, -Infinity, -Infinity], [state, Infinity, Infinity]);
}

/** An open queue database. */
export type QueueDb = IDBPDatabase<QueueSchema>;

/** What the database tells its opener after it is open. */
export interface DbListeners {
  /** Another context wants a newer version: this connection has been closed to let it proceed. */
  onVersionChange(newVersion: number | null): void;
  /** The browser closed the connection (storage cleared, disk error). */
  onTerminated(): void;
}

/**
 * Opens (creating or upgrading) the queue database `name`.
 *
 * @throws {StorageError} `upgrade_blocked` when an open connection of an older version (another
 *   tab) does not close; the open is abandoned, and a connection that still arrives later is
 *   closed at once. Other failures map through {@link toStorageError}.
 */
export async function openQueueDb(name: string, listeners: DbListeners): Promise<QueueDb> {
  let rejectBlocked: (reason: unknown) => void = () => {};
  let abandoned = false;
  const blocked = new Promise<never>((_, reject) => {
    rejectBlocked = reject;
  });
  const opening = openDB<QueueSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        const tasks = db.createObjectStore("tasks", { keyPath: "id" });
        tasks.createIndex("due", ["state", "rank", "runAt"]);
        tasks.createIndex("gate", ["gate", "seq"]);
        tasks.createIndex("dedup", "dedupGate");
        tasks.createIndex("finished", "finishedAt");
        db.createObjectStore("counters");
      }
      if (oldVersion < 2) {
        db.createObjectStore("outbox", { keyPath: "id" }).createIndex("subject", ["subject", "state"]);
        db.createObjectStore("requests", { keyPath: "id" }).createIndex("subject", ["subject", "state"]);
        db.createObjectStore("syncMeta");
      }
      if (oldVersion >= 1 && oldVersion < 3) transaction.objectStore("tasks").deleteIndex("state");
      if (oldVersion < 4) {
        const outbox = transaction.objectStore("outbox");
        outbox.createIndex("dedup", ["subject", "dedupKey"]);
        outbox.createIndex("finished", "finishedAt");
        const requests = transaction.objectStore("requests");
        requests.createIndex("finished", "finishedAt");
        if (oldVersion >= 2)
          stampFinishedRequests(requests).catch(() => {
            try {
              transaction.abort();
            } catch {
              // Already aborted by the request that failed: the open fails either way.
            }
          });
      }
      if (oldVersion < 5) transaction.objectStore("outbox").createIndex("cancels", ["subject", "cancel.seq"]);
    },
    blocked(currentVersion) {
      abandoned = true;
      rejectBlocked(
        toStorageError(
          new DOMException(
            `version ${currentVersion} is open elsewhere and does not close`,
            "UpgradeBlocked",
          ),
          `Opening ${name}`,
        ),
      );
    },
    blocking(_currentVersion, blockedVersion, event) {
      // A newer runtime in another tab needs the database: step aside rather than block it
      // forever, and let the app tell the person to reload this tab.
      (event.target as IDBDatabase).close();
      listeners.onVersionChange(blockedVersion);
    },
    terminated() {
      listeners.onTerminated();
    },
  });
  try {
    return await Promise.race([opening, blocked]);
  } catch (error) {
    if (abandoned)
      void opening.then(
        (late) => late.close(),
        () => {},
      );
    throw toStorageError(error, `Opening ${name}`);
  }
}

/**
 * Gives each final request of an older schema the `finishedAt` that version 4 adds, so the sweep
 * finds it. Its caller aborts the upgrade when this fails: the open fails, and nothing stays
 * half-upgraded.
 */
async function stampFinishedRequests(
  requests: IDBPObjectStore<QueueSchema, ArrayLike<StoreNames<QueueSchema>>, "requests", "versionchange">,
): Promise<void> {
  let cursor = await requests.openCursor();
  while (cursor !== null) {
    const request = cursor.value;
    if (request.state !== "pending" && request.finishedAt === undefined)
      void cursor.update({ ...request, finishedAt: request.updatedAt });
    cursor = await cursor.continue();
  }
}

/** The stores whose final records carry `finishedAt` under a `finished` index. */
export type FinishingStore = "tasks" | "outbox" | "requests";

/**
 * Removes, in one relaxed transaction, the final records of `stores` whose state's retention has
 * passed since `finishedAt`; returns how many. Only final records are in a `finished` index.
 */
export async function sweepFinished(
  db: QueueDb,
  stores: readonly FinishingStore[],
  now: number,
  retention: RetentionMs,
): Promise<number> {
  const tx = db.transaction(stores, "readwrite", { durability: "relaxed" });
  const oldest = now - Math.min(retention.succeeded, retention.cancelled, retention.dead);
  let removed = 0;
  for (const name of stores) {
    let cursor = await tx.objectStore(name).index("finished").openCursor(IDBKeyRange.upperBound(oldest));
    while (cursor !== null) {
      const { state, finishedAt } = cursor.value as { state: string; finishedAt: number };
      if (finishedAt + (retention[state as keyof RetentionMs] ?? Infinity) <= now) {
        void cursor.delete();
        removed += 1;
      }
      cursor = await cursor.continue();
    }
  }
  await tx.done;
  return removed;
}
