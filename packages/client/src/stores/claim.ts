/**
 * Claiming: one readwrite transaction that leases up to `limit` runnable tasks to one owner.
 *
 * Inputs: the owner, how many tasks it can start, the clock, the lease length, what the owner
 * knows about other owners' liveness ({@link Liveness}) and each task's attempt budget.
 * Outputs: the tasks now `running` under the owner's lease (fencing token = the task's new
 * `fence`), the tasks the pass settled instead of running (dead: TTL ran out before a start,
 * or a lost lease on the last attempt), and when something next becomes runnable. A lease taken
 * over before its attempt started (it waited in a window) costs the task no attempt
 * ({@link transition}'s claim rule).
 *
 * Order: abandoned running tasks first (they were started earliest), then pending tasks by
 * priority (highest first), `runAt`, id. A task with an ordering key runs only as the head of its
 * key (lowest sequence number among the tasks that hold the key back). Because every claimer
 * checks and writes inside one readwrite transaction, and IndexedDB serialises overlapping
 * readwrite transactions across tabs and workers, two claimers never lease the same attempt.
 */

import type { IDBPObjectStore } from "idb";
import type { Liveness } from "../browser/owner-lock.ts";
import { abandonableAt, isAbandoned } from "../lifecycle/lease-policy.ts";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import { transition } from "../lifecycle/transition.ts";
import { type QueueSchema, stateRange } from "./db.ts";
import type { ClaimRequest, ClaimResult } from "./store.ts";
import { fromStored, toStored } from "./stored-task.ts";

type TaskStoreTx = IDBPObjectStore<QueueSchema, ["tasks"], "tasks", "readwrite">;

/**
 * Runs one claim pass inside `store`'s transaction (the caller owns the transaction). Its two
 * reads (the running tasks if it looks at them, the first pending ones) go out as it is called,
 * before its first await, so a caller that issues its own reads beside them waits one round
 * trip for all. Reads issued before the same transaction's writes do not see those writes; the
 * scheduler writes only its own running tasks' outcomes, which the claim skips, so all it misses
 * is a task that such a write put back to pending (a retry, and the wake for its `runAt`): the
 * slot that task freed wakes the scheduler for another pass, which claims it.
 */
