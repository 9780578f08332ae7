/**
 * How many tasks the prefetch window may hold, from what this context measured (`prefetch:
 * "auto"`, the default). A window exists to keep the slots busy while a commit (an outcome group
 * and the claim that refills the window) is in flight, so it needs about as many tasks as the
 * slots finish in two commits: `slots × 2 × commit time ÷ attempt time`. Short tasks get a large
 * window and many tasks a commit; tasks longer than a commit get almost none, so a tab does not
 * hold back work that another tab's free slots could run now, and a later higher-priority task
 * waits behind few.
 */

/** Most tasks an automatic window holds, whatever the measures say. */
export const MAX_AUTO_WINDOW = 256;

/** Weight of the newest sample in the moving averages. */
const WEIGHT = 0.2;

/** Moving averages of attempt and commit times, and the window they call for. */
export class WindowSize {
  readonly #fixed: number | undefined;
  #attemptMs: number | undefined;
  #commitMs: number | undefined;

  /** `prefetch`: a fixed window, or "auto" to size it from the measures. */
  constructor(prefetch: number | "auto") {
    this.#fixed = prefetch === "auto" ? undefined : prefetch;
  }

  /** An attempt ran `ms`, from its start to its outcome. */
  attempt(ms: number): void {
    this.#attemptMs = average(this.#attemptMs, ms);
  }

  /** A pass's transaction took `ms`. */
  commit(ms: number): void {
    this.#commitMs = average(this.#commitMs, ms);
  }

  /** The window for `slots` slots: until both are measured, one task per slot. */
  of(slots: number): number {
    if (this.#fixed !== undefined) return this.#fixed;
    if (this.#attemptMs === undefined || this.#commitMs === undefined) return slots;
    // A floor under the attempt time: a no-op attempt measures near 0 ms.
    const wanted = Math.ceil((slots * 2 * this.#commitMs) / Math.max(this.#attemptMs, 0.05));
    return Math.min(MAX_AUTO_WINDOW, wanted);
  }
}

/**
 * How many of the `held` waiting tasks to hand back when the window's target is `target`. The
 * target falls when attempts get longer, and a window over its target claims nothing until it
 * drains, so a later higher-priority task would wait behind all of it. Within twice the target
 * nothing goes back (a measure's noise must not release and reclaim tasks pass after pass); past
 * it, everything beyond the target does.
 */
export function surplus(held: number, target: number): number {
  return held > 2 * target ? held - target : 0;
}

function average(mean: number | undefined, sample: number): number {
  return mean === undefined ? sample : mean + WEIGHT * (sample - mean);
}
