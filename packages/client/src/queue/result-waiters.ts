/**
 * `handle.result()`: waits for a task to reach a final state, whichever tab or worker finished
 * it and whether or not this page existed when it was enqueued. Callers register a re-check per
 * task id; the runtime calls `notify(id)` on every final event it sees (its own, or one from
 * another context over the BroadcastChannel) and `notifyAll()` when tasks were purged.
 */

import { CancelledError, deserializeError, ErrandError } from "@errand/core";
import type { TaskRecord } from "./task-record.ts";

/** Re-checks of pending `result()` calls, per task id. */
export class ResultWaiters {
  readonly #checks = new Map<string, Set<() => void>>();

  /**
   * Resolves with the result of task `id` once `read(id)` returns it in a final state; rejects
   * with its error when it went dead (the stored error, rebuilt as its Errand class), with a
   * `CancelledError` when cancelled, and with `not_found` when there is no such task.
   */
  wait(id: string, read: (id: string) => Promise<TaskRecord | undefined>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let checking = false;
      let again = false;
      const done = () => {
        const set = this.#checks.get(id);
        set?.delete(check);
        if (set?.size === 0) this.#checks.delete(id);
      };
      const check = () => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        read(id).then(
          (task) => {
            checking = false;
            if (task === undefined) {
              done();
              reject(
                new ErrandError("not_found", `No task ${id} (never enqueued, or already removed)`, {
                  retryable: false,
                }),
              );
            } else if (task.state === "succeeded") {
              done();
              resolve(task.result);
            } else if (task.state === "dead") {
              done();
              reject(
                task.error === undefined
                  ? new ErrandError("dead", `Task ${id} is dead`)
                  : deserializeError(task.error),
              );
            } else if (task.state === "cancelled") {
              done();
              reject(new CancelledError(`Task ${id} was cancelled`));
            } else if (again) {
              again = false;
              check();
            }
          },
          (error: unknown) => {
            checking = false;
            done();
            reject(error);
          },
        );
      };
      const set = this.#checks.get(id) ?? new Set();
      set.add(check);
      this.#checks.set(id, set);
      check();
    });
  }

  /** Task `id` may have reached a final state. */
  notify(id: string): void {
    for (const check of this.#checks.get(id) ?? []) check();
  }

  /** Any task may have changed (a purge, a reconnect). */
  notifyAll(): void {
    for (const id of [...this.#checks.keys()]) this.notify(id);
  }
}