export async function claimIn(store: TaskStoreTx, request: ClaimRequest): Promise<ClaimResult> {
  const due = store.index("due");
  const none = Promise.resolve([]);
  const [running, pending] = await Promise.all([
    request.rescue === false ? none : due.getAll(stateRange("running")),
    request.limit > 0 ? due.getAll(stateRange("pending"), request.limit) : none,
  ]);
  const claimed: TaskRecord[] = [];
  const settled: TaskRecord[] = [];
  let nextWakeAt: number | undefined;
  const wakeAt = (time: number) => {
    nextWakeAt = nextWakeAt === undefined ? time : Math.min(nextWakeAt, time);
  };
  const take = (task: TaskRecord) => {
    const next = transition(task, {
      type: "claim",
      owner: request.owner,
      now: request.now,
      leaseMs: request.leaseMs,
      maxAttempts: request.maxAttempts(task),
    });
    // Not awaited: requests in one transaction run in order, and a failed put aborts it, which
    // the caller sees in `tx.done`. Awaiting each would add a round trip per task.
    void store.put(toStored(next));
    (next.state === "running" ? claimed : settled).push(next);
  };

  let rescueAt: number | undefined;
  // Only one context holds an owner id's Web Lock at a time, and the claimer holds its own: an
  // earlier session of its id is gone, whatever the lock says, so the lease's expiry alone decides.
  const pastSession: Liveness = { ...request, liveOwners: undefined };
  for (const stored of running) {
    const task = fromStored(stored);
    const { lease } = task;
    if (lease === undefined) continue;
    const own = lease.owner === request.owner;
    if (own && (request.runs === undefined || request.runs(task.id))) continue;
    const liveness = own ? pastSession : request;
    if (claimed.length < request.limit && isAbandoned(lease, request.now, liveness)) take(task);
    else {
      const at = abandonableAt(lease, liveness);
      wakeAt(at);
      rescueAt = Math.min(rescueAt ?? Infinity, at);
    }
  }

  const heads = headsOf(store);
  const scanLimit = request.scanLimit ?? 2_000;
  let scanned = 0;
  /** Looks at one pending task in due order; false when the rest of its priority group is later. */
  const visit = async (task: TaskRecord): Promise<boolean> => {
    scanned += 1;
    if (task.runAt > request.now) {
      wakeAt(task.runAt);
      return false;
    }
    if (task.expiresAt !== undefined && task.attempts === 0 && task.expiresAt <= request.now) {
      const expired = transition(task, { type: "expire", now: request.now });
      void store.put(toStored(expired));
      settled.push(expired);
    } else if (task.orderingKey === undefined || (await heads.isHead(task))) {
      take(task);
    }
    return true;
  };

  // The first `limit` pending tasks in one request: when they are all due and free to run (the
  // common case), the pass needs no cursor, whose every step is a round trip through a main
  // thread that is busy with the results of the tasks just run.
  const wanted = request.limit - claimed.length;
  const first = pending.slice(0, Math.max(0, wanted)).map(fromStored);
  let laterGroup: TaskRecord | undefined;
  for (const task of first) {
    if (!(await visit(task))) {
      laterGroup = task;
      break;
    }
  }
  // Pending tasks not looked at yet may remain: a later priority group, or past a full batch.
  const more = laterGroup !== undefined || (wanted > 0 && first.length === wanted);
  if (claimed.length >= request.limit || !more) {
    if (more) wakeAt(request.now);
    return { claimed, settled, nextWakeAt, rescueAt };
  }

  // Past that batch: a cursor at the next priority group when the batch ran into tasks that are
  // not due yet, else right after the batch's last task.
  let cursor =
    laterGroup !== undefined
      ? await due.openCursor(
          IDBKeyRange.bound(["pending", laterGroup.rank, Infinity], ["pending", Infinity, Infinity]),
        )
      : await openAfter(due, first.at(-1) as TaskRecord);
  while (cursor !== null && claimed.length < request.limit && scanned < scanLimit) {
    const task = fromStored(cursor.value);
    cursor = (await visit(task))
      ? await cursor.continue()
      : await cursor.continue(["pending", task.rank, Infinity]);
  }
  if (cursor !== null) wakeAt(request.now);
  return { claimed, settled, nextWakeAt, rescueAt };
}

type DueIndex = ReturnType<TaskStoreTx["index"]>;

/**
 * A cursor over the pending tasks after `after` in due order: the index key, then the id, as
 * IndexedDB orders an index's records. `after` itself may be gone from the range (claimed in
 * this transaction) or still there (skipped).
 */
async function openAfter(index: DueIndex, after: TaskRecord) {
  const key: [QueueState, number, number] = ["pending", after.rank, after.runAt];
  let cursor = await index.openCursor(IDBKeyRange.bound(key, ["pending", Infinity, Infinity]));
  if (cursor !== null && indexedDB.cmp(cursor.key, key) === 0 && cursor.primaryKey <= after.id) {
    if (cursor.primaryKey < after.id) cursor = await cursor.continuePrimaryKey(key, after.id);
    if (cursor?.primaryKey === after.id) cursor = await cursor.continue();
  }
  return cursor;
}

/**
 * Whether a task is the lowest-sequence task holding its ordering key back. One index read per
 * key and pass: a key's head cannot change within a pass (claiming it keeps it the head), so the
 * other tasks of that key are skipped without touching the database.
 */
function headsOf(store: TaskStoreTx) {
  const known = new Map<string, string | undefined>();
  return {
    async isHead(task: TaskRecord): Promise<boolean> {
      const key = task.orderingKey as string;
      if (!known.has(key)) {
        const head = await store
          .index("gate")
          .openKeyCursor(IDBKeyRange.bound([key, -Infinity], [key, Infinity]));
        known.set(key, head?.primaryKey);
      }
      return known.get(key) === task.id;
    },
  };
}
