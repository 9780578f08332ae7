/**
 * Waiting for something stored to reach a final state, whichever tab finished it: callers
 * register a re-check per id, and the sync calls `notify(id)` on every change it commits or
 * hears from another tab. Reads are serialised per waiter, so a burst of notifications costs
 * at most one extra read.
 */

import { ErrandError } from "@errand/core";

/** What a read means: still waiting, or done with a value or an error. */
export type Settled<V> =
  | { readonly done: false }
  | { readonly done: true; readonly value: V }
  | {
      readonly done: true;
      readonly error: unknown;
    };

/** Re-checks per id. */
export class FinalWaiters {
  readonly #checks = new Map<string, Set<() => void>>();

  /**
   * Resolves once `settle(await read())` is done. A record that is not there rejects with
   * `not_found`.
   */
  wait<T, V>(id: string, read: () => Promise<T | undefined>, settle: (record: T) => Settled<V>): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let checking = false;
      let again = false;
      const finish = () => {
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
        read().then(
          (record) => {
            checking = false;
            if (record === undefined) {
              finish();
              reject(new ErrandError("not_found", `Nothing stored under ${id}`, { retryable: false }));
              return;
            }
            const settled = settle(record);
            if (settled.done) {
              finish();
              if ("error" in settled) reject(settled.error);
              else resolve(settled.value);
            } else if (again) {
              again = false;
              check();
            }
          },
          (error: unknown) => {
            checking = false;
            finish();
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

  notify(id: string): void {
    for (const check of this.#checks.get(id) ?? []) check();
  }

  notifyAll(): void {
    for (const id of [...this.#checks.keys()]) this.notify(id);
  }
}
