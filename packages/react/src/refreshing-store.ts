/**
 * An external store whose value is a query of the whole runtime (`list`, `stats`), loaded on
 * subscribe and again after task events. Events coalesce: one load in flight at a time, one more
 * after it when events came meanwhile, and at most one load every `intervalMs`.
 */

import { type ErrandSource, type TaskSignal, watch } from "./events.ts";
import type { ExternalStore } from "./task-store.ts";

/** How a refreshing store loads, which events matter, and how it keeps unchanged values. */
export interface RefreshOptions<T> {
  readonly load: () => Promise<T>;
  /** Whether an event may change the value (the default: {@link storedChange}). */
  readonly relevant?: (signal: TaskSignal) => boolean;
  /** The least time between two loads' starts, in ms (0: as soon as the last one ended). */
  readonly intervalMs?: number;
  /** The value to publish given the previous one: returning `previous` re-renders nothing. */
  readonly keep?: (next: T, previous: T | undefined) => T;
}

/** A store of `options.load()`'s latest answer; `undefined` until the first one. */
export function createRefreshingStore<T>(
  errand: ErrandSource,
  options: RefreshOptions<T>,
): ExternalStore<T | undefined> {
  const { load, relevant = storedChange, intervalMs = 0, keep } = options;
  let snapshot: T | undefined;
  let loading = false;
  let wanted = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;
  const listeners = new Set<() => void>();

  const refresh = async () => {
    timer = undefined;
    if (loading || stop === undefined) return;
    const wait = lastStart + intervalMs - Date.now();
    if (wait > 0) {
      timer = setTimeout(refresh, wait);
      return;
    }
    loading = true;
    wanted = false;
    lastStart = Date.now();
    try {
      const next = await load();
      const kept = keep === undefined ? next : keep(next, snapshot);
      if (stop !== undefined && kept !== snapshot) {
        snapshot = kept;
        for (const listener of listeners) listener();
      }
    } catch {
      // A closed runtime refuses reads: the last value stands.
    } finally {
      loading = false;
    }
    if (wanted && timer === undefined) void refresh();
  };

  const request = () => {
    wanted = true;
    if (!loading && timer === undefined) void refresh();
  };

  return {
    subscribe(onChange) {
      listeners.add(onChange);
      if (stop === undefined) {
        stop = watch(errand, undefined, (signal) => {
          if (relevant(signal)) request();
        });
        request();
      }
      return () => {
        listeners.delete(onChange);
        if (listeners.size > 0 || stop === undefined) return;
        stop();
        stop = undefined;
        clearTimeout(timer);
        timer = undefined;
      };
    },
    getSnapshot: () => snapshot,
  };
}

/**
 * Whether an event may change what `list()` and `stats()` answer: any task event but
 * `task.progress` (progress is not stored).
 */
export function storedChange(signal: TaskSignal): boolean {
  return signal.type !== "task.progress";
}
