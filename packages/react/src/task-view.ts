/** The shape in which `useTask` hands a task to a component. */

import type { TaskInfo } from "@errand/client";

/**
 * `undefined` while the first read is under way; `null` when there is no task of that id; else
 * the task as `get` shows it, local or edge (`where` tells which), with `progress` while a local
 * one runs.
 */
export type TaskSnapshot = TaskInfo | null | undefined;
