/** The pool's options, checked once, with their defaults applied. Pure. */

import {
  backoffDelay,
  type SerializedError,
  timerMsProblem,
  ValidationError,
  type ValidationIssue,
} from "@errand/core";
import { loadFailureMessage, WORKER_PATTERN } from "./load-failure.ts";

/**
 * Options of `createWorkerPool`. Give exactly one of `createWorker` and `url`.
 *
 * @example
 * ```ts
 * // Written out like this, Vite and webpack 5 build the worker, in dev and production.
 * const options: WorkerPoolOptions = {
 *   createWorker: () => new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" }),
 *   size: 2,
 * };
 * ```
 */
export interface WorkerPoolOptions {
  /**
   * Builds one worker. Write `new Worker(new URL("./tasks.worker.ts", import.meta.url), { type:
   * "module" })` in it, as is: that is the form bundlers recognise and build.
   */
  readonly createWorker?: () => Worker;
  /**
   * The URL of an already built module worker script (say, one in `public/`); the pool starts
   * each worker with `{ type: "module" }`. Bundlers do not build a script given this way: for a
   * worker in your sources, use `createWorker`.
   */
  readonly url?: string | URL;
  /** How many workers at most; `max(1, navigator.hardwareConcurrency - 1)` when absent. */
  readonly size?: number;
  /** How many attempts one worker runs at once (for async handlers); 1 when absent. */
  readonly concurrencyPerWorker?: number;
  /** Start every worker now, and restart one that stops, instead of on demand. */
  readonly prewarm?: boolean;
  /** Stop a worker that has run nothing for this long; never when absent. */
  readonly idleTimeoutMs?: number;
  /**
   * How long a handler whose signal was aborted (cancel, timeout) may take to stop before its
   * worker is terminated and replaced; 1,000 ms when absent. The attempt's outcome waits for
   * this too: a handler that ignores its signal fails `graceMs` after its timeout, not at it.
   */
  readonly graceMs?: number;
  /** How long a new worker may take to call `expose`; 30,000 ms when absent. */
  readonly startTimeoutMs?: number;
  /**
   * Delay before restarting a worker after consecutive crashes: the first restart waits
   * `baseMs`, each further one twice as long, up to `maxMs`. `{ baseMs: 100, maxMs: 30_000 }` when
   * absent. A task that completes resets the count.
   */
  readonly restartBackoff?: { readonly baseMs: number; readonly maxMs: number };
}

/** {@link WorkerPoolOptions} with defaults applied. */
export interface PoolSettings {
  readonly createWorker: (index: number) => Worker;
  /** The crash message for a worker whose script does not load. */
  readonly loadFailure: string;
  readonly size: number;
  readonly concurrencyPerWorker: number;
  readonly prewarm: boolean;
  readonly idleTimeoutMs: number | undefined;
  readonly graceMs: number;
  readonly startTimeoutMs: number;
  readonly restartBackoff: { readonly baseMs: number; readonly maxMs: number };
}

const DEFAULT_GRACE_MS = 1_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_RESTART_BACKOFF = { baseMs: 100, maxMs: 30_000 };

/**
 * Checks `options` and applies defaults; `hardwareConcurrency` is `navigator.hardwareConcurrency`.
 *
 * @throws {ValidationError} listing every bad option, e.g. both or neither of `url` and
 *   `createWorker`, a size that is not an integer ≥ 1, a duration over `MAX_TIMER_MS`
 *   (setTimeout's limit), or a `startTimeoutMs` of 0.
 */
