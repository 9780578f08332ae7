/**
 * The options of `createErrand`, their defaults, and their validation (pure, node-tested).
 */

import {
  type RetryPolicy,
  resolvePolicy,
  type TaskMap,
  type TaskType,
  timerMsProblem,
  ValidationError,
  type ValidationIssue,
} from "@errand/core";
import type { Executor } from "../lifecycle/executor.ts";
import type { Handlers } from "../pool/main-thread-executor.ts";
import type { WorkerPoolOptions } from "../pool/pool-options.ts";
import type { RetentionMs } from "../stores/store.ts";
import type { EdgeOptions } from "./edge-options.ts";

/** Options of `createErrand`. */
export interface ErrandOptions<M extends TaskMap> {
  /** The app's task types (`defineTasks`), with handler versions. */
  readonly tasks: M;
  /** Handlers to run on this thread; ignored when `executor` is given. */
  readonly handlers?: Handlers<M>;
  /** What runs tasks (the Web Worker pool, or your own). Without it and `handlers`, this runtime only enqueues. */
  readonly executor?: Executor;
  /**
   * Run tasks on a Web Worker pool. Give a function that makes one worker, written exactly as
   * below: Vite and webpack 5 build a worker script only from that form, in dev and in
   * production. The script calls `expose` from `@errand/client/worker`. The pool's full options
   * (`WorkerPoolOptions`) or the URL of an already built script work too. `concurrency`, when
   * given, is the number of workers; else one fewer than the cores, at least 1. Ignored when
   * `executor` is given.
   *
   * @example
   * ```ts
   * const errand = await createErrand({
   *   tasks,
   *   worker: () => new Worker(new URL("./tasks.worker.ts", import.meta.url), { type: "module" }),
   * });
   * ```
   */
  readonly worker?: (() => Worker) | WorkerPoolOptions | string | URL;
  /** Attempts at a time on the main-thread executor; 4 by default. */
  readonly concurrency?: number;
  /** The IndexedDB database name; `"errand"` by default. One queue per name per origin. */
  readonly dbName?: string;
  /** Retry policy per task type, laid over core's default; may hold functions (custom backoff, retryable). */
  readonly policies?: { readonly [K in TaskType<M>]?: Partial<RetryPolicy> };
  /** How long finished tasks are kept, per state, in ms; edge tasks and queued requests too. */
  readonly retention?: Partial<RetentionMs>;
  /** Lease length in ms; the owner renews it every third of this. 15 s by default. */
  readonly leaseMs?: number;
  /** How long an expired lease whose owner still holds its Web Lock is respected; 60 s by default. */
  readonly aliveGraceMs?: number;
  /** Longest wait between claim passes; 5 s by default (enqueues and other tabs wake it sooner). */
  readonly pollMs?: number;
  /**
   * Tasks a claim may lease beyond the free slots, to start as slots free without another
   * transaction (a broker's prefetch count). `"auto"` (the default) sizes the window from the
   * measured attempt and commit times (many short tasks, hardly any long ones, at most
   * `MAX_AUTO_WINDOW`); a number (0 to 1,000) fixes it; 0 claims only for free slots. Waiting tasks are leased
   * like running ones: another tab does not run them while this one lives, and takes them over
   * when it closes or freezes.
   */
  readonly prefetch?: number | "auto";
  /** Interval of the retention sweep; 10 min by default (it also runs at start). */
  readonly sweepMs?: number;
  /**
   * Ask for persistent storage at start (`navigator.storage.persist()`); true by default. The
   * runtime does not wait for the answer (Firefox gives it only when the person does); `stats()`
   * says whether it was granted.
   */
  readonly persist?: boolean;
  /** This runtime's owner id in leases and lock names; a random UUID by default. */
  readonly ownerId?: string;
  /** The edge to sync `target: "edge"` tasks with (runtime/edge-sync.ts). */
  readonly edge?: EdgeOptions;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly dbName: string;
  readonly concurrency: number;
  readonly retention: RetentionMs;
  readonly leaseMs: number;
  readonly aliveGraceMs: number;
  readonly pollMs: number;
  readonly prefetch: number | "auto";
  readonly sweepMs: number;
  readonly persist: boolean;
  readonly ownerId: string;
}

