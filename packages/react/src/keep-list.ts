/**
 * Structural sharing for `useTasks`: a fresh `list()` answer keeps the previous answer's object
 * for each task that did not change, and the previous array itself when none did, so memoised
 * rows and effects keyed on a task see the same object.
 */

import type { TaskInfo } from "@errand/client";
import { sameTask } from "./same-task.ts";

/**
 * `next`, with each unchanged task replaced by its `previous` object; `previous` itself when
 * the two hold the same tasks, unchanged, in the same order.
 *
 * @example
 * ```ts
 * keepList(await errand.list(), shown) === shown // when nothing changed
 * ```
 */
export function keepList(
  next: readonly TaskInfo[],
  previous: readonly TaskInfo[] | undefined,
): readonly TaskInfo[] {
  if (previous === undefined) return next;
  const before = new Map(previous.map((task) => [task.id, task]));
  let same = next.length === previous.length;
  const kept = next.map((task, i) => {
    const old = before.get(task.id);
    const keep = old !== undefined && sameTask(old, task) ? old : task;
    if (keep !== previous[i]) same = false;
    return keep;
  });
  return same ? previous : kept;
}
