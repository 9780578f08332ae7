/**
 * Per-operation transactions over the queue database: each method opens exactly one
 * transaction, does all of its reads and writes in it, and resolves after it committed, so an
 * operation is whole or absent. Policy (when to claim, what to retry) lives above, in the
 * scheduler; state changes come from {@link transition} only.
 *
 * Durability, per write:
 * - `insert` (enqueue), `applyUser` (cancel, replay) and `purge`: `strict`, because the app acts
 *   on their success (it tells a person "saved", drops its own copy) and nothing could redo them.
 * - `claim`, `apply` from the runtime (heartbeats, completions) and `sweep`: `relaxed`. Losing
 *   one in an OS crash or power cut costs a re-run, which at-least-once already allows: a lost
 *   claim leaves the task pending, a lost completion leaves it running under a lease that expires.
 * Chromium's `default` already behaves as `relaxed`: the commit is in the OS's buffers, so a tab
 * or browser crash loses nothing committed, but an OS crash can lose the last moments of
 * relaxed writes.
 */

import { ErrandError, StorageError } from "@errand/core";
import { type IDBPTransaction, unwrap } from "idb";
import { type ClaimRequest, type ClaimResult, claimIn } from "./claim.ts";
import { coalesce } from "./coalescer.ts";
import type { QueueDb, QueueSchema } from "./db.ts";
import { toStorageError } from "./storage-error.ts";
import type {
  Committed,
  ListFilter,
  RetentionMs,
  StoreApplied,
  StoreCounts,
  StoreInserted,
  TaskStore,
} from "./store.ts";
import type { QueueState, TaskRecord } from "./task-record.ts";
import { type TaskEvent, transition } from "./transition.ts";

/** The durable {@link TaskStore}, over one open {@link QueueDb}. */
export class IdbTaskStore implements TaskStore {
  readonly #db: QueueDb;
  readonly #name: string;
  #closedBecause: string | undefined;

  constructor(db: QueueDb, name: string) {
    this.#db = db;
    this.#name = name;
  }

  /** Marks the store closed (the connection is gone); later calls fail with `db_closed`. */
  markClosed(reason: string): void {
    this.#closedBecause ??= reason;
  }

  close(): void {
    this.markClosed("the runtime was closed");
    this.#db.close();
  }

