import { EDGE_TASK_EVENT_TYPES, type Errand, type OutboxRecord } from "@errand/client";
import type { DemoTasks } from "./tasks.ts";

/**
 * The page's view of its outbox: this subject's edge tasks as the runtime stores them, re-read
 * after every `edge.*` event (this tab's and other tabs'), with listeners per change.
 */
export class EdgeBoard {
  #records: OutboxRecord[] = [];
  readonly #listeners = new Set<() => void>();
  #reading = false;
  #again = false;

  constructor(readonly errand: Errand<DemoTasks>) {
    for (const type of EDGE_TASK_EVENT_TYPES) errand.on(type, () => void this.load());
    errand.on("sync.state", () => this.#changed());
  }

  /** Re-reads the outbox (one read at a time; changes during a read cause one more). */
  async load(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#again = false;
        this.#records = (await this.errand.edgeTasks()).sort((a, b) => b.seq - a.seq);
      } while (this.#again);
    } finally {
      this.#reading = false;
    }
    this.#changed();
  }

  /** Edge tasks, newest first. */
  records(): readonly OutboxRecord[] {
    return this.#records;
  }

  /** Edge tasks the edge has not accepted yet: the outbox. */
  outbox(): readonly OutboxRecord[] {
    return this.#records.filter((record) => record.state === "pending");
  }

  /** Calls `listener` after changes. */
  subscribe(listener: () => void): void {
    this.#listeners.add(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
