/**
 * The reader of one `/v1/events` message, apart from the status stream: apps import it from the
 * package's index, and it must not bring the stream (and the HTTP client under it) into a
 * bundle that never configures `edge`.
 */

import type { TaskView } from "@errand/core/wire";

/**
 * The task of a `/v1/events` message (`{ "type": "task.status", "task": { … } }`); undefined for
 * anything else, so a socket reader can skip what it does not know.
 */
export function readStatusEvent(data: unknown): TaskView | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const message = JSON.parse(data) as { type?: unknown; task?: TaskView };
    return message.type === "task.status" && typeof message.task?.id === "string" ? message.task : undefined;
  } catch {
    return undefined;
  }
}
