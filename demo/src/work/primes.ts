/**
 * Counts the primes below `limit` with a segmented sieve of Eratosthenes, reporting progress
 * after each segment and stopping when `signal` aborts. CPU-bound on purpose: it is the demo's
 * "keeps the page responsive" workload. It yields to the event loop between segments so that a
 * cancel (which arrives as a message) can abort it cooperatively.
 */
export async function countPrimes(
  limit: number,
  options: { segment?: number; signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<number> {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError("limit must be a non-negative integer");
  if (limit < 3) return 0;
  const segment = options.segment ?? 1 << 18;
  const root = Math.floor(Math.sqrt(limit));
  const base = smallPrimes(root);
  let count = 0;
  const marks = new Uint8Array(segment);
  for (let low = 2; low < limit; low += segment) {
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    const high = Math.min(low + segment, limit);
    marks.fill(0);
    for (const p of base) {
      let start = Math.max(p * p, Math.ceil(low / p) * p);
      for (; start < high; start += p) marks[start - low] = 1;
    }
    for (let i = 0; i < high - low; i++) if (marks[i] === 0) count++;
    options.onProgress?.(high / limit);
  }
  return count;
}

function smallPrimes(max: number): number[] {
  const sieve = new Uint8Array(max + 1);
  const primes: number[] = [];
  for (let i = 2; i <= max; i++) {
    if (sieve[i] === 1) continue;
    primes.push(i);
    for (let j = i * i; j <= max; j += i) sieve[j] = 1;
  }
  return primes;
}

/** Lets queued messages (a cancel) run between chunks of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
