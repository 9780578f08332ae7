import type { Errand, TaskInfo } from "@errand/client";
import type { DemoTasks } from "./tasks.ts";

/**
 * The page's view of the queue: the latest record of every task it has seen, kept current
 * from the runtime's events (this tab's and other tabs'), with listeners per change.
 */
export class TaskBoard {
  readonly #tasks = new Map<string, TaskInfo>();
  readonly #listeners = new Set<() => void>();
  readonly #finishedAt: number[] = [];
  #retries = 0;
  #scheduled = false;

  constructor(readonly errand: Errand<DemoTasks>) {
    const refresh = (detail: { id: string }) => void this.#refresh(detail.id);
    for (const type of [
      "task.enqueued",
      "task.started",
      "task.succeeded",
      "task.dead",
      "task.cancelled",
      "task.replayed",
      "task.released",
    ] as const) {
      errand.on(type, refresh);
    }
    errand.on("task.retrying", (detail) => {
      this.#retries++;
      void this.#refresh(detail.id);
    });
    errand.on("task.progress", (detail) => {
      const known = this.#tasks.get(detail.id);
      if (known && detail.progress !== undefined)
        this.#tasks.set(detail.id, { ...known, progress: detail.progress });
      this.#changed();
    });
    errand.on("task.succeeded", () => this.#finishedAt.push(Date.now()));
  }

  /** Loads what the database already holds (after a reload: tasks resume where they were). */
  async load(): Promise<void> {
    for (const task of await this.errand.list()) this.#tasks.set(task.id, task);
    this.#changed();
  }

  /** Tasks of `types`, newest first. */
  tasks(types?: readonly string[]): TaskInfo[] {
    return [...this.#tasks.values()]
      .filter((task) => !types || types.includes(task.type))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Tasks that succeeded per second over the last `windowMs`. */
  throughput(windowMs = 10_000): number {
    const since = Date.now() - windowMs;
    while ((this.#finishedAt[0] ?? Number.POSITIVE_INFINITY) < since) this.#finishedAt.shift();
    return this.#finishedAt.length / (windowMs / 1000);
  }

  /** Retries scheduled since the page loaded. */
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
