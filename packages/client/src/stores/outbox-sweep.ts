/**
 * The retention sweep of the sync's stores, apart from {@link OutboxStore}: every runtime sweeps
 * them (an app may have dropped its `edge` option since it last wrote there), and a runtime
 * without `edge` should load none of the sync's code for it.
 */

import { type QueueDb, sweepFinished } from "./db.ts";
import { toStorageError } from "./storage-error.ts";
import type { RetentionMs } from "./store.ts";

/** Removes final edge tasks and finished queued requests past their retention; returns how many. */
export async function sweepOutbox(db: QueueDb, now: number, retention: RetentionMs): Promise<number> {
  try {
    return await sweepFinished(db, ["outbox", "requests"], now, retention);
  } catch (error) {
    throw toStorageError(error, "Sweeping finished edge tasks and requests");
  }
}
