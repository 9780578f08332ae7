/**
 * What a pass does when its one transaction failed as a whole. A transaction aborts for one
 * request's sake (a result too large for the quota, `QuotaExceededError`) or for none in
 * particular (Chromium's transient `UnknownError`), and takes every change of the group with it:
 * outcomes, renewals, releases. Committed again one transaction each, a transient failure costs
 * nothing, and one change the store cannot take fails only itself.
 *
 * Inputs: the store and the changes of the failed pass. Output: the first failure that remained,
 * if any; every change that failed again is rejected with that same error object, so the
 * scheduler reports the pass's failure once, not once per change. A success whose record does not
 * fit the quota is answered as {@link NOT_STORABLE}, the path of a result structured clone
 * refuses: its attempt then commits a failure (`result_not_storable`) instead.
 */

import { ErrandError } from "@errand/core";
import { NOT_STORABLE, type TaskStore } from "../stores/store.ts";
import type { PendingChange } from "./commit-queue.ts";

/** Commits each of `changes` in a transaction of its own; resolves with the first failure left. */
export async function commitSingly(store: TaskStore, changes: readonly PendingChange[]): Promise<unknown> {
  // Issued together: the store runs them one after the other, without a round trip between.
  const answers = await Promise.allSettled(changes.map((one) => store.commit([one.change])));
  let failure: unknown;
  for (const [i, answer] of answers.entries()) {
    const one = changes[i] as PendingChange;
    if (answer.status === "fulfilled") one.resolve(answer.value.applied[0] as never);
    else if (one.change.event.type === "succeed" && isQuotaExceeded(answer.reason)) {
      one.resolve({ ok: false, error: overQuota(one.change.id, answer.reason) });
    } else {
      failure ??= answer.reason;
      one.reject(failure);
    }
  }
  return failure;
}

function isQuotaExceeded(error: unknown): boolean {
  return error instanceof ErrandError && error.code === "quota_exceeded";
}

function overQuota(id: string, cause: unknown): ErrandError {
  return new ErrandError(NOT_STORABLE, `Task ${id} cannot be stored: it does not fit the storage quota`, {
    retryable: false,
    details: { id },
    cause,
  });
}
