/**
 * Whether two reads of a task show the same thing, so a store can keep the object it already
 * handed to React and re-render nothing.
 */

import type { TaskInfo } from "@errand/client";
import type { TaskView } from "./task-view.ts";

/**
 * True when `a` and `b` are one task in one stored version: every stored change bumps
 * `updatedAt`, and state, attempts, fence and edge status guard two changes in the same ms.
 * Progress, which only events carry, counts too.
 *
 * @example
 * ```ts
 * sameTask(await errand.get(id), shown) // true until the task changes
 * ```
 */
export function sameTask(a: TaskView, b: TaskView): boolean {
  if (a.id !== b.id || a.updatedAt !== b.updatedAt || a.state !== b.state || a.attempts !== b.attempts)
    return false;
  if ("target" in a || "target" in b)
    return "target" in a && "target" in b && a.edgeStatus === b.edgeStatus && a.cancel === b.cancel;
  return a.fence === b.fence && a.progress === (b as TaskInfo).progress;
}
