import {
  type EdgeTaskInfo,
  type Errand,
  type LocalTaskInfo,
  TASK_EVENT_TYPES,
  type TaskInfo,
} from "@errand/client";
import type { DemoTasks } from "./tasks.ts";

/**
 * The page's view of its tasks, local and edge: the latest view of every task it has seen,
 * kept current from the runtime's events (this tab's and other tabs'), with listeners per
 * change. An edge task's view carries its deliveries per subscription, so the edge panel needs
 * nothing else.
 */
export class TaskBoard {
  readonly #tasks = new Map<string, TaskInfo>();
  readonly #listeners = new Set<() => void>();
  readonly #finishedAt: number[] = [];
  #retries = 0;
  #scheduled = false;

  constructor(readonly errand: Errand<DemoTasks>) {
    for (const type of TASK_EVENT_TYPES) {
      if (type !== "task.progress") errand.on(type, (detail) => void this.#refresh(detail.id));
    }
    errand.on("task.retrying", (detail) => {
      if (detail.where === "local") this.#retries++;
    });
    errand.on("task.progress", (detail) => {
      const known = this.#tasks.get(detail.id);
      if (known?.where === "local" && detail.progress !== undefined)
        this.#tasks.set(detail.id, { ...known, progress: detail.progress });
      this.#changed();
    });
    errand.on("task.succeeded", (detail) => {
      if (detail.where === "local") this.#finishedAt.push(Date.now());
    });
    errand.on("sync.state", () => this.#changed());
  }

  /** Loads what the database already holds (after a reload: tasks resume where they were). */
  async load(): Promise<void> {
    for (const task of await this.errand.list()) this.#tasks.set(task.id, task);
    this.#changed();
  }

  /** Local tasks of `types`, newest first. */
  tasks(types?: readonly string[]): LocalTaskInfo[] {
    return newestFirst(
      [...this.#tasks.values()].filter(
        (task): task is LocalTaskInfo => task.where === "local" && (!types || types.includes(task.type)),
      ),
    );
  }

  /** Edge tasks, newest first. */
  edgeTasks(): EdgeTaskInfo[] {
    return newestFirst([...this.#tasks.values()].filter((task) => task.where === "edge"));
  }

  /** Edge tasks the edge has not accepted yet: the outbox. */
  outbox(): EdgeTaskInfo[] {
    return this.edgeTasks().filter((task) => task.state === "pending");
  }

  /** Local tasks that succeeded per second over the last `windowMs`. */
  throughput(windowMs = 10_000): number {
    const since = Date.now() - windowMs;
    while ((this.#finishedAt[0] ?? Number.POSITIVE_INFINITY) < since) this.#finishedAt.shift();
    return this.#finishedAt.length / (windowMs / 1000);
  }

  /** Retries of local tasks scheduled since the page loaded. */
  get retries(): number {
    return this.#retries;
  }

  /** Calls `listener` after changes (at most once per frame). */
  subscribe(listener: () => void): void {
    this.#listeners.add(listener);
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.#tasks.delete(id);
    this.#changed();
  }

  async #refresh(id: string): Promise<void> {
    const task = await this.errand.get(id);
    if (task) this.#tasks.set(id, task);
    else this.#tasks.delete(id);
    this.#changed();
  }

  #changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      for (const listener of this.#listeners) listener();
    });
  }
}

/** Ids are UUIDv7s: by id, descending, is newest first. */
function newestFirst<T extends TaskInfo>(tasks: T[]): T[] {
  return tasks.sort((a, b) => (a.id < b.id ? 1 : -1));
}
