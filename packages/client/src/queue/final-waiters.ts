/**
 * Waiting for something stored to reach a final state, whichever tab finished it: callers
 * register a re-check per id, and the runtime and the sync call `notify(id)` on every change
 * they commit or hear from another tab. A notification that carries the committed record is
 * settled from it without a read (the common case: this context finished the task); otherwise
 * reads are serialised per waiter, so a burst of notifications costs at most one extra read.
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
  readonly #checks = new Map<string, Set<(known?: unknown) => void>>();
  /** Every open waiter's way out, for {@link rejectAll}. */
  readonly #open = new Set<(error: unknown) => void>();

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
        this.#open.delete(fail);
      };
      const fail = (error: unknown) => {
        finish();
        reject(error);
      };
      const check = (known?: unknown) => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        // `known` is the record just committed under `id`: the same kind `read` returns.
        (known === undefined ? read() : Promise.resolve(known as T)).then(
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
      this.#open.add(fail);
      check();
    });
  }

  /** `id` may have reached a final state; `record` is its state just committed, when known. */
  notify(id: string, record?: unknown): void {
    for (const check of this.#checks.get(id) ?? []) check(record);
  }

  /** Anything may have changed (a purge, a sign-out, a reconnect): every waiter reads again. */
  notifyAll(): void {
    for (const id of [...this.#checks.keys()]) this.notify(id);
  }

  /** Nothing will be notified any more (the runtime closed): every open waiter rejects with `error`. */
  rejectAll(error: unknown): void {
    for (const fail of [...this.#open]) fail(error);
  }
}
