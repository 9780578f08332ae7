/**
 * Whether two reads of a task show the same thing, so a store can keep the object it already
 * handed to React and re-render nothing.
 */

import type { TaskInfo } from "@errand/client";

/**
 * True when `a` and `b` are one task in one stored version: every stored change bumps
 * `updatedAt`, and state, attempts, fence, edge status, a waiting cancel and deliveries guard
 * two changes in the same ms. Progress, which only events carry, counts too.
 *
 * @example
 * ```ts
 * sameTask(await errand.get(id), shown) // true until the task changes
 * ```
 */
export function sameTask(a: TaskInfo, b: TaskInfo): boolean {
  if (a.id !== b.id || a.updatedAt !== b.updatedAt || a.state !== b.state || a.attempts !== b.attempts)
    return false;
  if (a.where === "local") return b.where === "local" && a.fence === b.fence && a.progress === b.progress;
  return (
    b.where === "edge" &&
    a.edgeStatus === b.edgeStatus &&
    a.cancelling === b.cancelling &&
    JSON.stringify(a.deliveries) === JSON.stringify(b.deliveries)
  );
}
