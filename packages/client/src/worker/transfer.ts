/** Marks a handler's result for transfer instead of copy on its way back to the page. */

const marked = new WeakMap<object, readonly Transferable[]>();

/**
 * Returns `result` itself, marked so that `transferables` (buffers, ports, bitmaps inside it) move
 * to the page instead of being copied. After the handler returns, they are unusable in the worker.
 *
 * @example
 * ```ts
 * expose(tasks, {
 *   async encode(payload) {
 *     const bytes = await compress(payload.pixels);
 *     return transfer({ bytes }, [bytes.buffer]);
 *   },
 * });
 * ```
 */
export function transfer<T extends object>(result: T, transferables: readonly Transferable[]): T {
  marked.set(result, transferables);
  return result;
}

/** The transferables marked on `result` by {@link transfer}, if any. */
export function transferablesOf(result: unknown): readonly Transferable[] | undefined {
  return typeof result === "object" && result !== null ? marked.get(result) : undefined;
}
