/**
 * The {@link TaskStore} of ephemeral tasks (`durable: false`): the same semantics as the
 * IndexedDB store (leases, ordering keys, dedup, retention), kept in this runtime's memory, so
 * payloads that cannot be stored (ImageBitmap, MessagePort) ride the same API. Lost on reload by
 * design. Single-context: only this runtime claims from it, so liveness never matters here.
 */

import { ErrandError } from "@errand/core";
import type { QueueState, TaskRecord } from "../lifecycle/task-record.ts";
import { type TaskEvent, transition } from "../lifecycle/transition.ts";
import type {
  ClaimRequest,
  ClaimResult,
  Committed,
  RetentionMs,
  StoreApplied,
  StoreCounts,
  StoreFilter,
  StoreInserted,
  TaskStore,
} from "./store.ts";

/** Ephemeral tasks in a `Map`, ordered like the durable store. */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #seq = new Map<string, number>();

  async insert(records: readonly TaskRecord[]): Promise<StoreInserted[]> {
    return records.map((record) => {
      const holder =
        record.dedupKey === undefined ? undefined : this.#find((t) => t.dedupGate === record.dedupKey);
      if (holder !== undefined) return { record: holder, created: false };
      let stored = record;
      if (record.orderingKey !== undefined) {
        const seq = (this.#seq.get(record.orderingKey) ?? 0) + 1;
        this.#seq.set(record.orderingKey, seq);
        stored = { ...record, seq };
      }
      this.#tasks.set(stored.id, stored);
      return { record: stored, created: true };
    });
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    return this.#tasks.get(id);
  }

  async list(filter: StoreFilter): Promise<TaskRecord[]> {
    const matching = [...this.#tasks.values()]
      .filter(
        (t) =>
          (filter.state === undefined || t.state === filter.state) &&
          (filter.type === undefined || t.type === filter.type),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return filter.limit === undefined ? matching : matching.slice(0, filter.limit);
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const claimed: TaskRecord[] = [];
    const settled: TaskRecord[] = [];
    let nextWakeAt: number | undefined;
    const pending = [...this.#tasks.values()]
      .filter((t) => t.state === "pending")
      .sort((a, b) => a.rank - b.rank || a.runAt - b.runAt || (a.id < b.id ? -1 : 1));
    for (const task of pending) {
      if (claimed.length >= request.limit) break;
      if (task.runAt > request.now) {
        nextWakeAt = Math.min(nextWakeAt ?? Infinity, task.runAt);
        continue;
      }
      if (task.expiresAt !== undefined && task.attempts === 0 && task.expiresAt <= request.now) {
        settled.push(this.#put(transition(task, { type: "expire", now: request.now })));
      } else if (task.orderingKey === undefined || this.#head(task.orderingKey)?.id === task.id) {
        const next = transition(task, {
          type: "claim",
          owner: request.owner,
          now: request.now,
          leaseMs: request.leaseMs,
          maxAttempts: request.maxAttempts(task),
        });
        claimed.push(this.#put(next));
      }
    }
    return { claimed, settled, nextWakeAt };
  }

  async apply(changes: readonly { id: string; event: TaskEvent }[]): Promise<StoreApplied[]> {
    return changes.map(({ id, event }) => {
      const before = this.#tasks.get(id);
      if (before === undefined) {
        return { ok: false, error: new ErrandError("not_found", `No task ${id}`, { retryable: false }) };
      }
      try {
        return { ok: true, before, after: this.#put(transition(before, event)) };
      } catch (error) {
        return { ok: false, error: error as ErrandError };
      }
    });
  }

  async commit(
    changes: readonly { id: string; event: TaskEvent }[],
    claim?: ClaimRequest,
  ): Promise<Committed> {
    const applied = await this.apply(changes);
    return claim === undefined ? { applied } : { applied, claimed: await this.claim(claim) };
  }

  async purge(filter: { state: QueueState; type?: string }): Promise<number> {
    return this.#removeWhere(
      (t) => t.state === filter.state && (filter.type === undefined || t.type === filter.type),
    );
  }

  async sweep(now: number, retention: RetentionMs): Promise<number> {
    return this.#removeWhere((t) => {
      const keep = retention[t.state as keyof RetentionMs];
      return t.finishedAt !== undefined && keep !== undefined && t.finishedAt + keep <= now;
    });
  }

  async counts(): Promise<StoreCounts> {
    const counts: Record<QueueState, number> = {
      pending: 0,
      running: 0,
      succeeded: 0,
      dead: 0,
      cancelled: 0,
    };
    let oldestPendingAt: number | undefined;
    for (const task of this.#tasks.values()) {
      counts[task.state] += 1;
      if (task.state === "pending") oldestPendingAt = Math.min(oldestPendingAt ?? Infinity, task.createdAt);
    }
    return oldestPendingAt === undefined ? { counts } : { counts, oldestPendingAt };
  }

  close(): void {
    this.#tasks.clear();
  }

  #put(task: TaskRecord): TaskRecord {
    this.#tasks.set(task.id, task);
    return task;
  }

  #head(key: string): TaskRecord | undefined {
    let head: TaskRecord | undefined;
    for (const task of this.#tasks.values()) {
      if (task.gate === key && (head === undefined || (task.seq ?? 0) < (head.seq ?? 0))) head = task;
    }
    return head;
  }

  #find(match: (task: TaskRecord) => boolean): TaskRecord | undefined {
    for (const task of this.#tasks.values()) if (match(task)) return task;
    return undefined;
  }

  #removeWhere(match: (task: TaskRecord) => boolean): number {
    let removed = 0;
    for (const [id, task] of this.#tasks) {
      if (match(task)) {
        this.#tasks.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
