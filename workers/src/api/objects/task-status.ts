/**
 * How a task's status follows from its deliveries (wire contract v1): `cancelled` once
 * cancelled; `dead` when any `queue`/`webhook` delivery went dead; `succeeded` when every such
 * delivery is done and the `resultFrom` one returned a result; `delivered` when every such
 * delivery is done (at once for a topic with none); else `queued` once on the queue, or
 * `accepted`. `live` deliveries are best-effort and never hold the status back.
 */
import type { EdgeTaskStatus } from "@errand/core";
import type { DeliveryStatus, SubscriptionKind } from "@errand/core/wire";

/** What the aggregation reads of one delivery. */
export interface DeliveryFacts {
  kind: SubscriptionKind;
  status: DeliveryStatus;
  resultFrom: boolean;
  hasResult: boolean;
}

/** A task's status from its own facts and its deliveries'. Pure. */
export function aggregateStatus(
  task: { cancelled: boolean; queued: boolean },
  deliveries: readonly DeliveryFacts[],
): EdgeTaskStatus {
  if (task.cancelled) return "cancelled";
  const held = deliveries.filter((d) => d.kind !== "live");
  if (held.some((d) => d.status === "dead")) return "dead";
  if (held.every((d) => d.status === "delivered" || d.status === "cancelled")) {
    return held.some((d) => d.resultFrom && d.hasResult) ? "succeeded" : "delivered";
  }
  return task.queued ? "queued" : "accepted";
}

/** Statuses after which nothing more happens to a task (cancel answers `409 already_final`). */
export function isFinalStatus(status: EdgeTaskStatus): boolean {
  return status === "delivered" || status === "succeeded" || status === "dead" || status === "cancelled";
}
