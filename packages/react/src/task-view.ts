/** The shapes in which `useTask` hands a task to a component. */

import type { OutboxRecord, TaskInfo } from "@errand/client";

/**
 * A task as `useTask` shows it: a local task (`TaskInfo`, with `progress` while it runs), or an
 * edge task (`OutboxRecord`, with `target: "edge"` added to tell them apart).
 */
export type TaskView = TaskInfo | EdgeTaskView;

/** An edge task as the outbox holds it. */
export type EdgeTaskView = OutboxRecord & { readonly target: "edge" };

/** `undefined` while the first read is under way; `null` when there is no task of that id. */
export type TaskSnapshot = TaskView | null | undefined;
