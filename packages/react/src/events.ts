/**
 * The runtime's per-task event types as values, and a subscription to all of them at once. The
 * client exports these types as types only; the lists here are checked against them, so a new
 * event type the client adds fails to compile until it is listed.
 */

import type { EdgeTaskEventType, Errand, TaskEventType } from "@errand/client";
import type { TaskMap } from "@errand/core";

/** Every `task.*` event: each is about one local task. */
export const TASK_EVENTS = [
  "task.enqueued",
  "task.started",
  "task.progress",
  "task.succeeded",
  "task.failed",
  "task.retrying",
  "task.dead",
  "task.cancelled",
  "task.replayed",
  "task.released",
  "task.lease_lost",
] as const satisfies readonly TaskEventType[];

/** Every `edge.*` event: each is about one edge task. */
export const EDGE_EVENTS = [
  "edge.enqueued",
  "edge.sent",
  "edge.retrying",
  "edge.succeeded",
  "edge.dead",
  "edge.cancelled",
  "edge.status",
] as const satisfies readonly EdgeTaskEventType[];

/** What the stores read from a runtime: none of it depends on the task map. */
export type ErrandSource = Pick<Errand<TaskMap>, "on" | "get" | "list" | "stats" | "edgeTask">;

/** What a listener hears: which task, through which event, and what the event said. */
export interface TaskSignal {
  readonly type: TaskEventType | EdgeTaskEventType;
  readonly id: string;
  readonly taskType: string;
  readonly attempt: number;
  readonly progress?: number;
}

/**
 * Calls `listener` for every task and edge event about task `id`, or about any task when `id`
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
    const offs = [...TASK_EVENTS, ...EDGE_EVENTS].map((type) =>
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

type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : Exclude<All, Listed>;
// Compile-time: each list names every event type of its kind.
const _allTask: Missing<TaskEventType, (typeof TASK_EVENTS)[number]> = true;
const _allEdge: Missing<EdgeTaskEventType, (typeof EDGE_EVENTS)[number]> = true;
void _allTask;
void _allEdge;
