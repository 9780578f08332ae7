/**
 * `createErrand`: opens the queue database, takes this runtime's owner lock, and starts the
 * scheduler and the retention sweep.
 */

import { ErrandError, serializeError, type TaskMap } from "@errand/core";
import { holdOwnerLock, type Liveness, ownerLockPrefix, readLiveness } from "../browser/owner-lock.ts";
import { openTabBus } from "../browser/tab-bus.ts";
import { createMainThreadExecutor } from "../pool/main-thread-executor.ts";
import { poolForWorkerOption } from "../pool/worker-option.ts";
import { Scheduler } from "../scheduler/scheduler.ts";
import { openQueueDb } from "../stores/db.ts";
import { IdbTaskStore } from "../stores/idb-task-store.ts";
import { sweepOutbox } from "../stores/outbox-sweep.ts";
import { resolveEdgeOptions } from "./edge-options.ts";
import type { Errand } from "./errand.ts";
import { Runtime } from "./runtime.ts";
import { type ErrandOptions, GROUP_COMMIT, resolveOptions } from "./runtime-options.ts";

/**
 * Starts an Errand runtime over the IndexedDB database `dbName`. Several runtimes (tabs,
 * workers) may share one database: they claim from it under leases and never run one attempt
 * twice.
 *
 * @throws {ValidationError} for bad options.
 * @throws {StorageError} `upgrade_blocked` when an older tab holds the database open, or another
 *   storage failure.
 * @example
 * ```ts
 * const tasks = defineTasks({ hash: task<{ text: string }, string>() });
 * const errand = await createErrand({ tasks, handlers: { hash: async ({ text }) => digest(text) } });
 * const handle = await errand.enqueue("hash", { text: "hello" });
 * console.log(await handle.result());
 * ```
 */
