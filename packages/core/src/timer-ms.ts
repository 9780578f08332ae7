/**
 * Durations that end up in a timer (`setTimeout`, `setInterval`). Browsers and Workers keep a
 * timer's delay in a signed 32-bit integer: a longer one overflows and fires at once (HTML,
 * "timer initialization steps"), so a 30-day attempt timeout would fail every attempt at its
 * start. Every such option is checked here, in one place, and refused at create or enqueue time.
 */

/** Longest delay a timer keeps: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The problem with a delay over {@link MAX_TIMER_MS} (the retry policy's schema says it too). */
export const TOO_LONG_FOR_A_TIMER = `must be at most ${MAX_TIMER_MS} ms (the longest timer delay)`;

/**
 * Why `value` is not a timer delay, or `undefined` when it is one: a finite number of
 * milliseconds above 0 (at least 0 with `zero: true`) and at most {@link MAX_TIMER_MS}.
 *
 * @example
 * ```ts
 * timerMsProblem(2 ** 31) // "must be at most 2147483647 ms (the longest timer delay)"
 * timerMsProblem(0, { zero: true }) // undefined
 * ```
 */
export function timerMsProblem(value: unknown, options: { zero?: boolean } = {}): string | undefined {
  const floor = options.zero === true ? "≥ 0" : "> 0";
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    (options.zero === true ? value < 0 : value <= 0)
  )
    return `must be a finite number of milliseconds ${floor}`;
  if (value > MAX_TIMER_MS) return TOO_LONG_FOR_A_TIMER;
  return undefined;
}
