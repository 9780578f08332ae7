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
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import { type TaskEvent, transition } from "../lifecycle/transition.ts";
import { coalesce } from "../utils/coalescer.ts";
import { claimIn } from "./claim.ts";
import { type QueueDb, type QueueSchema, stateRange, sweepFinished } from "./db.ts";
import { toStorageError } from "./storage-error.ts";
import type { ClaimRequest, ClaimResult } from "./store.ts";
import {
  type Committed,
  NOT_STORABLE,
  type RetentionMs,
  type StoreApplied,
  type StoreCounts,
  type StoreFilter,
  type StoreInserted,
  type TaskStore,
} from "./store.ts";
import { fromStored, toStored } from "./stored-task.ts";

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

  /**
   * @throws {UnstorableRecord} when structured clone refuses a record's payload: nothing of the
   *   batch is stored, and `index` names the record, so the caller can report it and retry the rest.
   */
  insert(records: readonly TaskRecord[]): Promise<StoreInserted[]> {
    return this.#run("Enqueueing", async () => {
      const tx = this.#db.transaction(["tasks", "counters"], "readwrite", { durability: "strict" });
      const writes: Promise<unknown>[] = [];
      const results = await abortOnError(tx, insertIn(tx, records, writes), writes);
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
      return found.map((stored) => stored && fromStored(stored));
    }),
  );

  list(filter: StoreFilter): Promise<TaskRecord[]> {
    return this.#run("Listing tasks", async () => {
      // Creation order: ids are UUIDv7, and the `due` index orders a state's tasks by rank first.
      const all =
        filter.state === undefined
          ? (await this.#db.getAll("tasks")).map(fromStored)
          : (await this.#db.getAllFromIndex("tasks", "due", stateRange(filter.state)))
              .map(fromStored)
              .sort(byId);
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
      // Every read of the pass is issued before the first answer arrives: one round trip through
      // a main thread that is busy with the outcomes of the tasks just run, not three.
      const applying = changes.length === 0 ? Promise.resolve([]) : applyIn(tx.store, changes);
      const claiming = claim && claimIn(tx.store, claim);
      const work = Promise.all([applying, claiming]).then(
        ([applied, claimed]): Committed => (claimed === undefined ? { applied } : { applied, claimed }),
      );
      const [committed] = await Promise.all([abortOnError(tx, work), tx.done]);
      return committed;
    });
  }

  purge(filter: { state: QueueState; type?: string }): Promise<number> {
    return this.#run("Purging tasks", async () => {
      const tx = this.#db.transaction("tasks", "readwrite", { durability: "strict" });
      let removed = 0;
      let cursor = await tx.store.index("due").openCursor(stateRange(filter.state));
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
    return this.#run("Sweeping finished tasks", () => sweepFinished(this.#db, ["tasks"], now, retention));
  }

  counts(): Promise<StoreCounts> {
    return this.#run("Counting tasks", async () => {
      const tx = this.#db.transaction("tasks", "readonly");
      const index = tx.store.index("due");
      const states: QueueState[] = ["pending", "running", "succeeded", "dead", "cancelled"];
      const [numbers, pendingIds] = await Promise.all([
        Promise.all(states.map((state) => index.count(stateRange(state)))),
        index.getAllKeys(stateRange("pending")),
      ]);
      const counts = Object.fromEntries(states.map((state, i) => [state, numbers[i] ?? 0])) as Record<
        QueueState,
        number
      >;
      // The smallest id is the oldest task (UUIDv7); keys only, one record read.
      const first = pendingIds.reduce<string | undefined>(
        (min, id) => (min === undefined || id < min ? id : min),
        undefined,
      );
      const oldest = first === undefined ? undefined : await tx.store.get(first);
      return oldest === undefined ? { counts } : { counts, oldestPendingAt: oldest.createdAt };
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
      // A refused payload is the caller's bad input, not a storage failure.
      if (error instanceof UnstorableRecord) throw error;
      throw toStorageError(error, `${doing} in ${this.#name}`);
    }
  }
}