  insert(records: readonly TaskRecord[]): Promise<StoreInserted[]> {
    return this.#run("Enqueueing", async () => {
      const tx = this.#db.transaction(["tasks", "counters"], "readwrite", { durability: "strict" });
      const tasks = tx.objectStore("tasks");
      // The adds go through the raw store: a promise per request would cost more than the write.
      // A failed add aborts the transaction, which `tx.done` reports.
      const rawTasks = unwrap(tasks);
      const counters = tx.objectStore("counters");
      const writes: Promise<unknown>[] = [];
      const results: StoreInserted[] = [];
      for (const record of records) {
        if (record.dedupKey !== undefined) {
          const existing = await tasks.index("dedup").get(record.dedupKey);
          if (existing !== undefined) {
            results.push({ record: existing, created: false });
            continue;
          }
        }
        let stored = record;
        if (record.orderingKey !== undefined) {
          const counter = `seq:${record.orderingKey}`;
          const seq = ((await counters.get(counter)) ?? 0) + 1;
          writes.push(counters.put(seq, counter));
          stored = { ...record, seq };
        }
        rawTasks.add(stored);
        results.push({ record: stored, created: true });
      }
      await Promise.all([...writes, tx.done]);
      return results;
    });
  }

  /** Reads made together share one readonly transaction (a page awaiting 1,000 results reads once). */
  get(id: string): Promise<TaskRecord | undefined> {
    return this.#getOne(id);
  }

  readonly #getOne = coalesce((ids: string[]) =>
    this.#run("Reading tasks", async () => {
      const tx = this.#db.transaction("tasks", "readonly");
      const [found] = await Promise.all([Promise.all(ids.map((id) => tx.store.get(id))), tx.done]);
      return found;
    }),
  );

  list(filter: ListFilter): Promise<TaskRecord[]> {
    return this.#run("Listing tasks", async () => {
      const all =
        filter.state === undefined
          ? await this.#db.getAll("tasks")
          : await this.#db.getAllFromIndex("tasks", "state", filter.state);
      const matching = filter.type === undefined ? all : all.filter((task) => task.type === filter.type);
      return filter.limit === undefined ? matching : matching.slice(0, filter.limit);
    });
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const { claimed } = await this.commit([], request);
    return claimed as ClaimResult;
  }

  apply(changes: readonly { id: string; event: TaskEvent }[], strict = false): Promise<StoreApplied[]> {
    return this.#run("Updating tasks", async () => {
      const tx = this.#db.transaction("tasks", "readwrite", { durability: strict ? "strict" : "relaxed" });
      const [results] = await Promise.all([abortOnError(tx, applyIn(tx.store, changes)), tx.done]);
      return results;
    });
  }

  commit(changes: readonly { id: string; event: TaskEvent }[], claim?: ClaimRequest): Promise<Committed> {
    return this.#run(claim === undefined ? "Updating tasks" : "Claiming tasks", async () => {
      const tx = this.#db.transaction("tasks", "readwrite", { durability: "relaxed" });
      const work = async (): Promise<Committed> => {
        const applied = changes.length === 0 ? [] : await applyIn(tx.store, changes);
        return claim === undefined ? { applied } : { applied, claimed: await claimIn(tx.store, claim) };
      };
      const [committed] = await Promise.all([abortOnError(tx, work()), tx.done]);
      return committed;
    });
  }

  purge(filter: { state: QueueState; type?: string }): Promise<number> {
    return this.#run("Purging tasks", async () => {
      const tx = this.#db.transaction("tasks", "readwrite", { durability: "strict" });
      let removed = 0;
      let cursor = await tx.store.index("state").openCursor(filter.state);
      while (cursor !== null) {
        if (filter.type === undefined || cursor.value.type === filter.type) {
          void cursor.delete();
          removed += 1;
        }
        cursor = await cursor.continue();
      }
      await tx.done;
      return removed;
    });
  }

  sweep(now: number, retention: RetentionMs): Promise<number> {
    return this.#run("Sweeping finished tasks", async () => {
      const tx = this.#db.transaction("tasks", "readwrite", { durability: "relaxed" });
      const oldest = now - Math.min(retention.succeeded, retention.cancelled, retention.dead);
      let removed = 0;
      let cursor = await tx.store.index("finished").openCursor(IDBKeyRange.upperBound(oldest));
      while (cursor !== null) {
        const task = cursor.value;
        const keep = retention[task.state as keyof RetentionMs] ?? Infinity;
        if ((task.finishedAt ?? now) + keep <= now) {
          void cursor.delete();
          removed += 1;
        }
        cursor = await cursor.continue();
      }
      await tx.done;
      return removed;
    });
  }

  counts(): Promise<StoreCounts> {
    return this.#run("Counting tasks", async () => {
      const tx = this.#db.transaction("tasks", "readonly");
      const index = tx.store.index("state");
      const states: QueueState[] = ["pending", "running", "succeeded", "dead", "cancelled"];
      const numbers = await Promise.all(states.map((state) => index.count(state)));
      const oldest = await index.openCursor("pending");
      const counts = Object.fromEntries(states.map((state, i) => [state, numbers[i] ?? 0])) as Record<
        QueueState,
        number
      >;
      return oldest === null ? { counts } : { counts, oldestPendingAt: oldest.value.createdAt };
    });
  }

  async #run<T>(doing: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closedBecause !== undefined) {
      throw new StorageError(
        "db_closed",
        `${doing} failed: the queue database ${this.#name} is closed (${this.#closedBecause})`,
      );
    }
    try {
      return await operation();
    } catch (error) {
      throw toStorageError(error, `${doing} in ${this.#name}`);
    }
  }
}

type TasksTx = IDBPTransaction<QueueSchema, ["tasks"], "readwrite">;

/** Applies each change through {@link transition}; a refused change is that item's failure only. */
async function applyIn(
  store: TasksTx["store"],
  changes: readonly { id: string; event: TaskEvent }[],
): Promise<StoreApplied[]> {
  const results: StoreApplied[] = [];
  // All reads issued at once: they run in order in the transaction without a round trip each.
  const current = await Promise.all(changes.map(({ id }) => store.get(id)));
  // The same task may appear twice (a heartbeat and its completion): the later change sees the earlier.
  const written = new Map<string, TaskRecord>();
  for (const [i, { id, event }] of changes.entries()) {
    const before = written.get(id) ?? current[i];
    if (before === undefined) {
      results.push({ ok: false, error: notFound(id) });
      continue;
    }
    try {
      const after = transition(before, event);
      void store.put(after);
      written.set(id, after);
      results.push({ ok: true, before, after });
    } catch (error) {
      // A refused change (stale lease, already final) is that caller's answer; the others commit.
      results.push({ ok: false, error: error as ErrandError });
    }
  }
  return results;
}

/** Aborts `tx` when `work` throws, so a half-done operation never commits. */
async function abortOnError<T>(tx: TasksTx, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already aborted by the failed request that threw.
    }
    throw error;
  }
}

function notFound(id: string): ErrandError {
  return new ErrandError("not_found", `No task ${id}`, { retryable: false, details: { id } });
}
