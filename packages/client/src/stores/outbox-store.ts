/**
 * Per-operation transactions over the `outbox` and `requests` stores of the queue database
 * (their schema lives in db.ts). Each method is one transaction; state changes come from
 * {@link outboxTransition} only.
 *
 * Durability: `add` and `dropSubject` are `strict` (the app acts on them: "saved", "signed
 * out"); marking records sent or final is `relaxed`, because losing such a mark costs a resend,
 * which the edge answers `duplicate`, or a status the stream delivers again; so is `sweep`, like
 * the task store's, since a lost removal is redone by the next sweep.
 */

import { isFinalOutboxState, type OutboxRecord, type OutboxState } from "../lifecycle/outbox-record.ts";
import { type OutboxEvent, outboxTransition } from "../lifecycle/outbox-transition.ts";
import type { RequestRecord } from "../lifecycle/request-record.ts";
import type { QueueDb } from "./db.ts";
import { sweepOutbox } from "./outbox-sweep.ts";
import { toStorageError } from "./storage-error.ts";
import type { RetentionMs } from "./store.ts";

/** One record of an {@link OutboxStore.add}: the one stored, or the holder of its dedup key. */
export interface OutboxAdded {
  readonly record: OutboxRecord;
  readonly created: boolean;
}

/** A committed change of one record. */
export interface OutboxChange {
  readonly before: OutboxRecord;
  readonly after: OutboxRecord;
}

/** The counter that orders outbox records and queued requests. */
const SEQ_COUNTER = "sync:seq";

/** The outbox and request stores of one open queue database. */
export class OutboxStore {
  readonly #db: QueueDb;

  constructor(db: QueueDb) {
    this.#db = db;
  }

