/**
 * The Web Worker pool: an `Executor` that runs attempts on up to `size` module workers, each
 * taking up to `concurrencyPerWorker` at once. Workers start on demand (or all at once with
 * `prewarm`), stop when idle (`idleTimeoutMs`), and are replaced when they crash, after a
 * restart backoff that grows with consecutive crashes so a script that always fails cannot spin.
 */

import { CancelledError, ErrandError, isErrandError, WorkerCrashedError } from "@errand/core";
import type { ExecutionHooks, ExecutionOutcome, ExecutionRequest, Executor } from "../lifecycle/executor.ts";
import { sleep, untilAborted } from "../utils/abortable-wait.ts";
import { failed, runAttempt } from "./attempt.ts";
import { checkRequest } from "./check-request.ts";
import {
  type PoolSettings,
  resolvePoolOptions,
  restartDelay,
  type WorkerPoolOptions,
} from "./pool-options.ts";
import { type ExitCause, PoolWorker } from "./pool-worker.ts";

/** An {@link Executor} backed by Web Workers, with counters for monitoring and tests. */
export interface WorkerPool extends Executor {
  /** A snapshot of the pool's state. */
  stats(): WorkerPoolStats;
}

/** What {@link WorkerPool.stats} reports. */
export interface WorkerPoolStats {
  /** Slots in all: `size × concurrencyPerWorker`. */
  readonly capacity: number;
  /** Attempts holding a slot (starting a worker, running, or stopping). */
  readonly active: number;
  /** Calls to `execute` waiting for a slot (only when called past `freeSlots`). */
  readonly waiting: number;
  /** Workers alive now, started or starting. */
  readonly workers: number;
  /** Workers started since the pool was created, replacements included. */
  readonly started: number;
  /** Workers that died on their own (threw at load or later, closed themselves, were killed by the browser). */
  readonly crashed: number;
  /** Workers the pool terminated because a handler ignored its abort signal past the grace period. */
  readonly killed: number;
}

