/**
 * The demo's flaky workload: fails with probability `failureRate` (0..1), decided by `random`,
 * after a short pause; the page's slider sets the rate so a person can watch retries,
 * backoff and the dead-letter set.
 */
export async function flakyStep(
  failureRate: number,
  options: { delayMs?: number; random?: () => number; signal?: AbortSignal } = {},
): Promise<"ok"> {
  if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError("failureRate must be between 0 and 1");
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, options.delayMs ?? 300);
    options.signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(options.signal?.reason);
    });
  });
  if ((options.random ?? Math.random)() < failureRate) throw new Error("flaky: simulated failure");
  return "ok";
}