export async function createErrand<M extends TaskMap>(options: ErrandOptions<M>): Promise<Errand<M>> {
  const resolved = resolveOptions(options);
  if (options.edge !== undefined) resolveEdgeOptions(options.edge);
  // Loaded only with `edge`: an app without it never fetches the outbox, token source, status
  // stream, push loop or request replay (most of the runtime's bytes); one with it fetches them
  // while the database opens.
  const edgeSync = options.edge === undefined ? undefined : loadEdgeSync();
  // Before the database opens, so bad pool options fail without leaving a connection behind.
  const pool =
    options.executor === undefined && options.worker !== undefined
      ? poolForWorkerOption(options.worker, options.concurrency)
      : undefined;
  let runtime: Runtime<M> | undefined;
  let store: IdbTaskStore | undefined;
  const db = await openQueueDb(resolved.dbName, {
    onVersionChange(newVersion) {
      store?.markClosed("a newer version of the database was opened in another tab");
      runtime?.emitStorage("storage.versionchange", {
        message:
          "Another tab opened a newer version of the task database; this tab closed its connection. Reload to continue.",
        newVersion,
      });
    },
    onTerminated() {
      store?.markClosed("the browser closed the connection");
      runtime?.emitStorage("storage.closed", {
        message: "The browser closed the task database unexpectedly.",
      });
    },
  });
  store = new IdbTaskStore(db, resolved.dbName);
  const durable = store;
  const sync = await edgeSync?.catch((error: unknown) => {
    durable.close();
    throw error;
  });
  // Asked, not awaited: Firefox answers only once the person answers its permission prompt, which
  // may be never (headless, or a prompt ignored), and start-up must not wait on that. `stats()`
  // reports whether it was granted.
  if (resolved.persist) void globalThis.navigator?.storage?.persist?.().catch(() => false);

  const executor =
    options.executor ??
    pool ??
    (options.handlers === undefined
      ? undefined
      : createMainThreadExecutor(options.handlers, resolved.concurrency));
  const ownsExecutor = options.executor === undefined;
  const bus = openTabBus(resolved.dbName);
  const prefix = ownerLockPrefix(resolved.dbName);
  const lock = executor === undefined ? undefined : await holdOwnerLock(prefix, resolved.ownerId);
  let sweepTimer: ReturnType<typeof setInterval> | undefined;

  const errand = new Runtime<M>({
    tasks: options.tasks,
    options: resolved,
    policies: (options.policies ?? {}) as Record<string, never>,
    durable,
    sweepOutbox: (now, retention) => sweepOutbox(db, now, retention),
    bus,
    dispose: async () => {
      clearInterval(sweepTimer);
      if (ownsExecutor) await executor?.close();
      lock?.release();
      durable.close();
    },
  });
  runtime = errand;
  if (options.edge !== undefined && sync !== undefined) {
    errand.attachEdge(
      await sync.EdgeSync.start({
        db,
        dbName: resolved.dbName,
        bus,
        options: options.edge,
        defs: options.tasks,
        emit: errand.emitSync,
      }),
    );
  }
  const reportClosedOnce = onceForClosed();
  const failed = (error: unknown) => {
    const serialized = serializeError(error);
    if (reportClosedOnce(serialized.code)) {
      errand.emitStorage("storage.error", { message: serialized.message, error: serialized });
    }
  };

  if (executor !== undefined) {
    const scheduler = new Scheduler({
      slots: errand.local.slots(),
      executor,
      owner: resolved.ownerId,
      leaseMs: resolved.leaseMs,
      prefetch: resolved.prefetch,
      commitMs: GROUP_COMMIT.ms,
      commitEvery: GROUP_COMMIT.every,
      pollMs: resolved.pollMs,
      defs: options.tasks,
      policyOf: (task) => errand.local.policyOf(task),
      transferOf: (task) => errand.local.takeTransfer(task),
      liveness: recentLiveness(prefix, resolved),
      changed: (before, after) => errand.local.changed(before, after),
      emit: (type, task) => errand.local.emit(type, task),
      progress: (task, value) => errand.local.emit("task.progress", task, { progress: value }),
      leaseLost: (task, error) => errand.local.emit("task.lease_lost", task, { error }),
      failed,
    });
    errand.local.attach(scheduler);
    scheduler.wake();
  }
  const sweep = () => errand.sweep().catch(failed);
  void sweep();
  sweepTimer = setInterval(sweep, resolved.sweepMs);
  return errand;
}

/**
 * The edge sync's module. A chunk that does not load (offline before the app's files were
 * cached, or a deploy that removed it) rejects with an `ErrandError`, as every other failure of
 * `createErrand` does. Handled at once, so a database that fails to open first leaves no
 * unhandled rejection behind.
 */
function loadEdgeSync(): Promise<typeof import("./edge-sync.ts")> {
  const loading = import("./edge-sync.ts").catch((cause: unknown) => {
    throw new ErrandError("edge_unavailable", "The edge sync's code could not be loaded", {
      cause,
      retryable: true,
    });
  });
  loading.catch(() => undefined);
  return loading;
}

/** Reports `db_closed` once (every later claim pass would fail the same way), anything else always. */
function onceForClosed(): (code: string) => boolean {
  let reported = false;
  return (code) => {
    if (code !== "db_closed") return true;
    if (reported) return false;
    reported = true;
    return true;
  };
}

/**
 * `readLiveness`, reused for up to a quarter lease (at most 1 s): a lock query per claim pass is
 * a round trip to the browser process, and a pass runs after every completion. A snapshot's
 * `checkedAt` stays the time of its query, so owners that claimed since count as alive; a dead
 * owner is noticed at most that much later.
 */
function recentLiveness(
  prefix: string,
  options: { leaseMs: number; aliveGraceMs: number },
): () => Promise<Liveness> {
  const maxAgeMs = Math.min(1_000, options.leaseMs / 4);
  let snapshot: Promise<Liveness> | undefined;
  let takenAt = 0;
  return () => {
    if (snapshot === undefined || Date.now() - takenAt > maxAgeMs) {
      takenAt = Date.now();
      snapshot = readLiveness(prefix, options.aliveGraceMs);
    }
    return snapshot;
  };
}
