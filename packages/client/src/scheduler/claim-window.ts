/**
 * The prefetch window: tasks a claim pass leased to this owner beyond its free slots, kept in
 * memory until a slot frees, so that starting them costs no transaction (DESIGN.md, "Claiming
 * ahead"). Like a broker consumer's prefetch count, it trades a few leased-but-idle tasks for
 * claims that carry many tasks each.
 *
 * Order: highest priority first, then claim order (which is the claim's own order: `runAt`, id).
 * A pass claims the highest-priority pending tasks, so a task enqueued with a higher priority
 * after a claim is taken by the next pass that has room, and sorts ahead of the window's lower
 * ones here: it waits for one slot and one commit, never for the whole window.
 *
 * Leases: a waiting task is renewed with the running ones, and `startBy` (its lease's expiry
 * less one renewal period) moves with each renewal. A task not started by then (a frozen or
 * throttled tab that missed its renewals) is handed back, never run late on a lease another owner
 * may be about to take over. So is a first attempt whose TTL ran out while it waited: pending
 * again, the next claim pass sends it dead with `ttl_expired`, as if it had never been claimed.
 */

import type { TaskRecord } from "../lifecycle/task-record.ts";

/** One task waiting in the window. */
export interface Waiting {
  readonly task: TaskRecord;
  /** Latest time to start it (Unix ms); later, it is released instead. */
  startBy: number;
}

/** What {@link ClaimWindow.next} found: the task to start, and those to hand back instead. */
export interface NextInWindow<E extends Waiting> {
  readonly start: E | undefined;
  readonly lapsed: E[];
}

/** Tasks claimed ahead, in the order they start. */
export class ClaimWindow<E extends Waiting> {
  readonly #entries: E[] = [];
  /** The ids of `#entries`: a claim asks about each running task it reads. */
  readonly #ids = new Set<string>();

  get size(): number {
    return this.#entries.length;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Adds `entry` after every waiting task of its priority or higher. */
  add(entry: E): void {
    const rank = entry.task.rank;
    let at = this.#entries.length;
    while (at > 0 && (this.#entries[at - 1] as E).task.rank > rank) at -= 1;
    this.#entries.splice(at, 0, entry);
    this.#ids.add(entry.task.id);
  }

  /** Takes task `id` out (cancelled, or taken over), if it waits here. */
  remove(id: string): E | undefined {
    if (!this.#ids.delete(id)) return undefined;
    const at = this.#entries.findIndex((entry) => entry.task.id === id);
    return this.#entries.splice(at, 1)[0];
  }

  /** Takes the next task to start at `now`, and every task before it whose time to start has passed. */
  next(now: number): NextInWindow<E> {
    const lapsed: E[] = [];
    for (;;) {
      const entry = this.#entries.shift();
      if (entry !== undefined) this.#ids.delete(entry.task.id);
      if (entry === undefined || now < entry.startBy) return { start: entry, lapsed };
      lapsed.push(entry);
    }
  }

  /** Takes the last `count` waiting tasks out (the lowest priority, claimed last). */
  takeLast(count: number): E[] {
    const taken = this.#entries.splice(Math.max(0, this.#entries.length - count));
    for (const entry of taken) this.#ids.delete(entry.task.id);
    return taken;
  }

  /** The waiting tasks, in the order they start. */
  entries(): readonly E[] {
    return [...this.#entries];
  }

  /** Takes every waiting task out (the runtime closes). */
  drain(): E[] {
    this.#ids.clear();
    return this.#entries.splice(0);
  }
}
