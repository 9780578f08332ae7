/**
 * The external store behind `useTask`: one task's latest view, read once on subscribe and again
 * after each state change of that task (one read in flight at a time, the last change read
 * last), with `task.progress` applied straight from the event, which the runtime does not store.
 * `getSnapshot` returns the same object until the task changes, so React re-renders the one
 * component whose task it is, and no other.
 */

import type { TaskInfo } from "@errand/client";
import { type ErrandSource, watch } from "./events.ts";
import { sameTask } from "./same-task.ts";
import type { TaskSnapshot } from "./task-view.ts";

/** The `subscribe` / `getSnapshot` pair `useSyncExternalStore` takes. */
export interface ExternalStore<T> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): T;
}

/** A store of task `id` of `errand`. */
export function createTaskStore(errand: ErrandSource, id: string): ExternalStore<TaskSnapshot> {
  let snapshot: TaskSnapshot;
  let reading = false;
  let stale = false;
  let live = false;
  let progress: { attempt: number; value: number } | undefined;
  const listeners = new Set<() => void>();

  const publish = (next: TaskSnapshot) => {
    snapshot = next;
    for (const listener of listeners) listener();
  };

  const read = async () => {
    if (reading) {
      stale = true;
      return;
    }
    reading = true;
    do {
      stale = false;
      const next = await readTask(errand, id).catch(() => snapshot ?? null);
      if (!live) break;
      // A read started before the last event may return an older record: read once more.
      if (stale) continue;
      const shown = withProgress(next, progress);
      // The same stored version as shown: keep the object React has, and render nothing.
      if (shown === null || snapshot == null || !sameTask(shown, snapshot)) publish(shown);
    } while (stale && live);
    reading = false;
  };

  const onSignal = (signal: { type: string; attempt: number; progress?: number }) => {
    if (signal.type === "task.progress" && signal.progress !== undefined) {
      progress = { attempt: signal.attempt, value: signal.progress };
      if (snapshot != null && !reading) publish(withProgress(snapshot, progress));
      else void read();
      return;
    }
    void read();
  };

  let stop: (() => void) | undefined;
  return {
    subscribe(onChange) {
      listeners.add(onChange);
      if (stop === undefined) {
        live = true;
        stop = watch(errand, id, onSignal);
        void read();
      }
      return () => {
        listeners.delete(onChange);
        if (listeners.size > 0 || stop === undefined) return;
        live = false;
        stop();
        stop = undefined;
      };
    },
    getSnapshot: () => snapshot,
  };
}

async function readTask(errand: ErrandSource, id: string): Promise<TaskInfo | null> {
  return (await errand.get(id)) ?? null;
}

/** `task` with the progress last reported for its current attempt, which is only in events. */
function withProgress(
  task: TaskInfo | null,
  progress: { attempt: number; value: number } | undefined,
): TaskInfo | null {
  if (task === null || task.where === "edge" || progress === undefined) return task;
  if (task.state !== "running" || task.attempts !== progress.attempt || task.progress === progress.value)
    return task;
  return { ...task, progress: progress.value };
}