const DAY = 86_400_000;

/** Largest fixed prefetch window (the benchmarks tried up to this much). */
export const MAX_PREFETCH = 1_000;

/** The default prefetch window: sized from measures (see window-size.ts). */
export const DEFAULT_PREFETCH = "auto";

/**
 * How outcomes are grouped while the window feeds the slots: at most this many ms apart, or
 * this many at once. A result reaches the app this much later at worst; the commit it saves is
 * worth more than that whenever tasks are shorter than a commit.
 */
export const GROUP_COMMIT = Object.freeze({ ms: 4, every: 64 });

/** Defaults: succeeded and cancelled tasks kept 1 day, dead ones 7 days. */
export const DEFAULT_RETENTION: RetentionMs = Object.freeze({
  succeeded: DAY,
  cancelled: DAY,
  dead: 7 * DAY,
});

/**
 * `options` with defaults, checked.
 *
 * @throws {ValidationError} listing each bad option (non-positive durations, a lease, poll or
 *   sweep interval over `MAX_TIMER_MS` (setTimeout's limit), a concurrency that
 *   is not a positive integer, an empty name, an invalid per-type policy, a policy for a type
 *   that `tasks` does not define).
 */
export function resolveOptions<M extends TaskMap>(options: ErrandOptions<M>): ResolvedOptions {
  const issues: ValidationIssue[] = [];
  const positive = (name: string, value: number | undefined, fallback: number, integer = false): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value > 0) || (integer && !Number.isInteger(value))) {
      issues.push({ path: name, message: integer ? "must be a positive integer" : "must be a number > 0" });
    }
    return value;
  };
  /** A duration a timer waits for: a longer one than a timer keeps would fire at once, for ever. */
  const timer = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const problem = timerMsProblem(value);
    if (problem !== undefined) issues.push({ path: name, message: problem });
    return value;
  };
  /** A count that may be 0. */
  const count = <F>(name: string, value: number | undefined, fallback: F): number | F => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
      issues.push({ path: name, message: "must be an integer >= 0" });
    return value;
  };
  if (typeof options?.tasks !== "object" || options.tasks === null)
    issues.push({ path: "tasks", message: "is required (defineTasks)" });
  for (const [type, policy] of Object.entries(options?.policies ?? {})) {
    const tasks = options.tasks ?? {};
    if (!Object.hasOwn(tasks, type) || tasks[type] === undefined)
      issues.push({ path: `policies.${type}`, message: "names no task type" });
    try {
      resolvePolicy(policy as Partial<RetryPolicy>);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues)
        issues.push({ path: `policies.${type}.${issue.path}`, message: issue.message });
    }
  }
  const dbName = options?.dbName ?? "errand";
  if (typeof dbName !== "string" || dbName === "")
    issues.push({ path: "dbName", message: "must be a non-empty string" });
  const retention = { ...DEFAULT_RETENTION, ...options?.retention };
  for (const [state, ms] of Object.entries(retention)) positive(`retention.${state}`, ms, 0);
  // A fixed window holds every task it claims under this tab's lease, and a claim reads as many
  // records in one transaction: a bound keeps a typo from leasing a whole queue to one tab.
  if (typeof options?.prefetch === "number" && options.prefetch > MAX_PREFETCH)
    issues.push({ path: "prefetch", message: `must be at most ${MAX_PREFETCH}` });
  const resolved: ResolvedOptions = {
    dbName,
    concurrency: positive("concurrency", options?.concurrency, 4, true),
    retention,
    leaseMs: timer("leaseMs", options?.leaseMs, 15_000),
    aliveGraceMs: positive("aliveGraceMs", options?.aliveGraceMs, 60_000),
    pollMs: timer("pollMs", options?.pollMs, 5_000),
    prefetch: options?.prefetch === "auto" ? "auto" : count("prefetch", options?.prefetch, DEFAULT_PREFETCH),
    sweepMs: timer("sweepMs", options?.sweepMs, 600_000),
    persist: options?.persist ?? true,
    ownerId: options?.ownerId ?? crypto.randomUUID(),
  };
  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid createErrand options: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  return resolved;
}
