/**
 * Group commit: calls that arrive together share one transaction. A call made while no flush
 * is running is flushed at the end of the current task (a microtask), with every call made
 * before then; calls made while a flush runs wait for it and then go out together. So a burst of
 * `enqueue()` calls costs one or two transactions instead of one each, and a lone call waits
 * for no timer.
 */

/**
 * A function that batches its calls into `flush`. `flush` gets the items in call order and
 * must return one output per item, in the same order; when it rejects, every call of that batch
 * rejects with its error.
 *
 * @example
 * ```ts
 * const insertOne = coalesce((records: TaskRecord[]) => store.insert(records));
 * await Promise.all([insertOne(a), insertOne(b)]); // one transaction
 * ```
 */
export function coalesce<I, O>(flush: (items: I[]) => Promise<O[]>): (item: I) => Promise<O> {
  let queued: { item: I; resolve: (out: O) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;

  const run = async () => {
    flushing = true;
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        const outputs = await flush(batch.map((entry) => entry.item));
        for (const [i, entry] of batch.entries()) entry.resolve(outputs[i] as O);
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    flushing = false;
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queued.push({ item, resolve, reject });
      if (!flushing && queued.length === 1) queueMicrotask(() => void run());
    });
}
