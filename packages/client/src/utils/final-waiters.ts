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

/** One open wait: read again (from `known` when given), or give up with an error. */
interface Waiter {
  check(known?: unknown): void;
  fail(error: unknown): void;
}

/** Open waits per id. */
export class FinalWaiters {
  readonly #waiters = new Map<string, Set<Waiter>>();

  /**
   * Resolves once `settle(await read())` is done. A record that is not there rejects with
   * `not_found`.
   */
  wait<T, V>(id: string, read: () => Promise<T | undefined>, settle: (record: T) => Settled<V>): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let checking = false;
      let again = false;
      const finish = () => {
        const set = this.#waiters.get(id);
        set?.delete(waiter);
        if (set?.size === 0) this.#waiters.delete(id);
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
              fail(new ErrandError("not_found", `Nothing stored under ${id}`, { retryable: false }));
              return;
            }
            const settled = settle(record);
            if (settled.done) {
              if ("error" in settled) fail(settled.error);
              else {
                finish();
                resolve(settled.value);
              }
            } else if (again) {
              again = false;
              check();
            }
          },
          (error: unknown) => {
            checking = false;
            fail(error);
          },
        );
      };
      const waiter: Waiter = { check, fail };
      const set = this.#waiters.get(id) ?? new Set();
      set.add(waiter);
      this.#waiters.set(id, set);
      check();
    });
  }

  /** `id` may have reached a final state; `record` is its state just committed, when known. */
  notify(id: string, record?: unknown): void {
    for (const waiter of this.#waiters.get(id) ?? []) waiter.check(record);
  }

  /** Anything may have changed (a purge, a sign-out, a reconnect): every waiter reads again. */
  notifyAll(): void {
    for (const id of [...this.#waiters.keys()]) this.notify(id);
  }

  /** Nothing will be notified any more (the runtime closed): every open waiter rejects with `error`. */
  rejectAll(error: unknown): void {
    for (const set of [...this.#waiters.values()]) for (const waiter of [...set]) waiter.fail(error);
  }
}
