/**
 * The hooks: each builds an external store for what it shows and hands it to
 * `useSyncExternalStore`, so a component re-renders when, and only when, its own answer changes.
 */

import type { Errand, ErrandStats, ListFilter, TaskInfo } from "@errand/client";
import type { TaskMap } from "@errand/core";
import { useMemo, useSyncExternalStore } from "react";
import { keepList } from "./keep-list.ts";
import { useErrand } from "./provider.tsx";
import { createRefreshingStore, storedChange } from "./refreshing-store.ts";
import { createTaskStore } from "./task-store.ts";
import type { TaskSnapshot } from "./task-view.ts";

/**
 * Task `id`, kept current: `undefined` while it is first read, `null` when there is no such task,
 * then a new object on each change of that task (progress included) and the same object
 * otherwise. Local and edge tasks alike: `where` tells which.
 *
 * @example
 * ```tsx
 * function Row({ id }: { id: string }) {
 *   const task = useTask(id);
 *   if (task === undefined) return <li>…</li>;
 *   if (task === null) return <li>gone</li>;
 *   return <li>{task.state} {"progress" in task ? task.progress : ""}</li>;
 * }
 * ```
 */
export function useTask(id: string): TaskSnapshot {
  const errand = useErrand();
  const store = useMemo(() => createTaskStore(errand, id), [errand, id]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * The tasks `filter` selects, local and edge, as `list(filter)` answers, read again after task changes
 * (coalesced; `task.progress` is not stored, so it does not re-read: show it with `useTask`).
 * `undefined` until the first answer; unchanged tasks keep their objects, and the array stays
 * the same while none changed.
 *
 * @example
 * ```tsx
 * const dead = useTasks({ state: "dead" });
 * return <ul>{dead?.map((task) => <DeadRow key={task.id} id={task.id} />)}</ul>;
 * ```
 */
export function useTasks(filter: ListFilter = {}): readonly TaskInfo[] | undefined {
  const errand = useErrand();
  const { where, state, type, limit } = filter;
  const store = useMemo(() => {
    const query: ListFilter = {
      ...(where === undefined ? {} : { where }),
      ...(state === undefined ? {} : { state }),
      ...(type === undefined ? {} : { type }),
      ...(limit === undefined ? {} : { limit }),
    };
    return createRefreshingStore(errand, {
      load: () => errand.list(query),
      relevant: (signal) => storedChange(signal) && (type === undefined || signal.taskType === type),
      keep: keepList,
    });
  }, [errand, where, state, type, limit]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** Options of {@link useStats}. */
export interface UseStatsOptions {
  /** The least time between two reads of the stats, in ms; 250 by default. */
  readonly intervalMs?: number;
}

/**
 * The runtime's `stats()`, read again after task changes, at most once every `intervalMs`;
 * `undefined` until the first answer.
 *
 * @example
 * ```tsx
 * const stats = useStats();
 * return <p>{stats ? `${stats.counts.pending} waiting` : "…"}</p>;
 * ```
 */
export function useStats(options: UseStatsOptions = {}): ErrandStats | undefined {
  const errand = useErrand();
  const { intervalMs = 250 } = options;
  const store = useMemo(
    () => createRefreshingStore(errand, { load: () => errand.stats(), intervalMs }),
    [errand, intervalMs],
  );
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * The runtime's `enqueue`, typed by the task map `M`; the same function for as long as the
 * provider's runtime is the same, so it is safe in effect and memo dependencies.
 *
 * @example
 * ```tsx
 * const enqueue = useEnqueue<typeof tasks>();
 * <button onClick={() => enqueue("resize", { width: 320 })}>Resize</button>;
 * ```
 */
export function useEnqueue<M extends TaskMap = TaskMap>(): Errand<M>["enqueue"] {
  const errand = useErrand<M>();
  return useMemo(() => errand.enqueue.bind(errand), [errand]);
}