/**
 * Creates a Web Worker pool. The worker script calls `expose` from `@errand/client/worker`.
 * Pass it as `executor` to the runtime, or call `execute` yourself.
 *
 * @throws {ValidationError} when the options are invalid (see {@link WorkerPoolOptions}).
 * @example
 * ```ts
 * const pool = createWorkerPool({
 *   url: new URL("./tasks.worker.ts", import.meta.url),
 *   size: 2,
 *   idleTimeoutMs: 60_000,
 * });
 * const outcome = await pool.execute(
 *   { id, type: "hash", payload: { bytes }, attempt: 1, version: 1, timeoutMs: 10_000, transfer: [bytes] },
 *   { progress: (p) => console.log(p) },
 *   AbortSignal.timeout(60_000),
 * );
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const settings = resolvePoolOptions(options, globalThis.navigator?.hardwareConcurrency ?? 2);
  return new Pool(settings);
}

class Pool implements WorkerPool {
  readonly #settings: PoolSettings;
  readonly #lanes: Lane[];
  readonly #capacity: number;
  readonly #waiting: Waiter[] = [];
  readonly #slotListeners = new Set<() => void>();
  readonly #closing = new AbortController();
  #active = 0;
  #calls = 0;
  #started = 0;
  #crashed = 0;
  #killed = 0;

  constructor(settings: PoolSettings) {
    this.#settings = settings;
    this.#capacity = settings.size * settings.concurrencyPerWorker;
    this.#lanes = Array.from({ length: settings.size }, (_, index) => ({
      index,
      worker: undefined,
      starting: undefined,
      active: 0,
      failures: 0,
      idleTimer: undefined,
    }));
    if (settings.prewarm) for (const lane of this.#lanes) this.#warm(lane);
  }

  get freeSlots(): number {
    if (this.#closing.signal.aborted) return 0;
    return Math.max(0, this.#capacity - this.#active - this.#waiting.length);
  }

  async execute(
    request: ExecutionRequest,
    hooks: ExecutionHooks,
    signal: AbortSignal,
  ): Promise<ExecutionOutcome> {
    if (this.#closing.signal.aborted) return failed(poolClosed());
    const invalid = checkRequest(request);
    if (invalid !== undefined) return failed(invalid);
    if (signal.aborted) return failed(new CancelledError());
    const lane = this.#claimLane() ?? (await this.#waitForLane(signal));
    if (lane === undefined) return failed(this.#closing.signal.aborted ? poolClosed() : new CancelledError());
    try {
      // The common case, a lane whose worker is up, takes no detour through promises.
      const current = lane.worker;
      const worker = current?.isReady ? current : await untilAborted(this.#workerFor(lane), signal);
      if (worker === undefined) return failed(new CancelledError());
      const outcome = await runAttempt(worker, ++this.#calls, request, hooks, signal, this.#settings.graceMs);
      // A worker that finished an attempt and lives on has proven its script loads and runs.
      if (worker.isReady) lane.failures = 0;
      return outcome;
    } catch (error) {
      return failed(isErrandError(error) ? error : new WorkerCrashedError(String(error)));
    } finally {
      this.#release(lane);
    }
  }

  onSlotFree(listener: () => void): () => void {
    this.#slotListeners.add(listener);
    return () => this.#slotListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    for (const waiter of this.#waiting.splice(0)) waiter.grant(undefined);
    for (const lane of this.#lanes) {
      clearTimeout(lane.idleTimer);
      lane.worker?.terminate("The worker pool was closed", "retired");
    }
    this.#slotListeners.clear();
  }

  stats(): WorkerPoolStats {
    return {
      capacity: this.#capacity,
      active: this.#active,
      waiting: this.#waiting.length,
      workers: this.#lanes.filter((lane) => lane.worker?.alive === true).length,
      started: this.#started,
      crashed: this.#crashed,
      killed: this.#killed,
    };
  }

  /** Takes a slot on the best lane: a ready worker with the fewest attempts, else one to start. */
  #claimLane(): Lane | undefined {
    let best: Lane | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const lane of this.#lanes) {
      if (lane.active >= this.#settings.concurrencyPerWorker) continue;
      // Ready workers first; among them the least busy; lanes in restart backoff last.
      const readiness = lane.worker?.isReady ? 0 : lane.failures === 0 ? 1 : 2;
      const score = readiness * this.#capacity + lane.active;
      if (score < bestScore) {
        best = lane;
        bestScore = score;
      }
    }
    if (best !== undefined) this.#occupy(best);
    return best;
  }

  #occupy(lane: Lane): void {
    lane.active += 1;
    this.#active += 1;
    clearTimeout(lane.idleTimer);
    lane.idleTimer = undefined;
  }

  #waitForLane(signal: AbortSignal): Promise<Lane | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (lane) => {
          signal.removeEventListener("abort", onAbort);
          resolve(lane);
        },
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(undefined);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Frees a slot: hands it to the oldest waiter, or tells the listeners it is free. */
  #release(lane: Lane): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next.grant(lane);
      return;
    }
    lane.active -= 1;
    this.#active -= 1;
    if (lane.active === 0) this.#armIdleTimer(lane);
    if (this.#closing.signal.aborted) return;
    for (const listener of [...this.#slotListeners]) {
      try {
        listener();
      } catch (error) {
        reportError(error);
      }
    }
  }

  #armIdleTimer(lane: Lane): void {
    const { idleTimeoutMs } = this.#settings;
    const worker = lane.worker;
    if (idleTimeoutMs === undefined || worker === undefined || this.#closing.signal.aborted) return;
    lane.idleTimer = setTimeout(() => {
      if (lane.active === 0 && lane.worker === worker) {
        worker.terminate(`The worker was idle for ${idleTimeoutMs} ms`, "retired");
      }
    }, idleTimeoutMs);
  }

  /** The lane's ready worker, starting one (after the restart backoff) when it has none. */
  #workerFor(lane: Lane): Promise<PoolWorker> {
    const current = lane.worker;
    if (current?.alive) return current.ready.then(() => current);
    lane.starting ??= this.#startWorker(lane).finally(() => {
      lane.starting = undefined;
    });
    return lane.starting;
  }

  async #startWorker(lane: Lane): Promise<PoolWorker> {
    await sleep(restartDelay(lane.failures, this.#settings.restartBackoff), this.#closing.signal);
    if (this.#closing.signal.aborted) throw poolClosed();
    const { createWorker, startTimeoutMs, loadFailure } = this.#settings;
    const worker = new PoolWorker({ create: () => createWorker(lane.index), startTimeoutMs, loadFailure });
    lane.worker = worker;
    this.#started += 1;
    worker.onExit((cause) => this.#onExit(lane, worker, cause));
    await worker.ready;
    return worker;
  }

  #onExit(lane: Lane, worker: PoolWorker, cause: ExitCause): void {
    if (lane.worker === worker) lane.worker = undefined;
    clearTimeout(lane.idleTimer);
    lane.idleTimer = undefined;
    if (cause === "crashed") {
      this.#crashed += 1;
      lane.failures += 1;
    } else if (cause === "killed") {
      this.#killed += 1;
    }
    if (cause !== "retired") this.#warm(lane);
  }

  /** With `prewarm`, keeps a worker started on `lane` (replacements wait out the backoff). */
  #warm(lane: Lane): void {
    if (!this.#settings.prewarm || this.#closing.signal.aborted) return;
    this.#workerFor(lane).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Types and helpers

/** One worker position: at most one worker at a time, replaced when it exits. */
interface Lane {
  readonly index: number;
  worker: PoolWorker | undefined;
  starting: Promise<PoolWorker> | undefined;
  active: number;
  /** Crashes since the last completed attempt; drives the restart backoff. */
  failures: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Waiter {
  grant(lane: Lane | undefined): void;
}

function poolClosed(): ErrandError {
  return new ErrandError("pool_closed", "The worker pool is closed", { retryable: true });
}
