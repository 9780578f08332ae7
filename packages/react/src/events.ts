/** A subscription to every per-task event of a runtime at once. */

import { type Errand, TASK_EVENT_TYPES, type TaskEventType } from "@errand/client";
import type { TaskMap } from "@errand/core";

/** What the stores read from a runtime: none of it depends on the task map. */
export type ErrandSource = Pick<Errand<TaskMap>, "on" | "get" | "list" | "stats">;

/** What a listener hears: which task, through which event, and what the event said. */
export interface TaskSignal {
  readonly type: TaskEventType;
  readonly id: string;
  readonly taskType: string;
  readonly attempt: number;
  readonly progress?: number;
}

/**
 * Calls `listener` for every task event about task `id` (local or edge), or about any task when `id`
 * is undefined; returns the function that stops it. A runtime has one listener per event type
 * however many hooks watch it, and an event reaches only the watchers of its task: a thousand
 * rows cost one map lookup per event, not a thousand listener calls.
 *
 * @example
 * ```ts
 * const stop = watch(errand, id, (signal) => console.log(signal.type));
 * ```
 */
export function watch(
  errand: ErrandSource,
  id: string | undefined,
  listener: (signal: TaskSignal) => void,
): () => void {
  let router = routers.get(errand);
  if (router === undefined) {
    router = new Router(errand);
    routers.set(errand, router);
  }
  return router.add(id, listener);
}

const routers = new WeakMap<ErrandSource, Router>();
const ANY = Symbol("any task");

class Router {
  readonly #errand: ErrandSource;
  readonly #watchers = new Map<string | typeof ANY, Set<(signal: TaskSignal) => void>>();
  #stop: (() => void) | undefined;

  constructor(errand: ErrandSource) {
    this.#errand = errand;
  }

  add(id: string | undefined, listener: (signal: TaskSignal) => void): () => void {
    const key = id ?? ANY;
    let set = this.#watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    // A listener function may watch twice (two hooks sharing one): each watch is its own entry.
    const entry = (signal: TaskSignal) => listener(signal);
    set.add(entry);
    this.#stop ??= this.#listen();
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#watchers.get(key) === set) this.#watchers.delete(key);
      if (this.#watchers.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  }

  #listen(): () => void {
    const offs = TASK_EVENT_TYPES.map((type) =>
      this.#errand.on(type, (detail) => {
        const signal: TaskSignal = {
          type,
          id: detail.id,
          taskType: detail.type,
          attempt: detail.attempt,
          ...("progress" in detail && detail.progress !== undefined ? { progress: detail.progress } : {}),
        };
        for (const watcher of this.#watchers.get(detail.id) ?? []) watcher(signal);
        for (const watcher of this.#watchers.get(ANY) ?? []) watcher(signal);
      }),
    );
    return () => {
      for (const off of offs) off();
    };
  }
}