const byId = (a: TaskRecord, b: TaskRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

type TasksTx = IDBPTransaction<QueueSchema, ["tasks"], "readwrite">;
type InsertTx = IDBPTransaction<QueueSchema, ["tasks", "counters"], "readwrite">;

/**
 * Whether `add` threw because of the transaction, not the record. Anything else it throws comes
 * from cloning the record: DataCloneError, or whatever a getter of the payload threw while the
 * clone read it; that is the caller's bad input, as the rest of the batch is not.
 */
function isTransactionState(error: unknown): boolean {
  return error instanceof DOMException && TRANSACTION_STATE_ERRORS.has(error.name);
}

const TRANSACTION_STATE_ERRORS = new Set(["TransactionInactiveError", "ReadOnlyError", "InvalidStateError"]);

/** A record of an insert that IndexedDB could not store: structured clone refused its payload. */
export class UnstorableRecord extends Error {
  override readonly name = "UnstorableRecord";
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(`Record ${index} of the batch cannot be stored: ${String((cause as Error)?.message ?? cause)}`);
  }
}

async function insertIn(
  tx: InsertTx,
  records: readonly TaskRecord[],
  writes: Promise<unknown>[],
): Promise<StoreInserted[]> {
  const tasks = tx.objectStore("tasks");
  // The adds go through the raw store: a promise per request would cost more than the write.
  // A failed add aborts the transaction, which `tx.done` reports.
  const rawTasks = unwrap(tasks);
  const counters = tx.objectStore("counters");
  const results: StoreInserted[] = [];
  for (const [index, record] of records.entries()) {
    if (record.dedupKey !== undefined) {
      const existing = await tasks.index("dedup").get(record.dedupKey);
      if (existing !== undefined) {
        results.push({ record: fromStored(existing), created: false });
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
    try {
      // The one structured clone of the payload: IndexedDB's own, which throws here,
      // synchronously, for what it cannot store (no separate trial clone beforehand).
      rawTasks.add(toStored(stored));
    } catch (error) {
      throw isTransactionState(error) ? error : new UnstorableRecord(index, error);
    }
    results.push({ record: stored, created: true });
  }
  return results;
}

/** Applies each change through {@link transition}; a refused change is that item's failure only. */
async function applyIn(
  store: TasksTx["store"],
  changes: readonly { id: string; event: TaskEvent }[],
): Promise<StoreApplied[]> {
  const results: StoreApplied[] = [];
  // All reads issued at once: they run in order in the transaction without a round trip each.
  const current = (await Promise.all(changes.map(({ id }) => store.get(id)))).map(
    (stored) => stored && fromStored(stored),
  );
  // The same task may appear twice (a heartbeat and its completion): the later change sees the earlier.
  const written = new Map<string, TaskRecord>();
  for (const [i, { id, event }] of changes.entries()) {
    const before = written.get(id) ?? current[i];
    if (before === undefined) {
      results.push({ ok: false, error: notFound(id) });
      continue;
    }
    let after: TaskRecord;
    try {
      after = transition(before, event);
    } catch (error) {
      // A refused change (stale lease, already final) is that caller's answer; the others commit.
      results.push({ ok: false, error: error as ErrandError });
      continue;
    }
    try {
      // Structured clone throws here, synchronously, before any request exists: the
      // transaction goes on, and the task keeps its last stored state.
      void store.put(toStored(after));
    } catch (error) {
      // The transaction's own failure is the whole pass's, never this record's.
      if (isTransactionState(error)) throw error;
      results.push({ ok: false, error: notStorable(id, error) });
      continue;
    }
    written.set(id, after);
    results.push({ ok: true, before, after });
  }
  return results;
}

function notStorable(id: string, cause: unknown): ErrandError {
  const why = String((cause as Error)?.message ?? cause);
  return new ErrandError(NOT_STORABLE, `Task ${id} cannot be stored: ${why}`, {
    retryable: false,
    details: { id },
    cause,
  });
}

/**
 * Aborts `tx` when `work` throws, so a half-done operation never commits; the transaction's and
 * `pending` requests' own rejections (AbortError) are expected then, and silenced.
 */
async function abortOnError<T>(
  tx: { abort(): void; done: Promise<void> },
  work: Promise<T>,
  pending: readonly Promise<unknown>[] = [],
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    for (const request of [tx.done, ...pending]) request.catch(() => {});
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