export function resolvePoolOptions(options: WorkerPoolOptions, hardwareConcurrency: number): PoolSettings {
  const issues: ValidationIssue[] = [];
  const { url, createWorker } = options;
  if ((url === undefined) === (createWorker === undefined)) {
    issues.push({ path: "url", message: "give exactly one of url and createWorker" });
  } else if (createWorker !== undefined && typeof createWorker !== "function") {
    issues.push({ path: "createWorker", message: "must be a function returning a Worker" });
  } else if (url !== undefined && typeof url !== "string" && !(url instanceof URL)) {
    issues.push({ path: "url", message: "must be a string or a URL" });
  } else if (url !== undefined && String(url).startsWith("data:video/mp2t")) {
    // What `vite build` makes of `new URL("./x.ts", import.meta.url)` outside `new Worker(...)`.
    issues.push({
      path: "url",
      message: `is TypeScript source inlined by a bundler, which no browser runs: pass { ${WORKER_PATTERN} } instead`,
    });
  }
  const fallbackSize = Math.max(1, (Number.isInteger(hardwareConcurrency) ? hardwareConcurrency : 2) - 1);
  const size = integerOption(options.size, fallbackSize, "size", 1, issues);
  const concurrencyPerWorker = integerOption(
    options.concurrencyPerWorker,
    1,
    "concurrencyPerWorker",
    1,
    issues,
  );
  const idleTimeoutMs =
    options.idleTimeoutMs === undefined
      ? undefined
      : msOption(options.idleTimeoutMs, 0, "idleTimeoutMs", issues);
  const graceMs = msOption(options.graceMs, DEFAULT_GRACE_MS, "graceMs", issues);
  // 0 would fail every worker's start before its script could load.
  const startTimeoutMs = msOption(
    options.startTimeoutMs,
    DEFAULT_START_TIMEOUT_MS,
    "startTimeoutMs",
    issues,
    false,
  );
  const backoff = options.restartBackoff ?? DEFAULT_RESTART_BACKOFF;
  const baseMs = msOption(backoff.baseMs, 0, "restartBackoff.baseMs", issues);
  const maxMs = msOption(backoff.maxMs, 0, "restartBackoff.maxMs", issues);
  if (options.prewarm !== undefined && typeof options.prewarm !== "boolean") {
    issues.push({ path: "prewarm", message: "must be a boolean" });
  }
  if (issues.length > 0) {
    const list = issues.map((i) => `${i.path} ${i.message}`).join("; ");
    throw new ValidationError(`Invalid worker pool options: ${list}`, issues);
  }
  return {
    createWorker:
      createWorker ??
      ((index) => new Worker(url as string | URL, { type: "module", name: `errand-${index}` })),
    loadFailure: loadFailureMessage(createWorker === undefined ? String(url) : undefined),
    size,
    concurrencyPerWorker,
    prewarm: options.prewarm ?? false,
    idleTimeoutMs,
    graceMs,
    startTimeoutMs,
    restartBackoff: { baseMs, maxMs: Math.max(baseMs, maxMs) },
  };
}

/**
 * How long to wait before starting a worker after `failures` consecutive crashes: 0 after none,
 * then `baseMs`, doubling up to `maxMs`, so a script that always throws at load restarts ever
 * more slowly instead of spinning.
 */
export function restartDelay(failures: number, backoff: PoolSettings["restartBackoff"]): number {
  if (failures < 1) return 0;
  return backoffDelay({ kind: "exponential", ...backoff, jitter: "none" }, failures, CRASH);
}

const CRASH: SerializedError = {
  name: "WorkerCrashedError",
  message: "The worker crashed",
  code: "worker_crashed",
  retryable: true,
};

function integerOption(
  value: unknown,
  fallback: number,
  path: string,
  min: number,
  issues: ValidationIssue[],
): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= min) return value;
  issues.push({ path, message: `must be an integer ≥ ${min}, got ${String(value)}` });
  return fallback;
}

/** A duration the pool waits for with a timer: at most `MAX_TIMER_MS`, 0 allowed unless `zero` is false. */
function msOption(
  value: unknown,
  fallback: number,
  path: string,
  issues: ValidationIssue[],
  zero = true,
): number {
  if (value === undefined) return fallback;
  const problem = timerMsProblem(value, { zero });
  if (problem === undefined) return value as number;
  issues.push({ path, message: `${problem}, got ${String(value)}` });
  return fallback;
}