  /**
   * Adds new records, numbering them in commit order, in one strict transaction. A record whose
   * dedup key a record of its subject holds already, in storage or
   * earlier in `records`, is not added: its slot answers that holder, with `created: false`. The
   * edge would answer it `duplicate` and store nothing under its id, so it would never end.
   * Holders are looked up by `[subject, dedupKey]`, so the cost does not grow with the outbox.
   */
  add(records: readonly Omit<OutboxRecord, "seq">[]): Promise<OutboxAdded[]> {
    return this.#run("Adding edge tasks", async () => {
      const tx = this.#db.transaction(["outbox", "counters"], "readwrite", { durability: "strict" });
      const holders = new Map<string, OutboxRecord>();
      const keyOf = (r: { subject: string; dedupKey?: string }) => JSON.stringify([r.subject, r.dedupKey]);
      const keys = new Map<string, [string, string]>(
        records.flatMap((r) => (r.dedupKey === undefined ? [] : [[keyOf(r), [r.subject, r.dedupKey]]])),
      );
      // Every read issued at once: one round trip, whatever the number of keys.
      const dedup = tx.objectStore("outbox").index("dedup");
      const [held, counted] = await Promise.all([
        Promise.all([...keys.values()].map((key) => dedup.getAll(key))),
        tx.objectStore("counters").get(SEQ_COUNTER),
      ]);
      for (const record of held.flat()) if (holdsDedupKey(record)) holders.set(keyOf(record), record);
      let seq = counted ?? 0;
      const added = records.map((record): OutboxAdded => {
        const holder = record.dedupKey === undefined ? undefined : holders.get(keyOf(record));
        if (holder !== undefined) return { record: holder, created: false };
        const stored = { ...record, seq: ++seq };
        if (stored.dedupKey !== undefined) holders.set(keyOf(stored), stored);
        return { record: stored, created: true };
      });
      const writes: Promise<unknown>[] = added.flatMap(({ record, created }) =>
        created ? [tx.objectStore("outbox").add(record)] : [],
      );
      writes.push(tx.objectStore("counters").put(seq, SEQ_COUNTER));
      await Promise.all([...writes, tx.done]);
      return added;
    });
  }

  get(id: string): Promise<OutboxRecord | undefined> {
    return this.#run("Reading an edge task", () => this.#db.get("outbox", id));
  }

  /** A subject's records in `state`. */
  inState(subject: string, state: OutboxState): Promise<OutboxRecord[]> {
    return this.#run("Listing edge tasks", () =>
      this.#db.getAllFromIndex("outbox", "subject", [subject, state]),
    );
  }

  /** Every record, or a subject's. */
  list(subject?: string): Promise<OutboxRecord[]> {
    return this.#run("Listing edge tasks", () =>
      subject === undefined
        ? this.#db.getAll("outbox")
        : this.#db.getAllFromIndex("outbox", "subject", subjectRange(subject)),
    );
  }

  /** Applies each event to its record in one transaction; returns the records that changed. */
  apply(changes: readonly { id: string; event: OutboxEvent }[], strict = false): Promise<OutboxChange[]> {
    return this.#run("Updating edge tasks", async () => {
      const tx = this.#db.transaction("outbox", "readwrite", { durability: strict ? "strict" : "relaxed" });
      const done: OutboxChange[] = [];
      const befores = await Promise.all(changes.map(({ id }) => tx.store.get(id)));
      const current = new Map<string, OutboxRecord>();
      changes.forEach(({ id, event }, i) => {
        const before = current.get(id) ?? befores[i];
        if (before === undefined) return;
        const after = outboxTransition(before, event);
        if (after === before) return;
        current.set(id, after);
        void tx.store.put(after);
        done.push({ before, after });
      });
      await tx.done;
      return done;
    });
  }

  /**
   * Cancels a record in one strict transaction (the app acts on it, as on an add): a pending one
   * ends `cancelled`; a sent one gets a cancel for the edge, numbered from the counter that
   * orders the outbox. Returns the record as it was (undefined: no such record) and the change.
   */
  cancel(id: string, now: number): Promise<{ record?: OutboxRecord; change?: OutboxChange }> {
    return this.#run("Cancelling an edge task", async () => {
      const tx = this.#db.transaction(["outbox", "counters"], "readwrite", { durability: "strict" });
      const [before, counted] = await Promise.all([
        tx.objectStore("outbox").get(id),
        tx.objectStore("counters").get(SEQ_COUNTER),
      ]);
      if (before === undefined) {
        await tx.done;
        return {};
      }
      const seq = (counted ?? 0) + 1;
      const after = outboxTransition(before, { type: "cancel", now, seq });
      if (after !== before) void tx.objectStore("outbox").put(after);
      if (after.cancel?.seq === seq) void tx.objectStore("counters").put(seq, SEQ_COUNTER);
      await tx.done;
      return after === before ? { record: before } : { record: before, change: { before, after } };
    });
  }

  /**
   * A subject's records with a cancel waiting for the edge, in the order the cancels were asked
   * for: sent ones, and the few cancelled here whose push the edge took after all.
   */
  withCancels(subject: string): Promise<OutboxRecord[]> {
    return this.#run("Listing edge cancels", () =>
      this.#db.getAllFromIndex("outbox", "cancels", subjectRange(subject)),
    );
  }

  /**
   * Removes `subject`'s outbox records in the final `state` (of `type`, when given) in one strict
   * transaction, as the task store's purge; returns how many.
   */
  purge(subject: string, filter: { state: OutboxState; type?: string | undefined }): Promise<number> {
    return this.#run("Purging edge tasks", async () => {
      const tx = this.#db.transaction("outbox", "readwrite", { durability: "strict" });
      let removed = 0;
      let cursor = await tx.store.index("subject").openCursor([subject, filter.state]);
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

  /** Removes every outbox record and queued request of `subject`; returns how many. */
  dropSubject(subject: string): Promise<number> {
    return this.#run("Dropping a subject's outbox", async () => {
      const tx = this.#db.transaction(["outbox", "requests"], "readwrite", { durability: "strict" });
      let removed = 0;
      for (const name of ["outbox", "requests"] as const) {
        let cursor = await tx.objectStore(name).index("subject").openCursor(subjectRange(subject));
        while (cursor !== null) {
          void cursor.delete();
          removed += 1;
          cursor = await cursor.continue();
        }
      }
      await tx.done;
      return removed;
    });
  }

  /**
   * Removes the final outbox records and queued requests whose state's retention (the runtime's
   * `retention`, as for its own tasks) has passed since `finishedAt`; returns how many.
   */
  sweep(now: number, retention: RetentionMs): Promise<number> {
    return sweepOutbox(this.#db, now, retention);
  }

  /** Adds a queued request, numbered like outbox records. */
  addRequest(record: Omit<RequestRecord, "seq">): Promise<RequestRecord> {
    return this.#run("Queueing a request", async () => {
      const tx = this.#db.transaction(["requests", "counters"], "readwrite", { durability: "strict" });
      const seq = ((await tx.objectStore("counters").get(SEQ_COUNTER)) ?? 0) + 1;
      const stored = { ...record, seq };
      await Promise.all([
        tx.objectStore("requests").add(stored),
        tx.objectStore("counters").put(seq, SEQ_COUNTER),
        tx.done,
      ]);
      return stored;
    });
  }

  getRequest(id: string): Promise<RequestRecord | undefined> {
    return this.#run("Reading a queued request", () => this.#db.get("requests", id));
  }

  /** A subject's pending requests, in queue order. */
  pendingRequests(subject: string): Promise<RequestRecord[]> {
    return this.#run("Listing queued requests", async () => {
      const all = await this.#db.getAllFromIndex("requests", "subject", [subject, "pending"]);
      return all.sort((a, b) => a.seq - b.seq);
    });
  }

  /** Replaces a request's record, unless it was removed meanwhile (a sign-out). */
  putRequest(record: RequestRecord): Promise<boolean> {
    return this.#run("Updating a queued request", async () => {
      const tx = this.#db.transaction("requests", "readwrite", { durability: "strict" });
      const exists = (await tx.store.getKey(record.id)) !== undefined;
      if (exists) void tx.store.put(record);
      await tx.done;
      return exists;
    });
  }

  /** The last subject a token was issued for, or undefined. */
  lastSubject(): Promise<string | undefined> {
    return this.#run("Reading the sync's subject", async () => {
      const value = await this.#db.get("syncMeta", "subject");
      return typeof value === "string" ? value : undefined;
    });
  }

  /** Records the subject of the token in use (undefined: signed out). */
  setLastSubject(subject: string | undefined): Promise<void> {
    return this.#run("Recording the sync's subject", async () => {
      if (subject === undefined) await this.#db.delete("syncMeta", "subject");
      else await this.#db.put("syncMeta", subject, "subject");
    });
  }

  async #run<T>(doing: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStorageError(error, doing);
    }
  }
}

/**
 * Whether `record` holds its dedup key against a new enqueue: it is not final, or the edge
 * accepted it (it keeps the key, and answers a new task with it `duplicate`). A task refused
 * by the edge or cancelled before it was sent frees its key.
 *
 * An accepted record holds it only until {@link OutboxStore.sweep} removes it after its
 * retention. Forgetting it then is safe: a later task with the key is stored and pushed, the
 * edge answers it `duplicate` with the old task's id in `duplicateOf` (or accepts it, once its
 * own retention freed the key), and `decidePush` (push-outcome.ts) turns such a `duplicate` into
 * dead with code `duplicate`, so the task ends instead of waiting for a status that never comes.
 */
function holdsDedupKey(record: OutboxRecord): boolean {
  return !isFinalOutboxState(record.state) || record.edgeStatus !== undefined;
}

/** Every `[subject, state]` key of one subject. */
function subjectRange(subject: string): IDBKeyRange {
  return IDBKeyRange.bound([subject], [subject, []]);
}
