/** The vocabulary of a task's life, shared by every package. */

/**
 * Where a task is in its life:
 * - `pending`: waiting to run (or to be sent, for an edge task), possibly until a retry's `runAt`;
 * - `running`: claimed under a lease by a worker;
 * - `sent`: an edge task the server accepted; its end comes as status from the edge;
 * - `succeeded`, `dead` (out of attempts, non-retryable or unreadable; can be replayed),
 *   `cancelled`: final.
 */
export type TaskState = "pending" | "running" | "succeeded" | "dead" | "cancelled" | "sent";

/** Every {@link TaskState}, in lifecycle order. */
export const TASK_STATES: readonly TaskState[] = Object.freeze([
  "pending",
  "running",
  "sent",
  "succeeded",
  "dead",
  "cancelled",
]);

/** States a task leaves only by an explicit act (`replay` of a dead task), never by running. */
export const FINAL_STATES: readonly TaskState[] = Object.freeze(["succeeded", "dead", "cancelled"]);

/** Whether `state` is final: `succeeded`, `dead` or `cancelled`. A final task cannot be cancelled. */
export function isFinalState(state: TaskState): boolean {
  return FINAL_STATES.includes(state);
}

/** Whether `value` is one of the {@link TaskState}s (for filters and data read back from storage). */
export function isTaskState(value: unknown): value is TaskState {
  return (TASK_STATES as readonly unknown[]).includes(value);
}

/** Where a task runs: on this page's Web Workers, or shipped to the edge. */
export type TaskTarget = "local" | "edge";
